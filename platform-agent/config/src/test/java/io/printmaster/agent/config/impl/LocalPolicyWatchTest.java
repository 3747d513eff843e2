package io.printmaster.agent.config.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.core.policy.UpdatePolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalPolicyWatchTest {
    @TempDir
    Path etc;

    /** Writes and moves the modification time on, as a later save would, without waiting for the clock. */
    private int saves;

    private void save(Path file, String content) throws IOException {
        Files.writeString(file, content);
        Files.setLastModifiedTime(file, FileTime.from(Instant.parse("2026-01-01T00:00:00Z").plusSeconds(++saves)));
    }

    @Test
    void followsTheFileAndKeepsTheLastValidPolicyWhileItIsBroken() throws IOException {
        Path file = etc.resolve(LocalPolicyFile.FILE_NAME);
        LocalPolicyWatch watch = new LocalPolicyWatch(file);

        assertTrue(watch.poll(), "the first poll reads");
        assertEquals(Optional.of(UpdatePolicy.defaults()), watch.current().policy(), "no file: defaults");
        assertFalse(watch.poll(), "nothing changed");

        save(file, LocalPolicyFileTest.VALID);
        assertTrue(watch.poll());
        assertEquals(1, watch.current().policy().orElseThrow().updateCheckDays());
        assertEquals(List.of(), watch.current().errors());

        save(file, LocalPolicyFileTest.VALID.replace("\"update_check_days\": 1", "\"update_check_days\": -1"));
        assertTrue(watch.poll());
        assertEquals(1, watch.current().policy().orElseThrow().updateCheckDays(), "the last valid policy stays");
        assertEquals("local_policy.update_check_days", watch.current().errors().get(0).field());
        assertTrue(watch.current().errors().get(0).message().contains("keeps the last valid local policy"));

        save(file, LocalPolicyFileTest.VALID.replace("\"update_check_days\": 1", "\"update_check_days\": 2"));
        assertTrue(watch.poll());
        assertEquals(2, watch.current().policy().orElseThrow().updateCheckDays());
        assertEquals(List.of(), watch.current().errors());

        Files.delete(file);
        assertTrue(watch.poll());
        assertEquals(Optional.of(UpdatePolicy.defaults()), watch.current().policy(), "file removed: defaults again");
    }

    @Test
    void aFileBrokenFromTheStartLeavesNoLocalPolicy() throws IOException {
        Path file = etc.resolve(LocalPolicyFile.FILE_NAME);
        save(file, "{}");
        LocalPolicyWatch watch = new LocalPolicyWatch(file);

        watch.poll();

        assertEquals(Optional.empty(), watch.current().policy());
        assertFalse(watch.current().errors().isEmpty());
        assertTrue(watch.current().errors().get(0).message().contains("updates under it are off"));
    }
}
