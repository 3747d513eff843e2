package io.printmaster.server.selfupdate.impl;

import io.printmaster.store.ClusterLease;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster lease {@code server.selfupdate}: a check or a run happens on one replica at a time. Held while the work
 * runs and renewed every third of its ttl on a thread of its own; when this replica dies the renewals stop and the
 * lease expires. Without a lease service (unit tests of one process) every take succeeds.
 */
final class RunLease {
    static final String NAME = "server.selfupdate";
    static final Duration TTL = Duration.ofSeconds(60);
    private static final Logger LOG = LoggerFactory.getLogger(RunLease.class);

    private final ClusterLease lease;
    private int holds;
    private ScheduledFuture<?> renewal;
    private final ScheduledExecutorService renewer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pm-lease-" + NAME);
        t.setDaemon(true);
        return t;
    });

    RunLease(ClusterLease lease) {
        this.lease = lease;
    }

    String replicaId() {
        return lease == null ? "local" : lease.replicaId();
    }

    /** Whether another live replica holds the lease now (it may be running a check or a run). */
    boolean heldElsewhere() throws SQLException {
        if (lease == null) {
            return false;
        }
        String holder = lease.holder(NAME);
        return holder != null && !holder.equals(lease.replicaId());
    }

    /**
     * The lease, renewed until every {@link Held#release()} of this process; null when another replica holds it.
     * Takes within this process are counted: a second take (a check while a run goes on) shares the lease, and its
     * release leaves it to the first.
     */
    synchronized Held tryTake() throws SQLException {
        if (holds == 0 && lease != null) {
            if (!lease.tryAcquire(NAME, TTL)) {
                return null;
            }
            long every = TTL.toMillis() / 3;
            renewal = renewer.scheduleWithFixedDelay(this::renew, every, every, TimeUnit.MILLISECONDS);
        }
        holds++;
        return new Held();
    }

    private synchronized void releaseOne() {
        if (--holds > 0) {
            return;
        }
        if (renewal != null) {
            renewal.cancel(false);
            renewal = null;
        }
        if (lease != null) {
            try {
                lease.release(NAME);
            } catch (SQLException | RuntimeException e) {
                LOG.warn("cannot release the lease {} (it expires on its own): {}", NAME, e.toString());
            }
        }
    }

    private void renew() {
        try {
            if (!lease.tryAcquire(NAME, TTL)) {
                LOG.warn("lost the lease {} to another replica while an update run was going on", NAME);
            }
        } catch (SQLException | RuntimeException e) {
            LOG.warn("cannot renew the lease {}: {}", NAME, e.toString());
        }
    }

    void close() {
        renewer.shutdownNow();
    }

    /** One take of the lease; release it exactly once. */
    final class Held {
        private boolean released;

        private Held() {
        }

        void release() {
            synchronized (RunLease.this) {
                if (released) {
                    return;
                }
                released = true;
            }
            releaseOne();
        }
    }
}
