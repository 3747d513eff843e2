package io.printmaster.server.releases.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The server-sent event stream of a sync: replay, live following, one flush per event, and its end. */
class SyncEventStreamTest {

    private static SyncRun run() {
        return new SyncRun("sync-1", "api", "admin", Instant.parse("2026-11-26T12:00:00Z"));
    }

    @Test
    void aFinishedSyncIsReplayedInOrderAndTheStreamEnds() throws Exception {
        SyncRun run = run();
        run.emit("started", Map.of("sync_id", "sync-1"));
        run.emit("asset_rejected", Map.of("sync_id", "sync-1", "reason", "HASH_MISMATCH"));
        run.countRejected();
        run.finish(SyncRun.FINISHED, null);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ReleasesResource.follow(run, 0, out);
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("retry: 2000\n\n"), text);
        assertTrue(text.contains("id: 0\nevent: started\ndata: {\"sync_id\":\"sync-1\"}\n\n"), text);
        assertTrue(text.contains("id: 1\nevent: asset_rejected\ndata: "), text);
        assertTrue(text.contains("\"reason\":\"HASH_MISMATCH\""), text);
        assertTrue(text.endsWith("\n\n") && text.contains("id: 2\nevent: finished\ndata: {\"sync_id\":\"sync-1\",\"state\":\"finished\","
                + "\"cached_count\":0,\"rejected_count\":1"), text);
    }

    @Test
    void aReconnectingClientContinuesAfterItsLastEvent() throws Exception {
        SyncRun run = run();
        run.emit("started", Map.of());
        run.emit("asset_started", Map.of());
        run.finish(SyncRun.FINISHED, null);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ReleasesResource.follow(run, 2, out);
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(!text.contains("event: started") && text.contains("id: 2\nevent: finished"), text);
    }

    /** Records what had been written at each flush. */
    private static final class FlushRecorder extends OutputStream {
        final ByteArrayOutputStream all = new ByteArrayOutputStream();
        final List<String> flushed = new ArrayList<>();
        final CountDownLatch firstEvent = new CountDownLatch(1);

        @Override
        public synchronized void write(int b) {
            all.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            all.write(b, off, len);
        }

        @Override
        public synchronized void flush() throws IOException {
            String now = all.toString(StandardCharsets.UTF_8);
            flushed.add(now);
            if (now.contains("event: started")) {
                firstEvent.countDown();
            }
        }
    }

    @Test
    void liveEventsAreFlushedAsTheyHappenAndTheStreamEndsWithTheSync() throws Exception {
        SyncRun run = run();
        FlushRecorder out = new FlushRecorder();
        CompletableFuture<Void> streaming = CompletableFuture.runAsync(() -> {
            try {
                ReleasesResource.follow(run, 0, out);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        run.emit("started", Map.of("sync_id", "sync-1"));
        assertTrue(out.firstEvent.await(10, TimeUnit.SECONDS), "the started event is flushed before the sync goes on");
        run.emit("progress", Map.of("bytes", 10));
        run.finish(SyncRun.FINISHED, null);
        streaming.get(10, TimeUnit.SECONDS);
        String text = out.all.toString(StandardCharsets.UTF_8);
        assertEquals(3, text.split("\nevent: ").length - 1, text);
        assertTrue(text.contains("event: finished"), text);
    }
}
