package io.printmaster.server.releases.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.http.api.EventSink;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The server-sent event stream of a sync: replay, live following without a waiting thread (each event reaches the
 * sink on the emitting thread, as it happens), and its end.
 */
class SyncEventStreamTest {

    private static SyncRun run() {
        return new SyncRun("sync-1", "api", "admin", Instant.parse("2026-11-26T12:00:00Z"));
    }

    /** The stream's open end as the dispatcher gives it, recording frames instead of writing them. */
    private static final class RecordingSink implements EventSink {
        final List<String> frames = new ArrayList<>();
        final List<Runnable> onClose = new ArrayList<>();
        boolean closed;

        @Override
        public synchronized boolean send(String frame) {
            if (closed) {
                return false;
            }
            frames.add(frame);
            return true;
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                onClose.forEach(Runnable::run);
            }
        }

        @Override
        public synchronized boolean isOpen() {
            return !closed;
        }

        @Override
        public synchronized void onClose(Runnable action) {
            if (closed) {
                action.run();
            } else {
                onClose.add(action);
            }
        }

        synchronized String text() {
            return String.join("", frames);
        }
    }

    @Test
    void aFinishedSyncIsReplayedInOrderAndTheStreamEnds() {
        SyncRun run = run();
        run.emit("started", Map.of("sync_id", "sync-1"));
        run.emit("asset_rejected", Map.of("sync_id", "sync-1", "reason", "HASH_MISMATCH"));
        run.countRejected();
        run.finish(SyncRun.FINISHED, null);
        RecordingSink sink = new RecordingSink();
        ReleasesResource.follow(run, 0, sink);
        String text = sink.text();
        assertTrue(sink.closed, "the stream of a finished sync ends after the replay");
        assertTrue(text.startsWith("retry: 2000\n\n"), text);
        assertTrue(text.contains("id: 0\nevent: started\ndata: {\"sync_id\":\"sync-1\"}\n\n"), text);
        assertTrue(text.contains("id: 1\nevent: asset_rejected\ndata: "), text);
        assertTrue(text.contains("\"reason\":\"HASH_MISMATCH\""), text);
        assertTrue(text.endsWith("\n\n") && text.contains("id: 2\nevent: finished\ndata: {\"sync_id\":\"sync-1\",\"state\":\"finished\","
                + "\"cached_count\":0,\"rejected_count\":1"), text);
    }

    @Test
    void aReconnectingClientContinuesAfterItsLastEvent() {
        SyncRun run = run();
        run.emit("started", Map.of());
        run.emit("asset_started", Map.of());
        run.finish(SyncRun.FINISHED, null);
        RecordingSink sink = new RecordingSink();
        ReleasesResource.follow(run, 2, sink);
        String text = sink.text();
        assertTrue(!text.contains("event: started") && text.contains("id: 2\nevent: finished"), text);
    }

    @Test
    void liveEventsReachTheStreamAsTheyHappenAndTheStreamEndsWithTheSync() {
        SyncRun run = run();
        RecordingSink sink = new RecordingSink();
        ReleasesResource.follow(run, 0, sink);
        assertEquals(List.of("retry: 2000\n\n"), sink.frames, "following returns at once: no thread waits for events");
        run.emit("started", Map.of("sync_id", "sync-1"));
        assertTrue(sink.text().contains("event: started"), "the event is in the stream when emit returns");
        assertFalse(sink.closed);
        run.emit("progress", Map.of("bytes", 10));
        run.finish(SyncRun.FINISHED, null);
        String text = sink.text();
        assertEquals(3, text.split("\nevent: ").length - 1, text);
        assertTrue(text.contains("event: finished"), text);
        assertTrue(sink.closed, "the stream ends with the sync");
    }

    @Test
    void aClosedStreamNoLongerFollowsTheRun() {
        SyncRun run = run();
        RecordingSink sink = new RecordingSink();
        ReleasesResource.follow(run, 0, sink);
        sink.close(); // the client left
        run.emit("started", Map.of());
        assertFalse(sink.text().contains("event: started"), sink.text());
        run.finish(SyncRun.FINISHED, null); // and the run's end does not reach a closed stream twice
        assertTrue(sink.closed);
    }
}
