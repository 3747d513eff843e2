package io.printmaster.agent.hotswap.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstalledBundlesTest {
    @TempDir
    Path dir;

    @Test
    void theProgramDirsJarsAreRecordedByNameWithTheirHashAndTheLaunchersLocation() throws IOException {
        Path bundles = Files.createDirectories(dir.resolve("program/bundle"));
        Path a = jar(bundles.resolve("a-1.0.jar"), "io.x.a;singleton:=true");
        jar(bundles.resolve("b-1.0.jar"), "io.x.b");
        jar(bundles.resolve("not-a-bundle.jar"), null);
        Files.writeString(bundles.resolve("README.txt"), "not a jar");

        InstalledBundles installed = InstalledBundles.fromProgramDir("uuid-1", "1.0.0", dir.resolve("program"));

        assertEquals(java.util.Set.of("io.x.a", "io.x.b"), installed.bundles().keySet());
        InstalledBundles.Entry e = installed.bundles().get("io.x.a");
        assertEquals(io.printmaster.agent.files.Digests.sha256Hex(a), e.sha256());
        assertEquals(a.toUri().toString(), e.location());
        assertEquals(a, e.jar());
    }

    @Test
    void aRecordOfAnotherFrameworkIsIgnored() throws IOException {
        Path file = dir.resolve("update/installed-bundles.json");
        InstalledBundles record = new InstalledBundles("uuid-1", "1.2.0", Map.of("io.x", new InstalledBundles.Entry(
                "a".repeat(64), "file:/p/x.jar", Path.of("/p/x.jar"))));
        record.write(file);

        assertEquals(record, InstalledBundles.read(file, "uuid-1").orElseThrow());
        assertTrue(InstalledBundles.read(file, "uuid-2").isEmpty(), "a new process rebuilds it");
        assertTrue(InstalledBundles.read(dir.resolve("missing.json"), "uuid-1").isEmpty());
        JsonNode json = new ObjectMapper().readTree(file.toFile());
        assertEquals("a".repeat(64), json.path("bundles").path("io.x").path("sha256").asText());
        assertEquals("file:/p/x.jar", json.path("bundles").path("io.x").path("location").asText());
    }

    @Test
    void anUnfinishedJournalIsClosedAtTheNextStart() throws IOException {
        Path journal = dir.resolve("update/hotswap.json");
        JsonText.writeAtomically(journal, Map.of("from_version", "1.0.0", "to_version", "1.1.0", "phase", "swapping",
                "from", Map.of("io.x", "a".repeat(64)), "to", Map.of("io.x", "b".repeat(64))));

        SwapJournal.closeInterrupted(journal, dir.resolve("versions/1.0.0"));

        JsonNode j = new ObjectMapper().readTree(journal.toFile());
        assertEquals("done", j.path("phase").asText());
        assertEquals("interrupted", j.path("result").asText());
        assertEquals("swapping", j.path("interrupted_in").asText());
        assertEquals("b".repeat(64), j.path("to").path("io.x").asText());
    }

    @Test
    void jsonTextEscapesWhatJsonRequires() throws IOException {
        String text = JsonText.of(Map.of("k", "a\"b\\c\nd\u0001"));
        assertEquals("a\"b\\c\nd\u0001", new ObjectMapper().readTree(text).path("k").asText());
    }

    private static Path jar(Path file, String symbolicName) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (symbolicName != null) {
            m.getMainAttributes().putValue("Bundle-SymbolicName", symbolicName);
        }
        try (OutputStream out = Files.newOutputStream(file); JarOutputStream j = new JarOutputStream(out, m)) {
            j.putNextEntry(new java.util.jar.JarEntry("x.txt"));
            j.write(file.getFileName().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            j.closeEntry();
        }
        return file;
    }
}
