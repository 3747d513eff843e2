package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.printmaster.itests.sim.FleetSimulator;
import io.printmaster.itests.sim.Outcome;
import io.printmaster.itests.sim.SimulatedAgent;
import io.printmaster.itests.sim.VirtualClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * {@code GET /api/v1/dashboard} against the real server and a simulated fleet: 200 agents update 0.9.0 → 1.0.0
 * through the automatic rollout, 185 succeed (each reporting its download time: 10, 20, … 1850 ms), 8 fail with
 * {@code DOWNLOAD_FAILED}, 4 with {@code DISK_SPACE}, 3 roll back; 15 simulated days later 100 of them check in.
 * The dashboard shows exactly those numbers: versions, statuses, flags, check-ins, success rate, nearest-rank
 * percentiles (to the download histogram's precision), top errors, the window, the fleet's current and target
 * versions, and only a restricted token's fleets.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DashboardApiIT {
    private static final String FLEET = "dash";

    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() throws Exception {
        return SimulatedFleetSetup.serverWithRelease("dashboard-api", 15);
    }

    @Test
    @SuppressWarnings("unchecked")
    public void theDashboardCountsWhatTheSimulatedFleetDid() throws Exception {
        String port = context.getProperty("org.osgi.service.http.port");
        ApiClient anonymous = ApiClient.anonymous(port);
        ApiClient admin = SimulatedFleetSetup.adminOnceReleased(context);
        AgentsPagingIT.awaitRoute(admin, "/api/v1/dashboard");
        assertEquals(201, admin.post("/api/v1/fleets", Map.of("id", FLEET, "name", "Dashboard")).status());
        assertEquals(201, admin.post("/api/v1/fleets", Map.of("id", "quiet", "name", "Quiet")).status());
        SimulatedFleetSetup.oneWavePolicy(admin, FLEET);
        String token = (String) admin.post("/api/v1/fleets/" + FLEET + "/join-tokens", Map.of("max_uses", 200))
                .json().get("token");
        String quietToken = (String) admin.post("/api/v1/fleets/quiet/join-tokens", Map.of("max_uses", 5))
                .json().get("token");

        VirtualClock clock = VirtualClock.startingNow();
        ServiceRegistration<Clock> registration = clock.register(context);
        try (FleetSimulator sim = new FleetSimulator("http://127.0.0.1:" + port, clock, 6, 15)) {
            List<SimulatedAgent> agents = sim.enroll(token, 200, "dash", "0.9.0", Duration.ofMinutes(10),
                    Duration.ofDays(30));
            sim.enroll(quietToken, 5, "quiet", "0.9.0", Duration.ZERO, Duration.ofDays(30))
                    .forEach(a -> a.dueAt(Instant.MAX));
            for (int i = 0; i < 200; i++) {
                agents.get(i).plan(i < 185 ? Outcome.succeed().downloading(10L * (i + 1))
                        : i < 193 ? Outcome.fail("DOWNLOAD_FAILED") : i < 197 ? Outcome.fail("DISK_SPACE")
                        : Outcome.rollBack());
            }
            sim.run(Duration.ofHours(6), Duration.ofSeconds(30), now -> sim.runEnds().size() < 200);
            assertEquals(200, sim.runEnds().size());
            assertEquals(List.of(), sim.serverErrors());

            // 15 days on, the first 100 (all on 1.0.0: nothing to install) check in; the others stay silent
            agents.forEach(a -> a.dueAt(Instant.MAX));
            clock.advance(Duration.ofDays(15));
            agents.subList(0, 100).forEach(a -> a.dueAt(clock.instant()));
            assertEquals(100, sim.step());

            Map<String, Object> d = dashboard(admin, "?fleet=" + FLEET);
            Map<String, Object> a = (Map<String, Object>) d.get("agents");
            assertEquals(200, a.get("total"));
            assertEquals(List.of(Map.of("version", "1.0.0", "count", 185), Map.of("version", "0.9.0", "count", 15)),
                    a.get("by_version"));
            assertEquals(List.of(Map.of("status", "succeeded", "count", 185), Map.of("status", "failed", "count", 12),
                    Map.of("status", "rolled_back", "count", 3)), a.get("by_status"));
            assertEquals(100, a.get("stale"));
            assertEquals(4, a.get("low_disk"));
            assertEquals(15, a.get("failed"));
            assertEquals(Map.of("day", 100, "week", 100, "never", 0), a.get("checked_in"));

            List<Map<String, Object>> releases = (List<Map<String, Object>>) d.get("releases");
            assertEquals(1, releases.size());
            Map<String, Object> r = releases.get(0);
            assertEquals("agent", r.get("component"));
            assertEquals("1.0.0", r.get("version"));
            assertEquals(185, r.get("succeeded"));
            assertEquals(12, r.get("failed"));
            assertEquals(3, r.get("rolled_back"));
            assertEquals(0.925, r.get("success_rate"));
            // nearest rank 93 of 185 is 930 ms, rank 176 is 1760 ms; the histogram answers its bucket's upper bound
            assertEquals("930 ms, in the bucket up to 939", 939, r.get("download_ms_p50"));
            assertEquals("1760 ms, in the bucket up to 1798", 1798, r.get("download_ms_p95"));
            assertEquals(List.of(Map.of("error_code", "DOWNLOAD_FAILED", "count", 8),
                    Map.of("error_code", "DISK_SPACE", "count", 4), Map.of("error_code", "HEALTH_CHECK", "count", 3)),
                    r.get("top_errors"));
            long perDay = ((List<Map<String, Object>>) r.get("by_day")).stream()
                    .mapToLong(day -> ((Number) day.get("succeeded")).longValue()).sum();
            assertEquals(185, perDay);

            List<Map<String, Object>> fleets = (List<Map<String, Object>>) d.get("fleets");
            assertEquals(1, fleets.size());
            assertEquals(FLEET, fleets.get(0).get("id"));
            assertEquals("1.0.0", fleets.get(0).get("target_version"));
            assertEquals(a.get("by_version"), fleets.get(0).get("current"));
            assertRolloutsMatchTheRolloutsApi(admin, d);

            assertEquals("the window ends before the updates", List.of(),
                    dashboard(admin, "?fleet=" + FLEET + "&days=7").get("releases"));
            Map<String, Object> everything = (Map<String, Object>) dashboard(admin, "").get("agents");
            assertEquals(205, everything.get("total"));
            assertEquals(105, everything.get("stale"));
            assertEquals(5, ((Map<String, Object>) everything.get("checked_in")).get("never"));

            String onlyQuiet = admin.createToken("only-quiet", List.of("agents.read"), List.of("quiet"));
            ApiClient restricted = anonymous.withToken(onlyQuiet);
            Map<String, Object> quiet = dashboard(restricted, "");
            assertEquals(5, ((Map<String, Object>) quiet.get("agents")).get("total"));
            assertEquals(List.of(), quiet.get("releases"));
            assertEquals(List.of("quiet"), ((List<Map<String, Object>>) quiet.get("fleets")).stream()
                    .map(f -> f.get("id")).toList());
            assertEquals("not_found", restricted.get("/api/v1/dashboard?fleet=" + FLEET).assertError(404, "other fleet"));
            assertEquals("not_found", admin.get("/api/v1/dashboard?fleet=nosuch").assertError(404, "unknown fleet"));
            for (String days : List.of("0", "91", "x")) {
                ApiClient.Response bad = admin.get("/api/v1/dashboard?days=" + days);
                bad.assertError(400, "days=" + days);
                assertEquals("days", ((Map<?, ?>) bad.json().get("error")).get("field"));
            }
            String noScope = admin.createToken("no-agents-read", List.of("releases.read"), null);
            assertEquals("forbidden", anonymous.withToken(noScope).get("/api/v1/dashboard").assertError(403, "scope"));
        } finally {
            registration.unregister();
        }
    }

    @SuppressWarnings("unchecked")
    private static void assertRolloutsMatchTheRolloutsApi(ApiClient admin, Map<String, Object> d) throws Exception {
        List<Map<String, Object>> shown = (List<Map<String, Object>>) d.get("rollouts");
        List<Map<String, Object>> listed = (List<Map<String, Object>>) admin.get("/api/v1/rollouts?fleet=" + FLEET)
                .json().get("rollouts");
        List<Object> active = listed.stream().filter(x -> List.of("awaiting_approval", "running", "paused",
                "rolling_back").contains(x.get("state"))).map(x -> x.get("id")).toList();
        assertEquals(active, shown.stream().map(x -> x.get("id")).toList());
        for (Map<String, Object> s : shown) {
            Map<String, Object> full = listed.stream().filter(x -> x.get("id").equals(s.get("id"))).findFirst()
                    .orElseThrow();
            assertEquals(full.get("counts"), s.get("counts"));
            assertTrue(s.toString(), s.containsKey("state"));
        }
    }

    private static Map<String, Object> dashboard(ApiClient client, String query) throws Exception {
        ApiClient.Response r = client.get("/api/v1/dashboard" + query);
        assertEquals(r.body(), 200, r.status());
        return r.json();
    }
}
