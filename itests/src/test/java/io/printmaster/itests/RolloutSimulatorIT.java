package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import io.printmaster.itests.sim.FleetSimulator;
import io.printmaster.itests.sim.Outcome;
import io.printmaster.itests.sim.SimulatedAgent;
import io.printmaster.itests.sim.VirtualClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.inject.Inject;
import org.junit.After;
import org.junit.Before;
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
 * Staged rollouts as the server enforces them, proven with hundreds of simulated agents
 * ({@link FleetSimulator}: real enrollment, check-ins and telemetry over HTTP, typed by the wire contract) on
 * virtual time: the test registers a {@link VirtualClock} as the server's {@code printmaster.clock=virtual} clock and
 * moves it, so hours of a rollout pass in seconds. Each test has its own fleet and rollout of agent 1.0.0 (the fleets'
 * default policy, a minor pin, never selects it on its own, so no automatic rollout competes). After every step the
 * test reads the rollout as an admin would and checks the invariants against the server's counts and the simulator's
 * own record.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RolloutSimulatorIT {
    private static final String FROM = "0.9.0";
    private static final String TO = "1.0.0";
    /** The server's slot timeout for these tests (PID io.printmaster.server.rollouts). */
    private static final Duration SLOT_TIMEOUT = Duration.ofMinutes(15);
    private static final Duration STEP = Duration.ofSeconds(30);
    private static final Duration SIX_HOURS = Duration.ofHours(6);
    private static final AtomicLong FLEETS = new AtomicLong();

    /**
     * Each test has its own virtual clock, starting at the wall clock's time: the agents bundle stamps enrollments
     * with the wall clock, and a rollout tells late joiners by comparing that stamp with its own (virtual) start.
     * The rollouts of earlier tests see time go back then; they belong to other fleets and are not looked at again.
     */
    private VirtualClock clock;
    private ServiceRegistration<Clock> clockRegistration;

    @Inject
    BundleContext context;

    private ApiClient admin;
    private ApiClient anonymous;
    private final List<FleetSimulator> simulators = new ArrayList<>();

    @Configuration
    public Option[] config() throws Exception {
        Path data = ServerContainer.newDataDir("rollout-sim");
        Path releases = Files.createDirectories(data.resolve("releases-in"));
        // the simulated agents never download: any bytes do, as long as the source's checksums match them
        // (the version the agents start on is cached too: a rollback offers it back)
        StringBuilder sums = new StringBuilder();
        Random random = new Random(14);
        for (String version : List.of(FROM, TO)) {
            byte[] bytes = new byte[4096];
            random.nextBytes(bytes);
            String name = "printmaster-agent-v" + version + "-linux-amd64.tar.gz";
            Files.write(releases.resolve(name), bytes);
            sums.append(java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)))
                    .append("  ").append(name).append('\n');
        }
        Files.writeString(releases.resolve("SHA256SUMS"), sums.toString());
        Files.writeString(data.resolve("etc/io.printmaster.releasesource.directory-sim.cfg"),
                "name=sim\npath=" + releases + "\n");
        // a sweep every second: slot timeouts and wave openings without agent traffic follow virtual time closely
        Files.writeString(data.resolve("etc/io.printmaster.server.rollouts.cfg"),
                "slot_timeout_seconds=" + SLOT_TIMEOUT.toSeconds() + "\nsweep_seconds=1\n");
        return OptionUtils.combine(ServerContainer.options(data, ServerContainer.freePort()),
                frameworkProperty("pm.admin.password").value("itest-" + UUID.randomUUID()),
                frameworkProperty("pm.releases.builtin").value("off"));
    }

    @Before
    public void server() throws Exception {
        clock = VirtualClock.startingNow();
        clockRegistration = clock.register(context);
        anonymous = ApiClient.anonymous(context.getProperty("org.osgi.service.http.port"));
        anonymous.awaitHealthy();
        admin = anonymous.login(context.getProperty("pm.admin.password"));
        IntakeDiagnostics.awaitIntake(admin, Duration.ofSeconds(60), () -> {
            for (String version : List.of(FROM, TO)) {
                ApiClient.Response r = admin.get("/api/v1/releases/manifests?component=agent&version=" + version);
                assertEquals(r.body(), 200, r.status());
                assertFalse("signed manifest of " + version + ": " + r.body(),
                        ((List<?>) r.json().get("manifests")).isEmpty());
            }
        });
    }

    @After
    public void closeSimulators() {
        List<String> errors = new java.util.ArrayList<>();
        for (FleetSimulator sim : simulators) {
            errors.addAll(sim.serverErrors());
            sim.close();
        }
        clockRegistration.unregister();
        // lock conflicts between concurrent check-ins and telemetry are the server's to retry, never an agent's 500
        assertEquals("requests the server failed (5xx or no answer): " + errors, List.of(), errors);
    }

    // ---------------------------------------------------------------------------------------------------------------

    /**
     * 200 agents, waves of 10 %, 30 % and 60 %, at most 20 updating at once, an hour between waves, 90 % success
     * needed; one agent in 25 fails (below the 20 % failure threshold). Never more than 20 in progress (server and
     * simulator, at every step); each wave opens only after the previous one reached its success threshold and then
     * the delay passed; no agent is offered more than the open waves hold; the rollout completes.
     */
    @Test
    public void wavesOpenOnlyAfterTheSuccessThresholdAndTheDelayAndNeverMoreThanMaxConcurrentUpdate() throws Exception {
        int count = 200;
        int maxConcurrent = 20;
        Duration delay = Duration.ofHours(1);
        FleetSimulator sim = simulator(1);
        String fleet = newFleet();
        List<SimulatedAgent> agents = sim.enroll(joinToken(fleet, count), count, fleet, FROM, Duration.ofMinutes(10),
                SIX_HOURS);
        Set<String> failing = new HashSet<>();
        for (int i = 0; i < agents.size(); i++) {
            // runs long enough that a wave's agents overlap and the cap binds
            agents.get(i).outcomeByDefault(i % 25 == 7 ? Outcome.fail("DOWNLOAD_FAILED").taking(Duration.ofMinutes(8))
                    : Outcome.succeed().taking(Duration.ofMinutes(8)));
            if (i % 25 == 7) {
                failing.add(agents.get(i).id());
            }
        }
        Map<String, Object> created = createRollout(fleet, List.of(Map.of("percent", 10), Map.of("percent", 30),
                Map.of("percent", 60)), delay, maxConcurrent, 600, 90, 20);
        String id = (String) created.get("id");
        assertEquals(created.toString(), "running", created.get("state"));
        assertEquals(created.toString(), count, number(counts(created).get("targeted")));
        List<Integer> planned = List.of(20, 60, 120); // ceil of the cumulative shares of 200
        List<Map<String, Object>> waves = waves(created);
        assertEquals(created.toString(), 3, waves.size());
        for (int k = 0; k < 3; k++) {
            assertEquals("wave " + k + " planned size: " + waves, (int) planned.get(k), number(waves.get(k).get("targeted")));
        }

        WaveTimeline timeline = new WaveTimeline(planned, 90);
        sim.run(Duration.ofHours(12), STEP, now -> {
            Map<String, Object> r = rollout(id);
            assertCapHeld(r, sim, maxConcurrent, now);
            timeline.sample(now, r, sim.newOffers().size());
            return !"completed".equals(r.get("state"));
        });
        Map<String, Object> done = rollout(id);
        assertEquals(describe(done, sim), "completed", done.get("state"));
        assertEquals(done.toString(), count - failing.size(), number(counts(done).get("succeeded")));
        assertEquals(done.toString(), failing.size(), number(counts(done).get("failed")));
        assertEquals(0, number(counts(done).get("in_progress")));
        for (SimulatedAgent a : agents) {
            assertEquals(a.toString(), failing.contains(a.id()) ? FROM : TO, a.version());
        }
        timeline.assertWavesOpenedInOrder(delay, done);
        assertTrue("the cap was reached (the test exercised it): " + sim.maxHolding(), sim.maxHolding() == maxConcurrent);
        System.out.printf("rollout of %d agents: %d check-ins, %d offers, %s of virtual time%n", count,
                sim.checkIns().size(), sim.newOffers().size(), timeline.describe());
    }

    /**
     * A wave where more than the failure threshold fail (half the agents fail or roll back; the threshold is 20 % of
     * a first wave of 20): the rollout pauses with a reason and the failing agents listed, and no agent takes a new
     * offer while it is paused, though they keep asking (and are told when to come back); the admin can resume it.
     */
    @Test
    public void crossingTheFailureThresholdPausesWithTheReasonAndTheFailingAgents() throws Exception {
        int count = 100;
        FleetSimulator sim = simulator(2);
        String fleet = newFleet();
        List<SimulatedAgent> agents = sim.enroll(joinToken(fleet, count), count, fleet, FROM, Duration.ofMinutes(5),
                SIX_HOURS);
        Set<String> failing = new HashSet<>();
        for (int i = 0; i < agents.size(); i++) {
            if (i % 2 == 0) {
                // every other agent's first run goes wrong, half of them by failing, half by rolling back
                agents.get(i).plan(i % 4 == 0 ? Outcome.fail("STAGING_FAILED") : Outcome.rollBack());
                failing.add(agents.get(i).id());
            }
        }
        String id = (String) createRollout(fleet, List.of(Map.of("batch_size", 20), Map.of("batch_size", 80)),
                Duration.ofMinutes(30), 10, 300, 90, 20).get("id");
        AtomicBoolean paused = new AtomicBoolean();
        sim.run(Duration.ofHours(6), STEP, now -> {
            Map<String, Object> r = rollout(id);
            assertCapHeld(r, sim, 10, now);
            paused.set("paused".equals(r.get("state")));
            return !paused.get();
        });
        Map<String, Object> r = rollout(id);
        assertTrue("the failures paused the rollout: " + describe(r, sim), paused.get());
        Instant pausedAt = clock.instant();
        String reason = (String) r.get("paused_reason");
        assertTrue("a reason is shown: " + r, reason != null && !reason.isBlank());
        List<Map<String, Object>> listed = list(r.get("failing_agents"));
        assertFalse("the failing agents are listed: " + r, listed.isEmpty());
        Map<String, String> hostnames = agents.stream().collect(Collectors.toMap(SimulatedAgent::id,
                SimulatedAgent::hostname));
        for (Map<String, Object> f : listed) {
            assertTrue("listed agent " + f + " is one that failed", failing.contains((String) f.get("agent_id")));
            assertEquals("listed with its hostname: " + f, hostnames.get(f.get("agent_id")), f.get("hostname"));
            assertTrue(f.toString(), Set.of("failed", "rolled_back").contains(f.get("status")));
        }
        long failedOrRolledBack = number(counts(r).get("failed")) + number(counts(r).get("rolled_back"));
        assertTrue("the threshold is 4 of the first wave's 20: " + r, failedOrRolledBack >= 4);
        assertEquals("the second wave never opened: " + r, 0L, (long) number(waves(r).get(1).get("in_progress"))
                + number(waves(r).get(1).get("succeeded")) + number(waves(r).get(1).get("failed")));

        // an hour of a paused rollout: agents keep asking, nobody starts an update
        int offersBefore = sim.newOffers().size();
        sim.run(Duration.ofHours(1), STEP, now -> {
            assertEquals("paused", rollout(id).get("state"));
            return true;
        });
        List<FleetSimulator.CheckIn> afterPause = sim.newOffers().subList(offersBefore, sim.newOffers().size());
        assertTrue("no new offer while paused: " + afterPause, afterPause.isEmpty());
        assertTrue("the agents kept asking while paused", sim.checkIns(c -> c.virtualAt().isAfter(pausedAt)).size() > 0);
        Set<String> neverOffered = new HashSet<>(agents.stream().map(SimulatedAgent::id).toList());
        sim.newOffers().forEach(o -> neverOffered.remove(o.agentId()));
        List<FleetSimulator.CheckIn> held = sim.checkIns(c -> c.virtualAt().isAfter(pausedAt)
                && neverOffered.contains(c.agentId()));
        assertFalse("agents that never got the update asked while paused", held.isEmpty());
        for (FleetSimulator.CheckIn c : held) {
            assertTrue("a held agent is told when to come back: " + c, c.retryAfterSeconds() >= 1);
        }

        ApiClient.Response resumed = admin.post("/api/v1/rollouts/" + id + "/resume", Map.of());
        assertEquals(resumed.body(), 200, resumed.status());
        assertEquals(resumed.body(), "running", rolloutOf(resumed).get("state"));
        ApiClient.Response again = admin.post("/api/v1/rollouts/" + id + "/resume", Map.of());
        assertEquals("resuming a running rollout: " + again.body(), 409, again.status());
        assertTrue(again.body(), again.body().contains("running"));
    }

    /**
     * 150 agents, up to 30 updating (long runs). While check-ins pour in from 8 threads, the admin aborts: no check-in
     * sent after the abort call returned is offered anything, and every agent that was installing learns it at its
     * next re-check (within a minute) and reports {@code cancelled} with {@code ROLLOUT_ABORTED}.
     */
    @Test
    public void abortStopsEveryOfferAtOnceAndRunningAgentsCancelWithinAMinute() throws Exception {
        int count = 150;
        FleetSimulator sim = simulator(3);
        String fleet = newFleet();
        List<SimulatedAgent> agents = sim.enroll(joinToken(fleet, count), count, fleet, FROM, Duration.ofMinutes(20),
                SIX_HOURS);
        agents.forEach(a -> a.outcomeByDefault(Outcome.succeed().taking(Duration.ofMinutes(20))));
        String id = (String) createRollout(fleet, List.of(Map.of("percent", 100)), Duration.ZERO, 30, 60, 90, 50)
                .get("id");
        sim.run(Duration.ofHours(1), Duration.ofSeconds(10), now -> {
            assertCapHeld(rollout(id), sim, 30, now);
            return sim.holding() < 25;
        });
        assertTrue("agents are updating when the abort comes: " + sim.holding(), sim.holding() >= 25);

        // check-ins keep coming, in virtual steps of 10 s, while the admin aborts
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong abortReturned = new AtomicLong(Long.MAX_VALUE);
        ExecutorService driver = Executors.newSingleThreadExecutor();
        Future<Integer> steps = driver.submit(() -> {
            int n = 0;
            while (!stop.get()) {
                sim.advance(Duration.ofSeconds(10));
                n++;
            }
            return n;
        });
        try {
            Eventually.within(Duration.ofSeconds(30), () -> assertTrue(sim.checkIns().size() > 0));
            ApiClient.Response aborted = admin.post("/api/v1/rollouts/" + id + "/abort", Map.of());
            abortReturned.set(System.nanoTime());
            assertEquals(aborted.body(), 200, aborted.status());
            assertEquals(aborted.body(), "aborted", rolloutOf(aborted).get("state"));
            Instant abortedAt = clock.instant();
            // until every installing agent has re-checked (within a virtual minute) and the held ones came back
            // (retry_after: 60 s plus up to the 60 s jitter), so at least 100 check-ins follow the abort
            Eventually.within(Duration.ofSeconds(90), () -> {
                assertTrue(clock.instant().isAfter(abortedAt.plus(Duration.ofMinutes(3))));
                assertTrue(sim.checkIns(c -> c.sentNanos() > abortReturned.get()).size() >= 100);
            });
        } finally {
            stop.set(true);
            steps.get();
            driver.shutdown();
        }
        List<FleetSimulator.CheckIn> late = sim.checkIns(c -> c.sentNanos() > abortReturned.get() && c.offered());
        assertTrue("no offer answers a check-in sent after the abort returned: " + late, late.isEmpty());
        assertTrue("check-ins were made after the abort",
                sim.checkIns(c -> c.sentNanos() > abortReturned.get()).size() > 0);
        for (SimulatedAgent a : agents) {
            assertFalse("every installing agent stopped: " + a, a.inRun());
        }
        List<FleetSimulator.RunEnd> cancelled = sim.runEnds().stream().filter(e -> "cancelled".equals(e.status())).toList();
        assertTrue("the agents that were installing reported cancelled: " + cancelled.size(), cancelled.size() >= 20);
        cancelled.forEach(e -> assertEquals(e.toString(), "ROLLOUT_ABORTED", e.errorCode()));
        Map<String, Object> r = rollout(id);
        assertEquals(r.toString(), "aborted", r.get("state"));
        Eventually.within(Duration.ofSeconds(10), () -> assertEquals(rollout(id).toString(), 0,
                number(counts(rollout(id)).get("in_progress"))));
        assertEquals(r.toString(), cancelled.size(), number(counts(rollout(id)).get("cancelled")));
        ApiClient.Response twice = admin.post("/api/v1/rollouts/" + id + "/abort", Map.of());
        assertEquals("an aborted rollout cannot be aborted again: " + twice.body(), 409, twice.status());
        System.out.printf("abort: %d check-ins sent after the abort returned, none offered; %d agents cancelled%n",
                sim.checkIns(c -> c.sentNanos() > abortReturned.get()).size(), cancelled.size());
    }

    /**
     * Agents enrolled after the rollout started join its last wave: they are not offered anything before the last
     * wave opens, the last wave (and the rollout's targeted count) grows by them, and they all update in it.
     */
    @Test
    public void lateJoinersLandInTheLastWave() throws Exception {
        int count = 100;
        int late = 20;
        FleetSimulator sim = simulator(4);
        String fleet = newFleet();
        String token = joinToken(fleet, count + late);
        sim.enroll(token, count, fleet, FROM, Duration.ofMinutes(5), SIX_HOURS);
        List<Integer> planned = List.of(20, 30, 50);
        String id = (String) createRollout(fleet, List.of(Map.of("percent", 20), Map.of("percent", 30),
                Map.of("percent", 50)), Duration.ofMinutes(30), 25, 300, 90, 20).get("id");
        // the first wave is open and busy when the late agents enroll
        sim.run(Duration.ofHours(1), STEP, now -> sim.newOffers().isEmpty());
        assertFalse("the first wave started", sim.newOffers().isEmpty());
        List<SimulatedAgent> lateJoiners = sim.enroll(token, late, fleet + "-late", FROM, Duration.ZERO, SIX_HOURS);
        Set<String> lateIds = lateJoiners.stream().map(SimulatedAgent::id).collect(Collectors.toSet());

        WaveTimeline timeline = new WaveTimeline(planned, 90);
        sim.run(Duration.ofHours(12), STEP, now -> {
            Map<String, Object> r = rollout(id);
            assertCapHeld(r, sim, 25, now);
            timeline.sample(now, r, sim.newOffers().size());
            return !"completed".equals(r.get("state"));
        });
        Map<String, Object> done = rollout(id);
        assertEquals(describe(done, sim), "completed", done.get("state"));
        assertEquals("the late joiners are targeted too: " + done, count + late, number(counts(done).get("targeted")));
        assertEquals("the last wave took them: " + done, (int) planned.get(2) + late, number(waves(done).get(2).get("targeted")));
        Instant lastWaveOpened = timeline.openedAt(2);
        assertNotNull("the last wave opened", lastWaveOpened);
        for (FleetSimulator.CheckIn offer : sim.newOffers()) {
            if (lateIds.contains(offer.agentId())) {
                assertFalse("late joiner " + offer + " is offered only once the last wave is open (" + lastWaveOpened
                        + ")", offer.virtualAt().isBefore(lastWaveOpened));
            }
        }
        for (SimulatedAgent a : lateJoiners) {
            assertEquals("late joiner updated: " + a, TO, a.version());
        }
        timeline.assertWavesOpenedInOrder(Duration.ofMinutes(30), done);
    }

    /**
     * Five agents take the only five slots and are never heard of again. Nobody else is offered anything until the
     * slot timeout (15 minutes here) has passed; then their slots are free, they count as failed, and the others
     * update.
     */
    @Test
    public void slotsOfSilentAgentsAreFreedAfterTheSlotTimeout() throws Exception {
        int count = 60;
        FleetSimulator sim = simulator(5).slotTimeout(SLOT_TIMEOUT);
        String fleet = newFleet();
        List<SimulatedAgent> agents = sim.enroll(joinToken(fleet, count), count, fleet, FROM, Duration.ZERO, SIX_HOURS);
        Instant start = clock.instant();
        for (int i = 0; i < agents.size(); i++) {
            // the five silent ones ask first; the rest a minute later
            agents.get(i).dueAt(i < 5 ? start : start.plusSeconds(60));
            if (i < 5) {
                agents.get(i).plan(Outcome.silent());
            }
        }
        Set<String> silent = agents.subList(0, 5).stream().map(SimulatedAgent::id).collect(Collectors.toSet());
        String id = (String) createRollout(fleet, List.of(Map.of("percent", 100)), Duration.ZERO, 5, 60, 90, 50)
                .get("id");
        sim.step();
        assertEquals("the five silent agents hold the five slots", silent,
                sim.newOffers().stream().map(FleetSimulator.CheckIn::agentId).collect(Collectors.toSet()));
        Instant taken = clock.instant();
        sim.run(Duration.ofHours(3), STEP, now -> {
            assertCapHeld(rollout(id), sim, 5, now);
            return sim.newOffers().size() == 5;
        });
        List<FleetSimulator.CheckIn> offers = sim.newOffers();
        assertTrue("others were offered once the silent slots were freed: " + describe(rollout(id), sim),
                offers.size() > 5);
        FleetSimulator.CheckIn firstOther = offers.get(5);
        assertFalse("no other agent got a slot before the timeout: " + firstOther,
                firstOther.virtualAt().isBefore(taken.plus(SLOT_TIMEOUT)));
        Map<String, Object> r = rollout(id);
        assertTrue("the silent agents count as failed: " + r, number(counts(r).get("failed")) >= 5);
        sim.run(Duration.ofHours(6), STEP, now -> {
            Map<String, Object> s = rollout(id);
            assertCapHeld(s, sim, 5, now);
            return !"completed".equals(s.get("state"));
        });
        Map<String, Object> done = rollout(id);
        assertEquals(describe(done, sim), 5, number(counts(done).get("failed")));
        assertEquals(done.toString(), count - 5, number(counts(done).get("succeeded")));
    }

    /**
     * Two check-in streams (two simulators, each its own HTTP client and 12 threads) hit the server at the same
     * moment, every agent due at once, five times over: never more than max_concurrent agents get a slot, though
     * every burst asks for far more.
     */
    @Test
    public void twoConcurrentCheckInStreamsNeverExceedMaxConcurrent() throws Exception {
        int perStream = 100;
        int maxConcurrent = 15;
        FleetSimulator a = simulator(6, 12);
        FleetSimulator b = simulator(7, 12);
        String fleet = newFleet();
        String token = joinToken(fleet, 2 * perStream);
        List<SimulatedAgent> agents = new ArrayList<>(a.enroll(token, perStream, fleet + "-a", FROM, Duration.ZERO,
                SIX_HOURS));
        agents.addAll(b.enroll(token, perStream, fleet + "-b", FROM, Duration.ZERO, SIX_HOURS));
        agents.forEach(x -> x.outcomeByDefault(Outcome.succeed().taking(Duration.ofMinutes(2))));
        String id = (String) createRollout(fleet, List.of(Map.of("percent", 100)), Duration.ZERO, maxConcurrent, 0, 90,
                50).get("id");
        ExecutorService streams = Executors.newFixedThreadPool(2);
        try {
            for (int burst = 0; burst < 5; burst++) {
                Instant now = clock.advance(Duration.ofMinutes(3)); // the previous burst's runs have ended by now
                // the holders finish first (their reports free the slots) while the others wait...
                for (SimulatedAgent x : agents) {
                    if (!x.inRun()) {
                        x.dueAt(Instant.MAX);
                    }
                }
                a.step();
                b.step();
                // ...then everyone that has not updated asks at once
                for (SimulatedAgent x : agents) {
                    x.dueAt(now);
                }
                int before = a.newOffers().size() + b.newOffers().size();
                CyclicBarrier together = new CyclicBarrier(2);
                Future<Integer> fa = streams.submit(() -> {
                    together.await();
                    return a.step();
                });
                Future<Integer> fb = streams.submit(() -> {
                    together.await();
                    return b.step();
                });
                int acted = fa.get() + fb.get();
                int offered = a.newOffers().size() + b.newOffers().size() - before;
                Map<String, Object> r = rollout(id);
                int holding = a.holding() + b.holding();
                assertTrue("burst " + burst + ": " + holding + " agents hold slots, at most " + maxConcurrent + ": "
                        + r, holding <= maxConcurrent);
                assertTrue("burst " + burst + " server: " + r, number(counts(r).get("in_progress")) <= maxConcurrent);
                assertTrue("burst " + burst + ": far more asked than there are slots: " + acted, acted > 100);
                assertEquals("burst " + burst + ": every free slot was taken (" + acted + " asked): " + r,
                        maxConcurrent, holding);
                assertEquals("burst " + burst + ": one new offer per free slot", maxConcurrent, offered);
                System.out.printf("burst %d: %d agents asked at once, %d new offers, %d hold slots%n", burst, acted,
                        offered, holding);
            }
        } finally {
            streams.shutdownNow();
        }
    }

    /**
     * A completed rollout of 120 agents in waves of 10 %, 30 % and 60 % is rolled back: the agents go back wave by
     * wave in the same order, each wave's rollback opening only after the previous wave's reached the success
     * threshold (90 % of the agents that had succeeded in it are back) and the delay passed; never more than
     * max_concurrent revert at once, though every agent asks at once when the rollback starts; each simulated agent
     * checks the rollback manifest as the real agent does (downgrade bound to a rollout it took part in, back to the
     * version it came from) and none refuses it; the rollout ends rolled_back with every agent on its old version.
     */
    @Test
    public void aRollbackTakesTheAgentsBackWaveByWaveUnderTheCap() throws Exception {
        int count = 120;
        int maxConcurrent = 10;
        Duration delay = Duration.ofMinutes(30);
        FleetSimulator sim = simulator(8);
        String fleet = newFleet();
        List<SimulatedAgent> agents = sim.enroll(joinToken(fleet, count), count, fleet, FROM, Duration.ofMinutes(10),
                SIX_HOURS);
        agents.forEach(a -> a.outcomeByDefault(Outcome.succeed().taking(Duration.ofMinutes(5))));
        String id = (String) createRollout(fleet, List.of(Map.of("percent", 10), Map.of("percent", 30),
                Map.of("percent", 60)), delay, maxConcurrent, 120, 90, 20).get("id");
        sim.run(Duration.ofHours(8), STEP, now -> {
            Map<String, Object> r = rollout(id);
            assertCapHeld(r, sim, maxConcurrent, now);
            return !"completed".equals(r.get("state"));
        });
        assertEquals(describe(rollout(id), sim), "completed", rollout(id).get("state"));
        agents.forEach(a -> assertEquals(a.toString(), TO, a.version()));

        ApiClient.Response started = admin.post("/api/v1/rollouts/" + id + "/rollback", Map.of());
        assertEquals(started.body(), 200, started.status());
        Map<String, Object> rolling = rolloutOf(started);
        assertEquals(rolling.toString(), "rolling_back", rolling.get("state"));
        assertEquals(rolling.toString(), List.of("open", "pending", "pending"),
                waves(rolling).stream().map(w -> w.get("rollback_state")).toList());
        assertEquals(rolling.toString(), List.of(12, 36, 72),
                waves(rolling).stream().map(w -> number(w.get("to_revert"))).toList());
        Instant rollbackStart = clock.instant();
        int offersBefore = sim.newOffers().size();
        int maxBefore = sim.maxHolding();
        sim.resetMaxHolding();
        agents.forEach(a -> a.dueAt(rollbackStart)); // everyone asks at once

        Instant[] seenOpen = new Instant[3];
        sim.run(Duration.ofHours(8), STEP, now -> {
            Map<String, Object> r = rollout(id);
            assertCapHeld(r, sim, maxConcurrent, now);
            List<Map<String, Object>> waves = waves(r);
            long room = 0;
            for (int k = 0; k < waves.size(); k++) {
                Map<String, Object> w = waves.get(k);
                if ("pending".equals(w.get("rollback_state"))) {
                    assertEquals("at " + now + " nobody of wave " + k + " goes back before its rollback opened: " + w,
                            0, number(w.get("reverted")) + number(w.get("in_progress")));
                } else {
                    if (seenOpen[k] == null) {
                        seenOpen[k] = now;
                    }
                    room += number(w.get("to_revert"));
                }
            }
            long rollbackOffers = sim.newOffers().stream().skip(offersBefore).filter(o -> FROM.equals(o.offeredVersion()))
                    .count();
            assertTrue("at " + now + " " + rollbackOffers + " agents were offered the rollback, the open waves hold "
                    + room, rollbackOffers <= room);
            return !"rolled_back".equals(r.get("state"));
        });
        Map<String, Object> done = rollout(id);
        assertEquals(describe(done, sim), "rolled_back", done.get("state"));
        assertEquals(done.toString(), count, number(counts(done).get("reverted")));
        agents.forEach(a -> assertEquals("back on " + FROM + ": " + a, FROM, a.version()));
        assertEquals("no rollback manifest refused: " + sim.runEnds(), List.of(), sim.runEnds().stream()
                .filter(e -> "MANIFEST_ERROR".equals(e.errorCode())).toList());
        List<FleetSimulator.CheckIn> rollbackOffers = sim.newOffers().subList(offersBefore, sim.newOffers().size());
        assertEquals("one rollback run per agent: " + rollbackOffers.size(), count, rollbackOffers.size());
        for (FleetSimulator.CheckIn o : rollbackOffers) {
            assertEquals(o.toString(), FROM, o.offeredVersion());
            assertEquals(o.toString(), id, o.rolloutId());
        }
        List<Map<String, Object>> waves = waves(done);
        for (int k = 0; k < waves.size(); k++) {
            Map<String, Object> w = waves.get(k);
            assertEquals(w.toString(), "done", w.get("rollback_state"));
            assertNotNull("wave " + k + "'s rollback was seen open", seenOpen[k]);
            if (k > 0) {
                Instant opened = Instant.parse((String) w.get("rollback_opened_at"));
                Instant reached = Instant.parse((String) waves.get(k - 1).get("rollback_reached_at"));
                assertFalse("wave " + k + "'s rollback opened at " + opened + ", before wave " + (k - 1)
                        + "'s reached its threshold at " + reached + " plus " + delay, opened.isBefore(reached.plus(delay)));
                assertFalse("the server's stamp agrees with the samples: " + opened + " seen at " + seenOpen[k],
                        opened.isAfter(seenOpen[k]));
            }
        }
        assertTrue("the cap bound during the rollback too: " + sim.maxHolding() + " (before it " + maxBefore + ")",
                sim.maxHolding() == maxConcurrent);
        System.out.printf("rollback of %d agents: %s; waves' rollbacks opened at +%s, +%s, +%s%n", count,
                Duration.between(rollbackStart, clock.instant()), Duration.between(rollbackStart, seenOpen[0]),
                Duration.between(rollbackStart, seenOpen[1]), Duration.between(rollbackStart, seenOpen[2]));
    }

    // ---------------------------------------------------------------------------------------------------------------

    /** What the test remembers of the waves over time, to check when each opened. */
    private final class WaveTimeline {
        private final List<Integer> planned;
        private final int successPercent;
        private final Instant[] openedAt;
        private final Instant[] reachedAt;
        private final Instant start;
        private Instant last;

        WaveTimeline(List<Integer> planned, int successPercent) {
            this.planned = planned;
            this.successPercent = successPercent;
            this.openedAt = new Instant[planned.size()];
            this.reachedAt = new Instant[planned.size()];
            this.start = clock.instant();
        }

        /** One sample after a step: which waves are open, which reached their threshold, offers so far. */
        void sample(Instant now, Map<String, Object> rollout, int offersSoFar) {
            last = now;
            List<Map<String, Object>> waves = waves(rollout);
            int room = 0;
            for (int k = 0; k < waves.size(); k++) {
                Map<String, Object> w = waves.get(k);
                boolean open = !"pending".equals(w.get("state"));
                if (open && openedAt[k] == null) {
                    openedAt[k] = now;
                }
                long needed = (long) Math.ceil(planned.get(k) * successPercent / 100.0);
                if (reachedAt[k] == null && number(w.get("succeeded")) >= needed) {
                    reachedAt[k] = now;
                }
                if (openedAt[k] != null) {
                    room += number(w.get("targeted"));
                }
            }
            assertTrue("at " + now + " " + offersSoFar + " agents were offered the update, but the open waves hold "
                    + room + ": " + waves, offersSoFar <= room);
        }

        Instant openedAt(int k) {
            return openedAt[k];
        }

        /**
         * Wave k opened no earlier than the delay after wave k-1 reached its threshold: as sampled after every step,
         * and as the server itself stamped it ({@code opened_at}, {@code reached_at}, virtual time).
         */
        void assertWavesOpenedInOrder(Duration delay, Map<String, Object> finalRollout) {
            List<Map<String, Object>> waves = waves(finalRollout);
            for (int k = 1; k < waves.size(); k++) {
                Instant opened = Instant.parse((String) waves.get(k).get("opened_at"));
                Instant reached = Instant.parse((String) waves.get(k - 1).get("reached_at"));
                assertFalse("server: wave " + k + " opened_at " + opened + " before wave " + (k - 1) + " reached_at "
                        + reached + " plus " + delay, opened.isBefore(reached.plus(delay)));
                assertFalse("server stamps agree with the samples: wave " + k + " opened " + opened + ", seen open at "
                        + openedAt[k], opened.isAfter(openedAt[k]));
            }
            for (int k = 1; k < planned.size(); k++) {
                assertNotNull("wave " + k + " opened", openedAt[k]);
                assertNotNull("wave " + (k - 1) + " reached its threshold", reachedAt[k - 1]);
                assertFalse("wave " + k + " opened at " + openedAt[k] + ", before wave " + (k - 1)
                        + " reached its threshold (" + reachedAt[k - 1] + ") plus the delay " + delay,
                        openedAt[k].isBefore(reachedAt[k - 1].plus(delay)));
            }
        }

        String describe() {
            StringBuilder out = new StringBuilder(Duration.between(start, last).toString());
            for (int k = 0; k < planned.size(); k++) {
                out.append(String.format("; wave %d opened +%s, reached +%s", k,
                        openedAt[k] == null ? "-" : Duration.between(start, openedAt[k]),
                        reachedAt[k] == null ? "-" : Duration.between(start, reachedAt[k])));
            }
            return out.toString();
        }
    }

    private void assertCapHeld(Map<String, Object> rollout, FleetSimulator sim, int maxConcurrent, Instant now) {
        long serverSays = number(counts(rollout).get("in_progress"));
        assertTrue("at " + now + " the server counts " + serverSays + " in progress, cap " + maxConcurrent + ": "
                + rollout, serverSays <= maxConcurrent);
        assertTrue("at " + now + " " + sim.holding() + " simulated agents hold slots, cap " + maxConcurrent,
                sim.holding() <= maxConcurrent);
        assertTrue("at most " + maxConcurrent + " held at once; the simulator saw " + sim.maxHolding(),
                sim.maxHolding() <= maxConcurrent);
        long waveSum = waves(rollout).stream().mapToLong(w -> number(w.get("in_progress"))).sum();
        assertEquals("the waves' in_progress add up to the rollout's: " + rollout, serverSays, waveSum);
    }

    private FleetSimulator simulator(long seed) {
        return simulator(seed, 6);
    }

    private FleetSimulator simulator(long seed, int threads) {
        FleetSimulator sim = new FleetSimulator("http://127.0.0.1:" + context.getProperty("org.osgi.service.http.port"),
                clock, threads, seed).slotTimeout(SLOT_TIMEOUT);
        simulators.add(sim);
        return sim;
    }

    private String newFleet() throws Exception {
        String id = "sim" + FLEETS.incrementAndGet();
        ApiClient.Response r = admin.post("/api/v1/fleets", Map.of("id", id, "name", "Simulated " + id));
        assertEquals(r.body(), 201, r.status());
        return id;
    }

    private String joinToken(String fleet, int maxUses) throws Exception {
        ApiClient.Response r = admin.post("/api/v1/fleets/" + fleet + "/join-tokens", Map.of("max_uses", maxUses));
        assertEquals(r.body(), 201, r.status());
        return (String) r.json().get("token");
    }

    private Map<String, Object> createRollout(String fleet, List<Map<String, Object>> waves, Duration delay,
                                              int maxConcurrent, int jitterSeconds, int successPercent,
                                              int failurePercent) throws Exception {
        Map<String, Object> plan = new LinkedHashMap<>();
        plan.put("canary", null);
        plan.put("waves", waves);
        plan.put("delay_between_waves_seconds", delay.toSeconds());
        plan.put("max_concurrent", maxConcurrent);
        plan.put("jitter_seconds", jitterSeconds);
        plan.put("success_threshold_percent", successPercent);
        plan.put("failure_threshold_percent", failurePercent);
        // the rollout starts after every agent enrolled so far (by the wall clock that stamps enrollments)
        clock.advanceTo(Instant.now());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("component", "agent");
        body.put("version", TO);
        body.put("fleets", List.of(fleet));
        body.put("plan", plan);
        body.put("require_approval", false);
        ApiClient.Response r = admin.post("/api/v1/rollouts", body);
        assertEquals(r.body(), 201, r.status());
        return rolloutOf(r);
    }

    private Map<String, Object> rollout(String id) throws Exception {
        ApiClient.Response r = admin.get("/api/v1/rollouts/" + id);
        assertEquals(r.body(), 200, r.status());
        return rolloutOf(r);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> rolloutOf(ApiClient.Response r) {
        Object rollout = r.json().get("rollout");
        assertTrue("a rollout object: " + r.body(), rollout instanceof Map);
        return (Map<String, Object>) rollout;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> counts(Map<String, Object> rollout) {
        return (Map<String, Object>) rollout.get("counts");
    }

    private static List<Map<String, Object>> waves(Map<String, Object> rollout) {
        return list(rollout.get("waves"));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object o) {
        return o == null ? List.of() : (List<Map<String, Object>>) o;
    }

    private static int number(Object o) {
        assertTrue("a number: " + o, o instanceof Number);
        return ((Number) o).intValue();
    }

    private String describe(Map<String, Object> rollout, FleetSimulator sim) {
        return rollout + "\nsimulator: " + sim.checkIns().size() + " check-ins, " + sim.newOffers().size()
                + " offers, " + sim.holding() + " holding, clock " + clock.instant();
    }
}
