package io.printmaster.server.rollouts.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.server.notifications.api.ServerEvent;
import io.printmaster.server.notifications.api.ServerEvents;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rollouts tell the server's events how they move: rollout.progress on every state change with the counts as the API
 * shows them, count changes at most once a second, and rollout.paused once when the failure threshold pauses one.
 */
class RolloutEventsTest {
    @TempDir
    Path dir;
    RolloutsFixture f;
    final List<ServerEvent> published = new CopyOnWriteArrayList<>();

    @BeforeEach
    void open() throws Exception {
        f = new RolloutsFixture(dir);
        f.release("1.0.0");
        f.release("1.1.0");
        f.fleets.set("lab", RolloutsFixture.policy(RolloutsFixture.control(false, 10, 50, 0, 0), false), Instant.EPOCH);
        ServerEvents bus = published::add;
        f.store.setServerEvents(bus);
    }

    @AfterEach
    void close() {
        f.store.deactivate();
        f.close();
    }

    private ServerEvent await(String what, Predicate<ServerEvent> match) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            for (ServerEvent e : published) {
                if (match.test(e)) {
                    return e;
                }
            }
            assertTrue(System.nanoTime() < deadline, "no " + what + " in " + published);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    private static Predicate<ServerEvent> progress(String state) {
        return e -> e.type().equals(ServerEvent.ROLLOUT_PROGRESS) && state.equals(e.data().get("state"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void stateChangesCountsAndAnAutomaticPauseArePublished() throws Exception {
        List<String> agents = f.agents("lab", 10, "1.0.0");
        Rollout r = f.adminRollout("1.1.0", List.of("lab"), RolloutsFixture.plan(List.of(RolloutsFixture.percent(100)),
                0, 10, 90, 20), Map.of());
        ServerEvent running = await("running", progress(Rollout.RUNNING));
        assertEquals("lab", running.fleet(), "a rollout of one fleet is that fleet's event");
        assertEquals(r.id(), running.data().get("rollout_id"));
        assertEquals(10, ((Map<String, Object>) running.data().get("counts")).get("targeted"));

        List<String> runs = new ArrayList<>();
        for (String a : agents) {
            String run = f.run();
            runs.add(run);
            f.checkIn(a, run);
        }
        await("counts with 10 in progress", e -> e.type().equals(ServerEvent.ROLLOUT_PROGRESS)
                && Integer.valueOf(10).equals(((Map<String, Object>) e.data().get("counts")).get("in_progress")));
        long countEvents = published.stream().filter(progress(Rollout.RUNNING)).count();
        assertTrue(countEvents <= 4, "ten check-ins within a second or two give at most a few count events: " + countEvents);

        f.report(agents.get(0), runs.get(0), "failed", "1.0.0", "HEALTH_CHECK");
        f.report(agents.get(1), runs.get(1), "rolled_back", "1.0.0", "HEALTH_CHECK");
        assertEquals(Rollout.PAUSED, f.rollout(r.id()).state());
        ServerEvent paused = await("rollout.paused", e -> e.type().equals(ServerEvent.ROLLOUT_PAUSED));
        assertEquals(2, paused.data().get("failed"));
        assertTrue(((String) paused.data().get("reason")).contains("2 of 10"), paused.data().toString());
        await("progress paused", progress(Rollout.PAUSED));
        assertEquals(1, published.stream().filter(e -> e.type().equals(ServerEvent.ROLLOUT_PAUSED)).count());
    }

    @Test
    void aPauseByAnAdministratorIsProgressNotANotification() throws Exception {
        f.agents("lab", 2, "1.0.0");
        Rollout r = f.adminRollout("1.1.0", List.of("lab"), RolloutsFixture.plan(List.of(RolloutsFixture.percent(100)),
                0, 10, 90, 20), Map.of());
        f.actions.act(r, "pause", "alice");
        await("progress paused", progress(Rollout.PAUSED));
        f.actions.act(f.rollout(r.id()), "abort", "alice");
        await("progress aborted", progress(Rollout.ABORTED));
        assertEquals(0, published.stream().filter(e -> e.type().equals(ServerEvent.ROLLOUT_PAUSED)).count());
    }
}
