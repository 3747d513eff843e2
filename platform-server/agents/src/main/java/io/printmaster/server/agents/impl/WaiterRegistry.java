package io.printmaster.server.agents.impl;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The agents waiting on this replica for a push ({@code GET /api/v1/agents/update/wait}), and the push events of the
 * last {@code replayMillis} (so that an agent reconnecting with its cursor gets what it missed meanwhile).
 *
 * <p>One wait per agent: a second wait of the same agent ends the first with no events (its client is gone or
 * confused; the newest request is the one that is read). Waiters are indexed by agent and by fleet, so an agent's
 * event wakes one waiter, a fleet's event the waiters of that fleet, and only a server-wide event (the global policy)
 * touches every waiter. Waking runs on {@code waker} (listeners of signals must return at once).
 *
 * <p>Race-free without a lock around the whole: an event is recorded before waiters are looked up, and a waiter is
 * registered before the recorded events are looked up, so each event either finds the waiter or is found by it.
 */
final class WaiterRegistry {
    /** What woke a waiter: the events (empty when it was replaced or ended) and the cursor to send next time. */
    record Answer(List<Map<String, Object>> events, WaitCursor cursor) {
    }

    /** A push event: one element of an answer's {@code events}, and what it is about (to replay it). */
    record Event(long seq, long receivedMillis, Scope scope, String key, Map<String, Object> body) {
    }

    /** Whom an event concerns. */
    enum Scope { AGENT, FLEET, ALL }

    /** One waiting request; answered at most once. */
    static final class Waiter {
        final String agentId;
        final String fleetId;
        private final Consumer<Answer> answer;
        private final AtomicBoolean done = new AtomicBoolean();

        private Waiter(String agentId, String fleetId, Consumer<Answer> answer) {
            this.agentId = agentId;
            this.fleetId = fleetId;
            this.answer = answer;
        }

        boolean isDone() {
            return done.get();
        }
    }

    private final int maxWaiters;
    private final long replayMillis;
    private final int maxRecent;
    private final LongSupplier clock;
    private final Executor waker;
    private final Map<String, Waiter> byAgent = new ConcurrentHashMap<>();
    private final Map<String, Set<Waiter>> byFleet = new ConcurrentHashMap<>();
    private final AtomicInteger waiting = new AtomicInteger();
    // guarded by recent: events in the order they arrived here, and the same indexed by whom they concern
    private final ArrayDeque<Event> recent = new ArrayDeque<>();
    private final Map<String, Deque<Event>> recentByKey = new HashMap<>();
    private long highestSeq;

    WaiterRegistry(int maxWaiters, long replayMillis, int maxRecent, LongSupplier clock, Executor waker) {
        this.maxWaiters = maxWaiters;
        this.replayMillis = replayMillis;
        this.maxRecent = maxRecent;
        this.clock = clock;
        this.waker = waker;
    }

    int waiting() {
        return waiting.get();
    }

    /** Whether a wait of this agent would be refused: the replica holds its most waits, none of them the agent's. */
    boolean isFull(String agentId) {
        return waiting.get() >= maxWaiters && !byAgent.containsKey(agentId);
    }

    /**
     * A cursor for "now": the highest sequence number recorded here, and the next millisecond (events recorded in
     * this one are known to the caller; a late-committing signal with a lower number arriving within the same
     * millisecond after this call is the one case missed, and a check-in covers it at the latest at the next poll).
     */
    WaitCursor cursorNow() {
        synchronized (recent) {
            return new WaitCursor(highestSeq, clock.getAsLong() + 1);
        }
    }

    /**
     * Registers a wait: answered at once (on this thread) with the events recorded after {@code since} that concern
     * the agent, else kept until an event wakes it, {@link #cancel} ends it or another wait of the agent replaces it.
     *
     * @param since the agent's cursor, or null (nothing to replay)
     * @return the waiter (perhaps answered already), or null when this replica holds its most waits
     */
    Waiter wait(String agentId, String fleetId, WaitCursor since, Consumer<Answer> answer) {
        if (isFull(agentId)) {
            return null;
        }
        Waiter waiter = new Waiter(agentId, fleetId, answer);
        Waiter previous = byAgent.put(agentId, waiter);
        if (previous == null) {
            waiting.incrementAndGet();
        } else {
            // one wait per agent: the newest is the one its client reads
            removeFromFleet(previous);
            finish(previous, List.of());
        }
        byFleet.computeIfAbsent(fleetId, f -> ConcurrentHashMap.newKeySet()).add(waiter);
        if (since != null) {
            List<Map<String, Object>> missed = recordedAfter(since, agentId, fleetId);
            if (!missed.isEmpty()) {
                finish(waiter, missed);
            }
        }
        return waiter;
    }

