package io.printmaster.server.releases.impl;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One sync as it runs: its identity, its counters and the ordered list of events it emitted, which server-sent
 * event streams replay from any position and then follow until the sync finishes. Thread-safe: the intake thread
 * emits, any number of HTTP threads read.
 */
final class SyncRun {
    /** More events than this are not kept in memory (progress events are throttled, so only huge syncs get here). */
    static final int MAX_EVENTS = 20_000;

    static final String RUNNING = "running";
    static final String FINISHED = "finished";
    static final String FAILED = "failed";
    /** Skipped: the artifact is recorded and cached already. */
    static final String ALREADY_CACHED = "already_cached";
    /** Skipped: older than the newest {@code keep_versions} of its component and channel. */
    static final String BEYOND_KEPT_VERSIONS = "beyond_kept_versions";

    /** One server-sent event: its number (0-based, the SSE {@code id}), name and JSON-ready data. */
    record Event(int id, String name, Map<String, Object> data) {
    }

    private final String id;
    private final String triggeredBy;
    private final String startedBy;
    private final Instant startedAt;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final List<Event> events = new ArrayList<>();
    private String state = RUNNING;
    private int cached;
    private int rejected;
    private int skipped;
    private int pruned;
    private final Map<String, Integer> skippedReasons = new TreeMap<>();
    /** Event streams following the run; called under the lock, in event order, and must not block. */
    private final List<Follower> followers = new ArrayList<>();

    /** Someone who follows the run's events as they happen (an open event stream). */
    interface Follower {
        /** One event; called in order, under the run's lock: must not block (queue it). */
        void event(Event e);

        /** The run ended and every event was delivered. */
        void ended();
    }

    SyncRun(String id, String triggeredBy, String startedBy, Instant startedAt) {
        this.id = id;
        this.triggeredBy = triggeredBy;
        this.startedBy = startedBy;
        this.startedAt = startedAt;
    }

    String id() {
        return id;
    }

    String triggeredBy() {
        return triggeredBy;
    }

    String startedBy() {
        return startedBy;
    }

    Instant startedAt() {
        return startedAt;
    }

    void emit(String name, Map<String, Object> data) {
        lock.lock();
        try {
            if (events.size() >= MAX_EVENTS) {
                return; // the outcome still arrives: finish() always adds the finished event
            }
            Event e = new Event(events.size(), name, data);
            events.add(e);
            // a copy: a follower whose stream closes unsubscribes while it is called
            List.copyOf(followers).forEach(f -> f.event(e));
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void countCached() {
        add(1, 0, 0, 0);
    }

    void countRejected() {
        add(0, 1, 0, 0);
    }

    /**
     * @param reason why: a source's {@link io.printmaster.api.release.Skipped#reason()}, or the intake's own
     *               {@value #ALREADY_CACHED} and {@value #BEYOND_KEPT_VERSIONS}
     */
    void countSkipped(String reason, int n) {
        if (n <= 0) {
            return;
        }
        lock.lock();
        try {
            skippedReasons.merge(reason, n, Integer::sum);
        } finally {
            lock.unlock();
        }
        add(0, 0, n, 0);
    }

    void countPruned(int n) {
        add(0, 0, 0, n);
    }

    private void add(int c, int r, int s, int p) {
        lock.lock();
        try {
            cached += c;
            rejected += r;
            skipped += s;
            pruned += p;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends the run with its {@code finished} event, atomically: a stream that sees the run ended has that event
     * already, and ends after delivering it.
     */
    void finish(String finalState, String message) {
        lock.lock();
        try {
            state = finalState;
            Snapshot s = new Snapshot(id, triggeredBy, startedBy, startedAt, state, cached, rejected, skipped, pruned,
                    events.size(), Map.copyOf(skippedReasons));
            Event e = new Event(events.size(), "finished", SyncEvents.finished(s, message));
            events.add(e);
            List<Follower> all = List.copyOf(followers);
            followers.clear();
            for (Follower f : all) {
                f.event(e);
                f.ended();
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The counters and state at this moment. */
    record Snapshot(String id, String triggeredBy, String startedBy, Instant startedAt, String state, int cachedCount,
                    int rejectedCount, int skippedCount, int prunedCount, int eventCount,
                    Map<String, Integer> skippedReasons) {
    }

    Snapshot snapshot() {
        lock.lock();
        try {
            return new Snapshot(id, triggeredBy, startedBy, startedAt, state, cached, rejected, skipped, pruned, events.size(),
                    Map.copyOf(skippedReasons));
        } finally {
            lock.unlock();
        }
    }

    boolean isRunning() {
        lock.lock();
        try {
            return RUNNING.equals(state);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The events from number {@code from} on; when there are none yet and the run is still going, waits up to
     * {@code maxWaitMillis} for some. An empty answer with {@link #isRunning()} false means the stream is complete.
     */
    List<Event> eventsFrom(int from, long maxWaitMillis) throws InterruptedException {
        lock.lock();
        try {
            long nanos = TimeUnit.MILLISECONDS.toNanos(maxWaitMillis);
            while (events.size() <= from && RUNNING.equals(state) && nanos > 0) {
                nanos = changed.awaitNanos(nanos);
            }
            return from >= events.size() ? List.of() : List.copyOf(events.subList(Math.max(0, from), events.size()));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Delivers the events from number {@code from} on to {@code follower}, then each new one as it is emitted, and
     * {@link Follower#ended()} after the last; atomically, so no event is missed or repeated in between. Nothing
     * waits: the follower is called by whoever emits.
     *
     * @return stops the following (the stream closed); harmless after the end
     */
    Runnable follow(int from, Follower follower) {
        lock.lock();
        try {
            for (int i = Math.max(0, from); i < events.size(); i++) {
                follower.event(events.get(i));
            }
            if (!RUNNING.equals(state)) {
                follower.ended();
                return () -> { };
            }
            followers.add(follower);
        } finally {
            lock.unlock();
        }
        return () -> {
            lock.lock();
            try {
                followers.remove(follower);
            } finally {
                lock.unlock();
            }
        };
    }
}
