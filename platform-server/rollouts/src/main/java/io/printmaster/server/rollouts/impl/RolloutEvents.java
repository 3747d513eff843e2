package io.printmaster.server.rollouts.impl;

import io.printmaster.server.notifications.api.ServerEvent;
import io.printmaster.server.notifications.api.ServerEvents;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the server's event bus (when the notifications bundle runs) how rollouts move: {@code rollout.progress} when a
 * rollout's state changes and, at most once a second per rollout, when only its counts do; {@code rollout.paused}
 * when this process paused one on its failure threshold.
 *
 * <p>The code that changes a rollout only says that it touched it ({@link #touched}, {@link #paused}), often inside a
 * transaction it does not own (a check-in's, a telemetry report's). This class's own thread then reads the rollout:
 * the writer holds the rollout's row locked until it commits, so the read waits for the commit and sees the state as
 * committed (or as before, after a rollback: then nothing is published). A pause is announced only by the process
 * whose transaction made it, so it reaches the audit log once.
 */
final class RolloutEvents {
    private static final Logger LOG = LoggerFactory.getLogger(RolloutEvents.class);
    static final Duration COUNTS_INTERVAL = Duration.ofSeconds(1);

    private record Published(String state, Object counts, long atNanos) {
    }

    private record Pause(String reason, int failed) {
    }

    private final RolloutStore store;
    private final Map<String, Published> published = new ConcurrentHashMap<>();
    private final Map<String, Pause> pauses = new ConcurrentHashMap<>();
    /** Rollouts with a read queued; a touch while one is queued needs no other. */
    private final Set<String> queued = ConcurrentHashMap.newKeySet();
    private volatile ServerEvents bus;
    private ScheduledExecutorService executor;

    RolloutEvents(RolloutStore store) {
        this.store = store;
    }

    synchronized void bind(ServerEvents events) {
        if (executor == null) {
            executor = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "pm-rollout-events");
                t.setDaemon(true);
                return t;
            });
        }
        bus = events;
    }

    synchronized void unbind(ServerEvents events) {
        if (bus == events) {
            bus = null;
        }
    }

    synchronized void close() {
        bus = null;
        if (executor != null) {
            executor.shutdownNow();
            executor = null;
        }
    }

    /** The rollout may have changed (state or counts); cheap when nobody listens. */
    void touched(String rolloutId) {
        if (bus != null && queued.add(rolloutId)) {
            schedule(rolloutId, 0);
        }
    }

    /** This process paused the rollout on its failure threshold (in a transaction that may still roll back). */
    void paused(String rolloutId, String reason, int failed) {
        if (bus != null) {
            pauses.put(rolloutId, new Pause(reason, failed));
            touched(rolloutId);
        }
    }

    private synchronized void schedule(String rolloutId, long delayMillis) {
        try {
            if (executor != null) {
                executor.schedule(() -> observe(rolloutId), delayMillis, TimeUnit.MILLISECONDS);
                return;
            }
        } catch (RejectedExecutionException stopping) {
            // closing: nothing more to publish
        }
        queued.remove(rolloutId);
    }

    private void observe(String id) {
        queued.remove(id); // a change from now on queues another read
        ServerEvents events = bus;
        if (events == null) {
            return;
        }
        // taken before the read: a pause recorded from now on queues another read, and one recorded before was
        // recorded after its transaction's UPDATE, so the read below waits for that commit and sees it (or not, if
        // the transaction rolled back). Taken after the read, a pause made meanwhile met the older state and was lost.
        Pause pause = pauses.remove(id);
        try {
            Optional<Rollout> found = store.find(id);
            if (found.isEmpty()) {
                return;
            }
            Rollout r = found.get();
            Object counts = RolloutViews.view(r, store.counts(id), store.waves(id), Map.of()).get("counts");
            if (pause != null && Rollout.PAUSED.equals(r.state())) {
                Map<String, Object> data = base(r);
                data.put("reason", pause.reason());
                data.put("failed", pause.failed());
                events.publish(event(ServerEvent.ROLLOUT_PAUSED, r, data));
            }
            Published last = published.get(id);
            long now = System.nanoTime();
            boolean stateChanged = last == null || !last.state().equals(r.state());
            if (!stateChanged && last.counts().equals(counts)) {
                return;
            }
            long wait = stateChanged ? 0 : last.atNanos() + COUNTS_INTERVAL.toNanos() - now;
            if (wait > 0) {
                if (queued.add(id)) {
                    schedule(id, TimeUnit.NANOSECONDS.toMillis(wait) + 1);
                }
                return;
            }
            Map<String, Object> data = base(r);
            data.put("state", r.state());
            data.put("counts", counts);
            events.publish(event(ServerEvent.ROLLOUT_PROGRESS, r, data));
            if (r.active()) {
                published.put(id, new Published(r.state(), counts, now));
            } else {
                published.remove(id); // ended: nothing more to compare with (an action that reopens it changes its state)
            }
        } catch (Exception e) {
            LOG.warn("rollout {} could not be read for its events: {}", id, e.toString());
        }
    }

    private static Map<String, Object> base(Rollout r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rollout_id", r.id());
        m.put("component", r.component());
        m.put("version", r.version());
        m.put("fleets", r.fleets());
        return m;
    }

    /** A rollout of one fleet is that fleet's event; of several, everyone's who may see all of them (data.fleets). */
    private ServerEvent event(String type, Rollout r, Map<String, Object> data) {
        List<String> fleets = r.fleets();
        return new ServerEvent(type, store.now(), fleets.size() == 1 ? fleets.get(0) : null, data);
    }
}