    /** Ends a wait without events (timed out, client gone); idempotent. */
    void cancel(Waiter waiter) {
        finish(waiter, List.of());
    }

    /** Ends the agent's wait without events (its credential was revoked: the next wait is refused). */
    void endAgent(String agentId) {
        Waiter w = byAgent.get(agentId);
        if (w != null) {
            finish(w, List.of());
        }
    }

    /** Records an event and wakes whom it concerns. Returns at once; waking runs on the waker. */
    void publish(long seq, Scope scope, String key, Map<String, Object> body) {
        Event event = new Event(seq, clock.getAsLong(), scope, key, Map.copyOf(body));
        record(event);
        waker.execute(() -> wake(event));
    }

    private void wake(Event event) {
        List<Map<String, Object>> events = List.of(event.body());
        switch (event.scope()) {
            case AGENT -> {
                Waiter w = byAgent.get(event.key());
                if (w != null) {
                    answerAndForget(w, events);
                }
            }
            case FLEET -> {
                Set<Waiter> fleet = byFleet.get(event.key());
                if (fleet != null) {
                    for (Waiter w : List.copyOf(fleet)) {
                        answerAndForget(w, events);
                    }
                }
            }
            case ALL -> {
                for (Waiter w : List.copyOf(byAgent.values())) {
                    answerAndForget(w, events);
                }
            }
        }
    }

    private void answerAndForget(Waiter w, List<Map<String, Object>> events) {
        finish(w, events);
    }

    private void removeFromFleet(Waiter w) {
        byFleet.computeIfPresent(w.fleetId, (f, set) -> {
            set.remove(w);
            return set.isEmpty() ? null : set;
        });
    }

    /** Answers the waiter once and takes it out of the indexes. */
    private boolean finish(Waiter w, List<Map<String, Object>> events) {
        if (!w.done.compareAndSet(false, true)) {
            return false;
        }
        if (byAgent.remove(w.agentId, w)) {
            waiting.decrementAndGet();
            removeFromFleet(w);
        }
        w.answer.accept(new Answer(events, cursorNow()));
        return true;
    }

    private void record(Event event) {
        synchronized (recent) {
            highestSeq = Math.max(highestSeq, event.seq());
            recent.addLast(event);
            recentByKey.computeIfAbsent(indexKey(event.scope(), event.key()), k -> new ArrayDeque<>()).addLast(event);
            prune(event.receivedMillis());
        }
    }

    /** Drops events older than the replay window, and the oldest beyond {@code maxRecent}. Guarded by recent. */
    private void prune(long now) {
        while (!recent.isEmpty() && (recent.size() > maxRecent || recent.peekFirst().receivedMillis() < now - replayMillis)) {
            Event old = recent.pollFirst();
            String k = indexKey(old.scope(), old.key());
            Deque<Event> of = recentByKey.get(k);
            if (of != null) {
                of.remove(old);
                if (of.isEmpty()) {
                    recentByKey.remove(k);
                }
            }
        }
    }

    private static String indexKey(Scope scope, String key) {
        return switch (scope) {
            case AGENT -> "a:" + key;
            case FLEET -> "f:" + key;
            case ALL -> "*";
        };
    }

    /**
     * The events concerning the agent recorded after {@code since}: with a higher sequence number than it saw, or
     * arriving here at or after its time (a transaction that committed late has a lower number). May repeat an event
     * (an agent answers each with a check-in, so a repeat costs one check-in), never misses one still in the window.
     */
    private List<Map<String, Object>> recordedAfter(WaitCursor since, String agentId, String fleetId) {
        List<Map<String, Object>> out = new ArrayList<>();
        synchronized (recent) {
            prune(clock.getAsLong());
            for (String k : List.of("a:" + agentId, "f:" + fleetId, "*")) {
                Deque<Event> of = recentByKey.get(k);
                if (of == null) {
                    continue;
                }
                for (Event e : of) {
                    if (e.seq() > since.seq() || e.receivedMillis() >= since.millis()) {
                        out.add(e.body());
                    }
                }
            }
        }
        return out;
    }
}
