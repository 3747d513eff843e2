package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import io.printmaster.core.wire.EnrollAnswer;
import io.printmaster.core.wire.EnrollRequest;
import io.printmaster.core.wire.TelemetryEvent;
import io.printmaster.itests.sim.AgentWire;
import io.printmaster.itests.sim.FleetSimulator;
import io.printmaster.itests.sim.SimulatedAgent;
import io.printmaster.itests.sim.VirtualClock;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * {@code GET /api/v1/agents} at fleet scale against the real server: 253 agents (250 simulated, three that report a
 * failed update), a cursor walk that sees every agent exactly once in order, each filter (fleet, version, status,
 * flag, search) and its count, the 400s naming {@code limit}, {@code cursor}, {@code sort} and {@code flag}, and a
 * token restricted to one fleet that sees only that fleet's agents. Half the fleet goes silent for 15 simulated days
 * (the virtual clock the server reads), so the {@code stale} flag has something to find.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class AgentsPagingIT {
    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() throws Exception {
        Path data = ServerContainer.newDataDir("agents-paging");
        return OptionUtils.combine(ServerContainer.options(data, ServerContainer.freePort()),
                frameworkProperty("pm.admin.password").value("itest-" + UUID.randomUUID()),
                frameworkProperty("pm.releases.builtin").value("off"));
    }

    @Test
    @SuppressWarnings("unchecked")
    public void pagesSortsFiltersAndSearchesAFleetOfHundreds() throws Exception {
        String port = context.getProperty("org.osgi.service.http.port");
        ApiClient anonymous = ApiClient.anonymous(port);
        anonymous.awaitHealthy();
        ApiClient admin = anonymous.login(context.getProperty("pm.admin.password"));
        awaitRoute(admin, "/api/v1/agents");
        for (String fleet : List.of("pa", "pb")) {
            assertEquals(201, admin.post("/api/v1/fleets", Map.of("id", fleet, "name", fleet)).status());
        }
        String tokenA = (String) admin.post("/api/v1/fleets/pa/join-tokens", Map.of("max_uses", 200)).json().get("token");
        String tokenB = (String) admin.post("/api/v1/fleets/pb/join-tokens", Map.of("max_uses", 200)).json().get("token");

        VirtualClock clock = VirtualClock.startingNow();
        ServiceRegistration<Clock> registration = clock.register(context);
        try (FleetSimulator sim = new FleetSimulator("http://127.0.0.1:" + port, clock, 6, 3)) {
            List<SimulatedAgent> alpha = sim.enroll(tokenA, 150, "alpha", "1.0.0", Duration.ZERO, Duration.ofDays(30));
            List<SimulatedAgent> beta = sim.enroll(tokenB, 100, "Beta", "0.9.0", Duration.ZERO, Duration.ofDays(30));
            // three agents of pa whose last update failed: two out of disk space, one rolled back
            AgentWire wire = new AgentWire("http://127.0.0.1:" + port);
            for (String[] failing : List.of(new String[] {"disk-1", "failed", "DISK_SPACE"},
                    new String[] {"disk-2", "failed", "DISK_SPACE"}, new String[] {"rb-1", "rolled_back", "HEALTH_CHECK"})) {
                EnrollAnswer a = wire.enroll(new EnrollRequest(tokenA, failing[0], "linux", "amd64", "1.0.0"));
                wire.telemetry(a.credential(), new TelemetryEvent("run-1", failing[1], "1.0.0", "1.1.0", failing[2],
                        "simulated", clock.instant().toString(), null, null, null));
            }
            // pa stays silent; 15 days later pb checks in: pa (and the three) are stale, pb is not
            alpha.forEach(a -> a.dueAt(Instant.MAX));
            clock.advance(Duration.ofDays(15));
            beta.forEach(a -> a.dueAt(clock.instant()));
            assertEquals(100, sim.step());

            List<Map<String, Object>> all = walk(admin, "sort=hostname&limit=37");
            assertEquals(253, all.size());
            assertEquals("every agent exactly once", 253, new HashSet<>(ids(all)).size());
            List<Map<String, Object>> sorted = new ArrayList<>(all);
            sorted.sort(Comparator.comparing((Map<String, Object> m) -> (String) m.get("hostname"))
                    .thenComparing(m -> (String) m.get("id")));
            assertEquals("ordered by host name", ids(sorted), ids(all));
            List<Map<String, Object>> bySeen = walk(admin, "sort=-last_seen_at&limit=50");
            assertEquals(253, new HashSet<>(ids(bySeen)).size());
            assertEquals("those seen come first, newest first", "pb", bySeen.get(0).get("fleet"));
            assertNull("never seen: last", bySeen.get(252).get("last_seen_at"));

            assertEquals(100, walk(admin, "fleet=pb").size());
            assertEquals(153, walk(admin, "fleet=pa&limit=500").size());
            assertEquals(100, walk(admin, "version=0.9.0").size());
            assertEquals(2, walk(admin, "status=failed").size());
            List<Map<String, Object>> stale = walk(admin, "flag=stale&limit=100");
            assertEquals(153, stale.size());
            assertTrue(stale.stream().allMatch(m -> "pa".equals(m.get("fleet"))
                    && ((List<String>) m.get("flags")).contains("stale")));
            List<Map<String, Object>> lowDisk = walk(admin, "flag=low_disk");
            assertEquals(List.of("disk-1", "disk-2"), lowDisk.stream().map(m -> m.get("hostname")).toList());
            assertEquals(List.of("stale", "low_disk", "failed"), lowDisk.get(0).get("flags"));
            assertEquals(3, walk(admin, "flag=failed").size());
            assertEquals(List.of(), walk(admin, "flag=failed&fleet=pb"));
            assertEquals("case-insensitive search", 100, walk(admin, "q=beta").size());
            assertEquals(List.of("Beta-0007"), walk(admin, "q=ETA-0007").stream().map(m -> m.get("hostname")).toList());
            String oneId = beta.get(41).id();
            assertEquals(List.of(oneId), ids(walk(admin, "q=" + oneId)));
            assertEquals(List.of(), walk(admin, "q=" + enc("%")));

            for (String bad : List.of("limit=0", "limit=501", "limit=ten")) {
                assertField(admin, bad, "limit");
            }
            assertField(admin, "cursor=not-a-cursor", "cursor");
            assertField(admin, "sort=size", "sort");
            assertField(admin, "flag=offline", "flag");

            String onlyB = admin.createToken("only-pb", List.of("agents.read"), List.of("pb"));
            ApiClient restricted = anonymous.withToken(onlyB);
            List<Map<String, Object>> seenByB = walk(restricted, "limit=30");
            assertEquals(100, seenByB.size());
            assertTrue(seenByB.stream().allMatch(m -> "pb".equals(m.get("fleet"))));
            assertEquals(List.of(), walk(restricted, "fleet=pa"));
            assertEquals(List.of(), walk(restricted, "flag=stale"));
        } finally {
            registration.unregister();
        }
    }

    /** Every page of the listing from the first, following {@code next_cursor}; checks page sizes on the way. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> walk(ApiClient client, String query) throws Exception {
        List<Map<String, Object>> out = new ArrayList<>();
        String cursor = null;
        for (int pages = 0; pages < 1000; pages++) {
            ApiClient.Response r = client.get("/api/v1/agents?" + query + (cursor == null ? "" : "&cursor=" + cursor));
            assertEquals(r.body(), 200, r.status());
            List<Map<String, Object>> page = (List<Map<String, Object>>) r.json().get("agents");
            assertTrue("next_cursor is always present: " + r.body(), r.json().containsKey("next_cursor"));
            out.addAll(page);
            cursor = (String) r.json().get("next_cursor");
            if (cursor == null) {
                return out;
            }
            assertTrue("a page with a next one is full", !page.isEmpty());
        }
        throw new AssertionError("the walk did not end");
    }

    static List<String> ids(List<Map<String, Object>> agents) {
        return agents.stream().map(m -> (String) m.get("id")).toList();
    }

    private static void assertField(ApiClient admin, String query, String field) throws Exception {
        ApiClient.Response r = admin.get("/api/v1/agents?" + query);
        assertEquals(query, "invalid_field", r.assertError(400, query));
        assertEquals(query + ": " + r.body(), field, ((Map<?, ?>) r.json().get("error")).get("field"));
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** Waits until the route's bundle registered it (the container starts bundles while the test begins). */
    static void awaitRoute(ApiClient client, String path) throws Exception {
        Eventually.within(Duration.ofSeconds(60), () -> {
            ApiClient.Response r = client.get(path);
            assertEquals(path + ": " + r.body(), 200, r.status());
        });
    }
}
