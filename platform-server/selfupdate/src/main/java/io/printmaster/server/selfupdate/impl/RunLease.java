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

    /** The lease, renewed until {@link Held#release()}; null when another replica holds it. */
    Held tryTake() throws SQLException {
        if (lease == null) {
            return new Held(null);
        }
        if (!lease.tryAcquire(NAME, TTL)) {
            return null;
        }
        Held held = new Held(lease);
        long every = TTL.toMillis() / 3;
        held.renewal = renewer.scheduleWithFixedDelay(held::renew, every, every, TimeUnit.MILLISECONDS);
        return held;
    }

    void close() {
        renewer.shutdownNow();
    }

    static final class Held {
        private final ClusterLease lease;
        private volatile ScheduledFuture<?> renewal;

        private Held(ClusterLease lease) {
            this.lease = lease;
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

        void release() {
            ScheduledFuture<?> r = renewal;
            if (r != null) {
                r.cancel(false);
            }
            if (lease != null) {
                try {
                    lease.release(NAME);
                } catch (SQLException | RuntimeException e) {
                    LOG.warn("cannot release the lease {} (it expires on its own): {}", NAME, e.toString());
                }
            }
        }
    }
}
