package io.printmaster.agent.worker.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchiveStagerTest {
    @TempDir
    Path dir;

    @Test
    void aZipBombIsRefusedAfterAFewMegabytesNotAfterAGigabyte() throws Exception {
        Path bomb = dir.resolve("bomb.tar.gz");
        long size = 512L << 20; // 512 MiB of zeros: about 0.5 MB compressed
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(Files.newOutputStream(bomb)))) {
            TarArchiveEntry e = new TarArchiveEntry("printmaster-agent-9.9.9/bundle/zeros.jar");
            e.setSize(size);
            tar.putArchiveEntry(e);
            byte[] zeros = new byte[1 << 20];
            for (long i = 0; i < size; i += zeros.length) {
                tar.write(zeros);
            }
            tar.closeArchiveEntry();
        }
        Path staging = dir.resolve("versions/.staging-9.9.9");
        UpdateFailure f = assertThrows(UpdateFailure.class, () -> new ArchiveStager().stage(bomb, "tar.gz", staging,
                "9.9.9", n -> { }, () -> false));
        assertEquals("STAGING_FAILED", f.code());
        assertTrue(f.getMessage().contains("zip bomb"), f.getMessage());
        long written;
        try (Stream<Path> files = Files.walk(staging)) {
            written = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        assertTrue(written < 64L << 20, "stopped early: " + written + " bytes written");
    }

    @Test
    void anEntryLeavingTheFolderIsRefused() throws Exception {
        Path slip = dir.resolve("slip.tar.gz");
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(Files.newOutputStream(slip)))) {
            TarArchiveEntry e = new TarArchiveEntry("printmaster-agent-9.9.9/../../evil.txt");
            byte[] b = "evil".getBytes();
            e.setSize(b.length);
            tar.putArchiveEntry(e);
            tar.write(b);
            tar.closeArchiveEntry();
        }
        UpdateFailure f = assertThrows(UpdateFailure.class, () -> new ArchiveStager().stage(slip, "tar.gz",
                dir.resolve("versions/.staging-9.9.9"), "9.9.9", n -> { }, () -> false));
        assertEquals("STAGING_FAILED", f.code());
        assertTrue(!Files.exists(dir.resolve("evil.txt")) && !Files.exists(dir.resolve("versions/evil.txt")));
    }
}
