package io.printmaster.store.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two lease services on one database with one clock stand for two replicas. */
class JdbcClusterLeaseTest {
    @TempDir
    static Path dir;
    static JdbcDatabase db;
    static final AtomicReference<Instant> NOW = new AtomicReference<>(Instant.parse("2026-12-07T10:00:00Z"));
    static final Clock CLOCK = new Clock() {
        @Override
        public ZoneId getZone() {
            return ZoneId.of("UTC");
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return NOW.get();
        }
    };
    static JdbcClusterLease a;
    static JdbcClusterLease b;

    @BeforeAll
    static void open() throws Exception {
        db = TestDatabases.open(dir);
        a = new JdbcClusterLease(db, CLOCK, "replica-a");
        b = new JdbcClusterLease(db, CLOCK, "replica-b");
    }

    @AfterAll
    static void close() {
        db.close();
    }

    @Test
    void oneHolderAtATimeUntilItReleasesOrItsLeaseExpires() throws Exception {
        assertTrue(a.tryAcquire("releases.sync", Duration.ofSeconds(30)));
        assertFalse(b.tryAcquire("releases.sync", Duration.ofSeconds(30)), "held by a");
        assertEquals("replica-a", b.holder("releases.sync"));
        NOW.set(NOW.get().plusSeconds(20));
        assertTrue(a.tryAcquire("releases.sync", Duration.ofSeconds(30)), "the holder renews");
        NOW.set(NOW.get().plusSeconds(25));
        assertFalse(b.tryAcquire("releases.sync", Duration.ofSeconds(30)), "renewed: still a's");
        NOW.set(NOW.get().plusSeconds(10));
        assertNull(a.holder("releases.sync"), "expired: a died without releasing");
        assertTrue(b.tryAcquire("releases.sync", Duration.ofSeconds(30)), "taken over");
        assertFalse(a.tryAcquire("releases.sync", Duration.ofSeconds(30)));
        b.release("releases.sync");
        assertTrue(a.tryAcquire("releases.sync", Duration.ofSeconds(30)), "released: free at once");
    }

    @Test
    void leasesAreIndependentByName() throws Exception {
        assertTrue(a.tryAcquire("manifests.renewal", Duration.ofSeconds(30)));
        assertTrue(b.tryAcquire("audit.retention", Duration.ofSeconds(30)));
        assertEquals("replica-b", a.holder("audit.retention"));
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> a.tryAcquire("", Duration.ofSeconds(5)));
        assertThrows(IllegalArgumentException.class, () -> a.tryAcquire("x", Duration.ofMillis(10)));
    }
}
