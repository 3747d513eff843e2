package io.printmaster.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReadVersionTest {
    @TempDir
    Path program;

    @Test
    void theProgramDirsVersionFileWinsOverTheJarsVersion() throws Exception {
        Files.writeString(program.resolve("VERSION"), "1.2.3\n");
        assertEquals("1.2.3", FelixLauncher.readVersion(program, "1.0.0"));
    }

    @Test
    void withoutAVersionFileTheJarsVersionIsUsed() throws Exception {
        assertEquals("1.0.0", FelixLauncher.readVersion(program, "1.0.0"));
        Files.writeString(program.resolve("VERSION"), "  \n");
        assertEquals("1.0.0", FelixLauncher.readVersion(program, "1.0.0"));
        assertEquals("0.0.0-dev", FelixLauncher.readVersion(program, null));
    }
}
