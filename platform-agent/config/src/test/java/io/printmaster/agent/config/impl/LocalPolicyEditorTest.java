package io.printmaster.agent.config.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.agent.config.api.LocalOverrideDisabledException;
import io.printmaster.core.policy.MaintenanceWindowSettings;
import io.printmaster.core.policy.RolloutControl;
import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.core.policy.Violation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalPolicyEditorTest {
    @TempDir
    Path data;

    private final AtomicBoolean allowed = new AtomicBoolean(true);
    private LocalPolicyWatch watch;
    private LocalPolicyEditor editor;
    private Path file;

    @BeforeEach
    void start() {
        file = data.resolve("etc").resolve(LocalPolicyFile.FILE_NAME);
        watch = new LocalPolicyWatch(file);
        watch.poll();
        editor = new LocalPolicyEditor(data, watch, allowed::get);
    }

    private static UpdatePolicy daily(int startHour, String zone) {
        return new UpdatePolicy(1, "patch", false, "2.0.1", false,
                new MaintenanceWindowSettings(true, startHour, 0, 4, 0, zone, List.of(1, 3)), RolloutControl.defaults());
    }

    @Test
    void aValidPolicyIsWrittenAndInForceAtOnce() throws Exception {
        assertEquals(List.of(), editor.save(daily(2, "Europe/Berlin")));
        assertEquals(Optional.of(daily(2, "Europe/Berlin")), watch.current().policy(), "in force without waiting for a poll");
        assertEquals(Optional.of(daily(2, "Europe/Berlin")), LocalPolicyFile.read(file).policy(),
                "the file reads back as the same policy, strictly");
        assertFalse(watch.poll(), "the watch has seen the file already");
        try (var left = Files.list(data.resolve("state"))) {
            assertEquals(0, left.count(), "no temporary file is left");
        }
        try (var etc = Files.list(data.resolve("etc"))) {
            assertEquals(List.of(file), etc.toList(), "nothing else lands in the folder FileInstall watches");
        }
    }

    @Test
    void anInvalidPolicyIsRefusedWithTheServersFieldErrorsAndNothingIsWritten() throws Exception {
        List<Violation> violations = editor.save(daily(24, "Mars/Olympus"));
        assertEquals(List.of("maintenance_window.start_hour", "maintenance_window.timezone"),
                violations.stream().map(Violation::field).toList());
        assertFalse(Files.exists(file));
        assertEquals(Optional.of(UpdatePolicy.defaults()), watch.current().policy());
    }

    @Test
    void withoutLocalOverrideNothingIsWritten() {
        allowed.set(false);
        LocalOverrideDisabledException e = assertThrows(LocalOverrideDisabledException.class,
                () -> editor.save(daily(2, "UTC")));
        assertTrue(e.getMessage().contains("allow_local_override"), e.getMessage());
        assertFalse(Files.exists(file));
    }
}
