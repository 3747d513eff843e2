package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.printmaster.itests.sim.FleetSimulator;
import io.printmaster.itests.sim.Outcome;
import io.printmaster.itests.sim.SimulatedAgent;
import io.printmaster.itests.sim.VirtualClock;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
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
 * The fleet simulator itself against the real server: 200 agents enrolled with one join token (max_uses 200) update
 * from 0.9.0 to 1.0.0 as their fleet's policy selects it (through the automatic rollout the server makes of it: one
 * wave, at most 50 at once), each through real check-ins and telemetry; what the server records (versions, last
 * result, stored transitions) is what the simulated agents did, and an hour of simulated fleet time takes seconds.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FleetSimulatorIT {
    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() throws Exception {
        return SimulatedFleetSetup.serverWithRelease("fleet-sim", 8);
    }

    @Test
    @SuppressWarnings("unchecked")
    public void twoHundredSimulatedAgentsEnrollCheckInReportAndUpdateInSeconds() throws Exception {
        String port = context.getProperty("org.osgi.service.http.port");
        ApiClient admin = SimulatedFleetSetup.adminOnceReleased(context);
        assertEquals(201, admin.post("/api/v1/fleets", Map.of("id", "simfleet", "name", "Simulated")).status());
        SimulatedFleetSetup.oneWavePolicy(admin, "simfleet");
        ApiClient.Response token = admin.post("/api/v1/fleets/simfleet/join-tokens", Map.of("max_uses", 200));
        assertEquals(token.body(), 201, token.status());

        VirtualClock clock = VirtualClock.startingNow();
        ServiceRegistration<Clock> registration = clock.register(context);
        long t0 = System.nanoTime();
        try (FleetSimulator sim = new FleetSimulator("http://127.0.0.1:" + port, clock, 6, 1)) {
            List<SimulatedAgent> agents = sim.enroll((String) token.json().get("token"), 200, "simfleet", "0.9.0",
                    Duration.ofMinutes(10), Duration.ofHours(1));
            long enrolledMs = (System.nanoTime() - t0) / 1_000_000;
            assertEquals("every agent its own id", 200, agents.stream().map(SimulatedAgent::id).distinct().count());
            // one agent in twenty fails its first run and gets it right at its next check
            for (int i = 0; i < agents.size(); i += 20) {
                agents.get(i).plan(Outcome.fail("DOWNLOAD_FAILED"));
            }
            // the join token is used up: a 201st enrollment is refused
            try {
                sim.enroll((String) token.json().get("token"), 1, "one-too-many", "0.9.0", Duration.ZERO,
                        Duration.ofHours(1));
                throw new AssertionError("a join token with max_uses 200 enrolled a 201st agent");
            } catch (io.printmaster.itests.sim.AgentWire.WireException e) {
                assertEquals(e.getMessage(), 401, e.status());
            }

            long t1 = System.nanoTime();
            int[] steps = {0};
            sim.run(Duration.ofHours(4), Duration.ofSeconds(30), now -> {
                steps[0]++;
                return agents.stream().anyMatch(a -> !"1.0.0".equals(a.version()));
            });
            long runMs = (System.nanoTime() - t1) / 1_000_000;
            for (SimulatedAgent a : agents) {
                assertEquals(a.toString(), "1.0.0", a.version());
            }
            List<Map<String, Object>> listed = (List<Map<String, Object>>) admin.get("/api/v1/agents?fleet=simfleet&limit=500")
                    .json().get("agents");
            assertEquals(200, listed.size());
            Map<String, Map<String, Object>> byId = listed.stream().collect(Collectors.toMap(
                    m -> (String) m.get("id"), m -> m));
            for (SimulatedAgent a : agents) {
                Map<String, Object> seen = byId.get(a.id());
                assertEquals("the server knows what the agent runs: " + seen, "1.0.0", seen.get("current_version"));
                assertEquals(seen.toString(), "succeeded", seen.get("last_result"));
                assertEquals(seen.toString(), a.hostname(), seen.get("hostname"));
            }
            // the first agent failed once, then succeeded: both runs are in its stored telemetry
            List<Map<String, Object>> transitions = (List<Map<String, Object>>) admin
                    .get("/api/v1/agents/" + agents.get(0).id() + "/telemetry").json().get("transitions");
            List<String> statuses = transitions.stream().map(t -> (String) t.get("status")).toList();
            assertEquals("newest first: " + transitions, List.of("succeeded", "applying", "staging", "downloading",
                    "failed", "staging", "downloading"), statuses);
            assertEquals("DOWNLOAD_FAILED", transitions.get(4).get("error_code"));
            long offers = sim.newOffers().size();
            assertEquals("200 updates and 10 failed first tries", 210, offers);
            assertEquals(210, sim.runEnds().size());
            assertEquals(0, sim.holding());
            assertTrue("the policy's max_concurrent (50) caps the automatic rollout: " + sim.maxHolding(),
                    sim.maxHolding() <= 50);
            // lock conflicts between concurrent check-ins are the server's to retry, never an agent's 500
            assertEquals("requests the server failed (5xx or no answer): " + sim.serverErrors(), List.of(),
                    sim.serverErrors());
            System.out.printf("fleet simulator: 200 agents enrolled in %d ms; %d steps (%s virtual) with %d check-ins "
                    + "and %d runs in %d ms; at most %d updating at once%n", enrolledMs, steps[0],
                    Duration.ofSeconds(30L * steps[0]), sim.checkIns().size(), offers, runMs, sim.maxHolding());
        } finally {
            registration.unregister();
        }
    }
}
