package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.osgi.framework.BundleContext;

/**
 * What the fleet simulator's tests set up on a server: a release the server takes in from a directory, and a fleet
 * policy whose automatic rollout updates the whole fleet in one wave.
 */
final class SimulatedFleetSetup {
    private SimulatedFleetSetup() {
    }

    /**
     * An agent release {@code version} for linux-amd64 (random bytes from {@code seed}, with its {@code SHA256SUMS})
     * in a folder of the data directory, and the directory release source ({@code sim}) that takes it in.
     */
    static void directoryRelease(Path data, String version, long seed) throws Exception {
        Path releases = Files.createDirectories(data.resolve("releases-in"));
        byte[] bytes = new byte[4096];
        new Random(seed).nextBytes(bytes);
        String name = "printmaster-agent-v" + version + "-linux-amd64.tar.gz";
        Files.write(releases.resolve(name), bytes);
        Files.writeString(releases.resolve("SHA256SUMS"), HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)) + "  " + name + "\n");
        Files.writeString(data.resolve("etc/io.printmaster.releasesource.directory-sim.cfg"),
                "name=sim\npath=" + releases + "\n");
    }

    /** A server container taking in the agent release 1.0.0 from a directory (the built-in source off). */
    static Option[] serverWithRelease(String name, long seed) throws Exception {
        Path data = ServerContainer.newDataDir(name);
        directoryRelease(data, "1.0.0", seed);
        return OptionUtils.combine(ServerContainer.options(data, ServerContainer.freePort()),
                frameworkProperty("pm.admin.password").value("itest-" + UUID.randomUUID()),
                frameworkProperty("pm.releases.builtin").value("off"));
    }

    /** The admin's console session once the server is healthy and has taken in and signed release 1.0.0. */
    static ApiClient adminOnceReleased(BundleContext context) throws Exception {
        ApiClient anonymous = ApiClient.anonymous(context.getProperty("org.osgi.service.http.port"));
        anonymous.awaitHealthy();
        ApiClient admin = anonymous.login(context.getProperty("pm.admin.password"));
        IntakeDiagnostics.awaitIntake(admin, Duration.ofSeconds(60), () -> {
            ApiClient.Response r = admin.get("/api/v1/releases/manifests?component=agent&version=1.0.0");
            assertEquals(r.body(), 200, r.status());
            assertFalse(r.body(), ((List<?>) r.json().get("manifests")).isEmpty());
        });
        return admin;
    }

    /** The fleet's policy: weekly checks, major pin, no window, one wave of at most 50 at once. */
    static void oneWavePolicy(ApiClient admin, String fleet) throws Exception {
        Map<String, Object> policy = new LinkedHashMap<>();
        policy.put("update_check_days", 7);
        policy.put("version_pin_strategy", "major");
        policy.put("allow_major_upgrade", true);
        policy.put("target_version", null);
        policy.put("collect_telemetry", true);
        policy.put("maintenance_window", Map.of("enabled", false, "start_hour", 22, "start_min", 0, "end_hour", 4,
                "end_min", 0, "timezone", "UTC", "days_of_week", List.of(0, 1, 2, 3, 4, 5, 6)));
        policy.put("rollout_control", Map.of("staggered", false, "max_concurrent", 50, "batch_size", 50,
                "delay_between_waves", 0, "jitter_seconds", 60, "emergency_abort", false));
        ApiClient.Response r = admin.send("PUT", "/api/v1/update-policies/" + fleet, Map.of("policy", policy));
        assertEquals(r.body(), 200, r.status());
    }
}
