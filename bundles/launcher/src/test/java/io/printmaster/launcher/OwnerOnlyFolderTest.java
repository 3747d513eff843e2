package io.printmaster.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OwnerOnlyFolderTest {
    @TempDir
    Path dir;

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void anExistingInstallIsMadeOwnerOnly() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path db = Files.createDirectories(data.resolve("db/seg0"));
        Files.setPosixFilePermissions(db, PosixFilePermissions.fromString("rwxr-x---"));
        Path file = Files.writeString(db.resolve("c10.dat"), "rows");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-r--"));
        Path script = Files.writeString(data.resolve("tool.sh"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path alreadyPrivate = Files.writeString(data.resolve("private"), "x");
        Files.setPosixFilePermissions(alreadyPrivate, PosixFilePermissions.fromString("rw-------"));

        int changed = OwnerOnlyFolder.apply(data);

        assertEquals("rwx------", mode(data));
        assertEquals("rwx------", mode(data.resolve("db")));
        assertEquals("rwx------", mode(db));
        assertEquals("rw-------", mode(file));
        assertEquals("rwx------", mode(script), "the owner's own bits are kept");
        assertEquals("rw-------", mode(alreadyPrivate));
        assertEquals(5, changed, "data, db, seg0, c10.dat, tool.sh");
        assertEquals(0, OwnerOnlyFolder.apply(data), "nothing left to do the second time");
    }

    @Test
    void aDataFolderThatIsALinkIsWalkedAtItsTarget() throws Exception {
        Path real = Files.createDirectories(dir.resolve("disk/pm-data"));
        Path file = Files.writeString(real.resolve("server.log"), "x");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        Path link = Files.createSymbolicLink(dir.resolve("data"), real);
        OwnerOnlyFolder.apply(link);
        assertEquals("rwx------", mode(real));
        assertEquals("rw-------", mode(file));
    }

    @Test
    void linksAreNotFollowed() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Path outside = Files.writeString(dir.resolve("shared.txt"), "not ours");
        Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rw-r--r--"));
        Files.createSymbolicLink(data.resolve("link"), outside);
        OwnerOnlyFolder.apply(data);
        assertEquals("rw-r--r--", mode(outside));
    }

    @Test
    void theUmaskProbeTellsWhetherNewFilesArePrivateAndLeavesNothing() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        // what this JVM's umask gives a plain new file, seen independently of the probe
        Path plain = Files.createFile(dir.resolve("plain"));
        boolean expected = !mode(plain).substring(3).contains("r") && !mode(plain).substring(3).contains("w");
        assertEquals(expected, OwnerOnlyFolder.newFilesArePrivate(data));
        try (var files = Files.list(data)) {
            assertEquals(0, files.count());
        }
    }
}
