package io.printmaster.server.releases.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.release.ReleaseSource;
import io.printmaster.server.notifications.api.ServerEvent;
import io.printmaster.server.notifications.api.ServerEvents;
import io.printmaster.server.releases.impl.InMemoryReleaseSource.Asset;
import io.printmaster.store.impl.DerbyDatabase;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sync tells the server's events what it did: sync.progress while it runs and at its end, and release.cached once
 * for a release it brought in first (with a plain-text snippet of the notes), not again when a later sync finds it
 * cached.
 */
class SyncNotificationsTest {
    @TempDir
    Path dir;
    DerbyDatabase db;
    ReleaseStore store;
    ArtifactCache cache;
    ReleaseIntake intake;
    final List<ServerEvent> published = new CopyOnWriteArrayList<>();
    final ServerEvents bus = published::add;

    @BeforeEach
    void open() throws Exception {
        db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        store = new ReleaseStore(db);
        cache = new ArtifactCache(dir.resolve("artifacts"));
        intake = new ReleaseIntake(store, cache, Fixtures.intakeConfig(5), Clock.systemUTC());
        intake.setEvents(bus);
    }

    @AfterEach
    void close() {
        intake.stop();
        cache.close();
        db.close();
    }

    private List<ServerEvent> ofType(String type) {
        return published.stream().filter(e -> e.type().equals(type)).toList();
    }

    private void awaitEnd(String syncId) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (ofType(ServerEvent.SYNC_PROGRESS).stream().noneMatch(e -> syncId.equals(e.data().get("sync_id"))
                && "finished".equals(e.data().get("event")))) {
            assertTrue(System.nanoTime() < deadline, "the end of " + syncId + " was published: " + published);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    @Test
    void aSyncPublishesItsProgressAndTheNewReleaseOnce() throws Exception {
        String notes = "# PrintMaster agent 1.0.0\n\nFixes **duplex printing** on <b>A4</b> trays. " + "More words. ".repeat(40);
        InMemoryReleaseSource source = new InMemoryReleaseSource();
        source.release("agent", "1.0.0", notes, Asset.of("linux-amd64", "zip", ArtifactCacheTest.bytes(1000, 1)),
                Asset.of("windows-amd64", "zip", ArtifactCacheTest.bytes(1100, 2)));
        intake.addSource(source, Map.of("name", "mem", ReleaseSource.TYPE, "memory"));
        SyncRun first = awaitRun();
        awaitEnd(first.id());
        // the release is announced after the sync, on the intake thread: wait for the sync's last step
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ofType(ServerEvent.RELEASE_CACHED).isEmpty() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }

        ServerEvent end = ofType(ServerEvent.SYNC_PROGRESS).get(ofType(ServerEvent.SYNC_PROGRESS).size() - 1);
        assertEquals("finished", end.data().get("state"));
        assertEquals(2, end.data().get("cached"));
        assertEquals(null, end.fleet(), "a sync is server-wide");
        List<ServerEvent> cached = ofType(ServerEvent.RELEASE_CACHED);
        assertEquals(1, cached.size(), "one release, however many artifacts: " + cached);
        Map<String, Object> data = cached.get(0).data();
        assertEquals("agent", data.get("component"));
        assertEquals("1.0.0", data.get("version"));
        assertEquals(List.of("linux-amd64", "windows-amd64"), data.get("platforms"));
        String snippet = (String) data.get("notes_snippet");
        assertTrue(snippet.startsWith("PrintMaster agent 1.0.0 Fixes duplex printing on A4 trays."), snippet);
        assertTrue(snippet.length() <= SyncNotifications.SNIPPET_CHARS, snippet.length() + " characters");
        assertTrue(snippet.endsWith("…"), snippet);
        assertFalse(snippet.contains("**") || snippet.contains("<b>") || snippet.contains("#"), snippet);

        int before = published.size();
        SyncRun second = intake.startSync("api", "admin").run();
        awaitEnd(second.id());
        intake.stop(); // the sync's last step (the announcement) has run once its thread stopped
        assertTrue(published.size() > before);
        assertEquals(1, ofType(ServerEvent.RELEASE_CACHED).size(), "a release already cached is not new again");
    }

    @Test
    void progressIsThrottledButTheEndIsAlwaysPublished() {
        SyncRun run = new SyncRun("sync-t", "api", "admin", java.time.Instant.now());
        SyncNotifications n = new SyncNotifications(run, () -> bus, Clock.systemUTC());
        run.follow(0, n);
        for (int i = 0; i < 500; i++) {
            run.emit("progress", Map.of("sync_id", "sync-t", "bytes", i));
        }
        run.finish(SyncRun.FINISHED, null);
        List<ServerEvent> progress = ofType(ServerEvent.SYNC_PROGRESS);
        assertTrue(progress.size() <= 4, "500 events in well under a second give at most a few: " + progress.size());
        assertEquals("finished", progress.get(progress.size() - 1).data().get("state"));
        assertEquals("finished", progress.get(progress.size() - 1).data().get("event"));
    }

    @Test
    void snippetsArePlainTextOfAtMost280Characters() {
        assertEquals("Title A list item with a link", SyncNotifications.snippet("## Title\n\n* A list item with [a link](https://x)"));
        String cut = SyncNotifications.snippet("word ".repeat(200));
        assertTrue(cut.length() <= 280 && cut.endsWith("word…"), cut);
    }

    private SyncRun awaitRun() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            var running = intake.running();
            if (running.isPresent()) {
                return running.get();
            }
            assertTrue(System.nanoTime() < deadline, "the new source started a sync");
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }
}
