package io.printmaster.server.selfupdate.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A verified archive becomes a complete slot R/versions/<v>, or nothing: no half tree, never the running program. */
class ReleaseStagerTest {
    @TempDir
    Path dir;
    Path root;
    Path running;

    @BeforeEach
    void install() throws Exception {
        root = dir.resolve("R");
        running = root.resolve("versions/1.4.2");
        Files.createDirectories(running.resolve("bundle"));
        Files.writeString(running.resolve("VERSION"), "1.4.2\n");
    }

    @Test
    void aServerArchiveBecomesItsSlot() throws Exception {
        Path archive = Fixtures.serverArchive(dir.resolve("in"), "1.4.3", Map.of());
        Path slot = new ReleaseStager().stage(archive, "tar.gz", root, "1.4.3", running);
        assertEquals(root.resolve("versions/1.4.3").toAbsolutePath(), slot);
        assertEquals("1.4.3", Files.readString(slot.resolve("VERSION")).strip());
        assertTrue(Files.isExecutable(slot.resolve("bin/pm-server")), "the trampoline stays executable");
        assertFalse(Files.exists(root.resolve("versions/.staging-1.4.3")), "the staging folder was renamed");
        assertEquals("1.4.2\n", Files.readString(running.resolve("VERSION")), "the running program is untouched");
    }

    @Test
    void anEarlierHalfStagedAttemptIsReplaced() throws Exception {
        Files.createDirectories(root.resolve("versions/.staging-1.4.3/bundle"));
        Files.createDirectories(root.resolve("versions/1.4.3"));
        Files.writeString(root.resolve("versions/1.4.3/stale.txt"), "x");
        Path slot = new ReleaseStager().stage(Fixtures.serverArchive(dir.resolve("in"), "1.4.3", Map.of()), "tar.gz",
                root, "1.4.3", running);
        assertFalse(Files.exists(slot.resolve("stale.txt")));
    }

    private SelfUpdateFailure refused(Path archive, String version) {
        SelfUpdateFailure f = assertThrows(SelfUpdateFailure.class,
                () -> new ReleaseStager().stage(archive, "tar.gz", root, version, running));
        assertFalse(Files.exists(root.resolve("versions/" + version)), "no slot for a refused release");
        assertFalse(Files.exists(root.resolve("versions/.staging-" + version)), "no staging left behind");
        return f;
    }

    @Test
    void anIncompleteOrMislabelledTreeIsRefused() throws Exception {
        Path noTrampoline = Fixtures.tarGz(dir.resolve("a.tar.gz"), "printmaster-server-v1.4.3/",
                Map.of("lib/a.jar", "x", "bundle/b.jar", "y", "VERSION", "1.4.3"));
        SelfUpdateFailure f = refused(noTrampoline, "1.4.3");
        assertEquals("STAGING_FAILED", f.code());
        assertTrue(f.getMessage().contains("bin/pm-server"), f.getMessage());
        Path mislabelled = Fixtures.serverArchive(dir.resolve("b"), "1.4.4", Map.of());
        f = refused(mislabelled, "1.4.3");
        assertTrue(f.getMessage().contains("VERSION file says 1.4.4"), f.getMessage());
    }

    @Test
    void anEntryLeavingTheArchiveIsRefused() throws Exception {
        Path evil = Fixtures.serverArchive(dir.resolve("c"), "1.4.3", Map.of("../../evil.sh", "rm -rf /"));
        SelfUpdateFailure f = refused(evil, "1.4.3");
        assertEquals("STAGING_FAILED", f.code());
        assertFalse(Files.exists(root.resolve("evil.sh")) || Files.exists(dir.resolve("evil.sh")));
    }

    @Test
    void theRunningProgramIsNeverWritten() throws Exception {
        Path same = Fixtures.serverArchive(dir.resolve("d"), "1.4.2", Map.of());
        SelfUpdateFailure f = assertThrows(SelfUpdateFailure.class,
                () -> new ReleaseStager().stage(same, "tar.gz", root, "1.4.2", running));
        assertEquals("STAGING_FAILED", f.code());
        assertEquals("1.4.2\n", Files.readString(running.resolve("VERSION")));
        assertFalse(Files.exists(running.resolve("bin")));
    }

    @Test
    void tooLittleSpaceIsDiskSpace() throws Exception {
        Path archive = Fixtures.serverArchive(dir.resolve("e"), "1.4.3", Map.of());
        SelfUpdateFailure f = assertThrows(SelfUpdateFailure.class,
                () -> new ReleaseStager(d -> 1024).stage(archive, "tar.gz", root, "1.4.3", running));
        assertEquals("DISK_SPACE", f.code());
        assertTrue(f.getMessage().contains("free"), f.getMessage());
        assertFalse(Files.exists(root.resolve("versions/1.4.3")));
    }
}
