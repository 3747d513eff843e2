package io.printmaster.server.notifications.impl;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The last {@value #CAPACITY} events of this process, numbered, and the open streams that follow them. Appending an
 * event and subscribing are atomic with respect to each other, so a stream that resumes from an id gets every later
 * event exactly once: from the replay or from the fan-out, never both, never neither. Subscribers are called on the
 * dispatcher's thread and must not block (an {@code EventSink} only queues).
 */
final class EventRing {
    static final int CAPACITY = 1000;

    private final Deque<SequencedEvent> ring = new ArrayDeque<>(CAPACITY);
    private final List<Consumer<SequencedEvent>> subscribers = new CopyOnWriteArrayList<>();
    private long lastSeq;

    /** Keeps the event and hands it to every subscriber. */
    synchronized void append(SequencedEvent e) {
        if (ring.size() == CAPACITY) {
            ring.removeFirst();
        }
        ring.addLast(e);
        lastSeq = e.seq();
        for (Consumer<SequencedEvent> s : subscribers) {
            s.accept(e);
        }
    }

    /** The number the next event gets. */
    synchronized long nextSeq() {
        return lastSeq + 1;
    }

    /**
     * Replays the kept events after {@code lastSeenSeq} to {@code subscriber}, then hands it every new one until the
     * returned handle is run.
     *
     * @param lastSeenSeq the {@code Last-Event-ID} of a reconnecting client, or -1 for nothing to replay; an id above
     *                    the newest event comes from before this process started (numbers start again at 1), so the
     *                    whole ring is replayed
     * @param maxReplay   the newest this many at most are replayed
     */
    synchronized Runnable subscribe(long lastSeenSeq, int maxReplay, Consumer<SequencedEvent> subscriber) {
        if (lastSeenSeq >= 0) {
            long after = Math.max(lastSeenSeq > lastSeq ? 0 : lastSeenSeq, lastSeq - maxReplay);
            for (SequencedEvent e : ring) {
                if (e.seq() > after) {
                    subscriber.accept(e);
                }
            }
        }
        subscribers.add(subscriber);
        return () -> subscribers.remove(subscriber);
    }

    /** The kept events, oldest first. */
    synchronized List<SequencedEvent> snapshot() {
        return new ArrayList<>(ring);
    }

    int subscriberCount() {
        return subscribers.size();
    }
}
