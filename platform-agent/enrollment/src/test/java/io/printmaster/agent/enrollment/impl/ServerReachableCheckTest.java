package io.printmaster.agent.enrollment.impl;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.agent.enrollment.api.CheckIn;
import io.printmaster.core.retry.Backoff;
import io.printmaster.secretbox.impl.MasterKeySecretBox;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server-reachable health check on a real enrollment loop talking to a real HTTP server on loopback. */
class ServerReachableCheckTest {
    @TempDir
    Path dir;

    private FakeServer server;
    private EnrollmentLoop loop;

    @AfterEach
    void close() throws Exception {
        if (loop != null) {
            loop.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void isOkWhileTheServerAnswersAndCriticalWithTheReasonOnceItCannotBeReached() throws Exception {
        server = FakeServer.http(0);
        server.validTokens.add("pmj_token");
        Path etc = Files.createDirectories(dir.resolve("home/etc"));
        Files.writeString(etc.resolve("fleet.json"), "{\"server_url\":\"http://127.0.0.1:" + server.port()
                + "/\",\"fleet_id\":\"fleet-a\",\"fleet_name\":\"Fleet A\",\"policy\":" + FakeServer.POLICY
                + ",\"policy_source\":\"fleet\",\"ca_bundle\":null,\"generated_at\":\"2025-01-01T00:00:00Z\"}");
        Files.writeString(etc.resolve("join-token"), "pmj_token\n");
        loop = new EnrollmentLoop(new FleetFiles(etc), new CredentialStore(dir.resolve("data/state"),
                new MasterKeySecretBox(new byte[32])), new UsedJoinToken(etc.resolve("join-token"),
                dir.resolve("data/etc/io.printmaster.agent.cfg"), dir.resolve("data/state")),
                () -> new HostFacts("host-1", "linux", "amd64", "1.0.0"),
                Optional::empty, Duration.ofHours(1), new EnrollmentLoop.Timing(Duration.ofMillis(20),
                        Backoff.of(Duration.ofMillis(20), Duration.ofMillis(200), Integer.MAX_VALUE),
                        Duration.ofSeconds(2), Duration.ofSeconds(5)), Clock.systemUTC());
        loop.start();
        await().atMost(Duration.ofSeconds(15)).until(() -> loop.lastCheckIn().map(CheckIn::succeeded).orElse(false));
        HealthCheck check = new ServerReachableCheck(loop);

        int before = server.checkIns.get();
        Result ok = check.execute();
        assertEquals(Result.Status.OK, ok.getStatus(), ok.toString());
        assertEquals(before + 1, server.checkIns.get(), "the check made a check-in of its own");

        server.close();
        Result down = check.execute();
        assertEquals(Result.Status.CRITICAL, down.getStatus(), down.toString());
        String message = down.iterator().next().getMessage();
        assertTrue(message.startsWith("server check-in failed: "), message);
    }

    @Test
    void isCriticalWithoutAnEnrollmentService() {
        Result r = new ServerReachableCheck().execute();
        assertEquals(Result.Status.CRITICAL, r.getStatus());
        assertEquals("server check-in failed: the enrollment service is not running",
                r.iterator().next().getMessage());
    }
}
