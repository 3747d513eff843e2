package io.printmaster.server.selfupdate.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Containers, the admin's switch and a development run turn self-update off, each with what to do instead. */
class SelfUpdateAvailabilityTest {
    @TempDir
    Path fs;
    Path install;

    @BeforeEach
    void installed() throws Exception {
        install = fs.resolve("opt/printmaster-server");
        Files.createDirectories(install.resolve("bin"));
        Files.writeString(install.resolve("bin/pm-server"), "#!/bin/sh\n");
        Files.createDirectories(fs.resolve("proc/1"));
        Files.writeString(fs.resolve("proc/1/cgroup"), "0::/init.scope\n");
    }

    @Test
    void anInstalledServerOnAHostMayUpdateItself() {
        SelfUpdateAvailability a = SelfUpdateAvailability.detect(fs, Map.of(), install);
        assertTrue(a.enabled(), String.valueOf(a.reason()));
    }

    @Test
    void dockerenvMeansAContainer() throws Exception {
        Files.writeString(fs.resolve(".dockerenv"), "");
        SelfUpdateAvailability a = SelfUpdateAvailability.detect(fs, Map.of(), install);
        assertFalse(a.enabled());
        assertEquals("CONTAINER", a.code());
        assertTrue(a.reason().contains("docker compose pull && docker compose up -d"), a.reason());
    }

    @Test
    void cgroupMarkersMeanAContainer() throws Exception {
        for (String line : new String[] {"0::/docker/3f2a", "12:pids:/kubepods/burstable/pod1", "0::/system.slice/containerd",
                "0::/machine.slice/libpod-abc.scope"}) {
            Files.writeString(fs.resolve("proc/1/cgroup"), line + "\n");
            SelfUpdateAvailability a = SelfUpdateAvailability.detect(fs, Map.of(), install);
            assertEquals("CONTAINER", a.code(), line);
        }
    }

    @Test
    void kubernetesIsNamedWithKubectl() {
        SelfUpdateAvailability a = SelfUpdateAvailability.detect(fs, Map.of("KUBERNETES_SERVICE_HOST", "10.0.0.1"), install);
        assertEquals("CONTAINER", a.code());
        assertTrue(a.reason().contains("kubectl set image"), a.reason());
    }

    @Test
    void theAdminsSwitchWins() {
        SelfUpdateAvailability a = SelfUpdateAvailability.detect(fs, Map.of("PM_DISABLE_SELFUPDATE", "1"), install);
        assertEquals("SELF_UPDATE_DISABLED", a.code());
        assertTrue(a.reason().contains("PM_DISABLE_SELFUPDATE=1"), a.reason());
        assertTrue(SelfUpdateAvailability.detect(fs, Map.of("PM_DISABLE_SELFUPDATE", "0"), install).enabled(),
                "0 does not disable");
    }

    @Test
    void withoutAnInstallRootThereIsNothingToUpdate() throws Exception {
        Path dev = fs.resolve("work/target/printmaster-server");
        Files.createDirectories(dev);
        SelfUpdateAvailability a = SelfUpdateAvailability.detect(fs, Map.of(), dev);
        assertEquals("NOT_INSTALLED", a.code());
        assertTrue(a.reason().contains("bin/pm-server"), a.reason());
        assertEquals("NOT_INSTALLED", SelfUpdateAvailability.detect(fs, Map.of(), null).code());
    }
}
