package io.printmaster.server.releases.impl;

import io.printmaster.store.ClusterLease;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds one {@link ClusterLease} while a piece of work that must run on one replica at a time runs: takes it, renews
 * it every third of its ttl on a thread of its own (the work's thread is busy), and gives it up when the work ends.
 * When this replica dies the renewals stop and another replica takes the lease over once the ttl has passed.
 *
 * <p>Without a lease service (unit tests of a single process) every take succeeds.
 */
final class LeaseKeeper {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseKeeper.class);

    private final ClusterLease lease;
    private final String name;
    private final ScheduledExecutorService renewer;

    /**
     * @param lease the cluster's leases, or null when this process is alone (tests)
     * @param name  the lease's name ({@code releases.sync}, {@code manifests.renewal})
     */
    LeaseKeeper(ClusterLease lease, String name) {
        this.lease = lease;
        this.name = name;
        this.renewer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pm-lease-" + name);
            t.setDaemon(true);
            return t;
        });
    }

    /** This replica's identity, or null when alone. */
    String replicaId() {
        return lease == null ? null : lease.replicaId();
    }

    /** The replica holding the lease now, or null (also when alone). */
    String holder() throws SQLException {
        return lease == null ? null : lease.holder(name);
    }

    /** Whether another live replica holds the lease now. */
    boolean heldElsewhere() throws SQLException {
        String holder = holder();
        return holder != null && !holder.equals(lease.replicaId());
    }

    /** The lease taken and renewed until {@link Held#release()}, or null when another replica holds it. */
    Held tryTake(Duration ttl) throws SQLException {
        if (lease == null) {
            return new Held(null, ttl);
        }
        if (!lease.tryAcquire(name, ttl)) {
            return null;
        }
        Held held = new Held(lease, ttl);
        long every = Math.max(200, ttl.toMillis() / 3);
        held.renewal = renewer.scheduleWithFixedDelay(held::renew, every, every, TimeUnit.MILLISECONDS);
        return held;
    }

    /** Stops renewing (the module stops; a lease still held expires, or is taken over, after its ttl). */
    void close() {
        renewer.shutdownNow();
    }

    /** A lease this replica holds. */
    final class Held {
        private final ClusterLease held;
        private final Duration ttl;
        private final AtomicBoolean lost = new AtomicBoolean();
        private volatile ScheduledFuture<?> renewal;

        private Held(ClusterLease held, Duration ttl) {
            this.held = held;
            this.ttl = ttl;
        }

        private void renew() {
            try {
                if (!held.tryAcquire(name, ttl)) {
                    if (lost.compareAndSet(false, true)) {
                        // the renewals came too late (a database outage longer than the ttl, a long GC pause):
                        // another replica may run the same work now; the work itself stays safe (rows and conditional
                        // updates), it is only done twice
                        LOG.error("lease {} was taken over by replica {} while this replica still worked under it",
                                name, held.holder(name));
                    }
                }
            } catch (SQLException | RuntimeException e) {
                LOG.warn("lease {} could not be renewed (it expires {} after the last renewal): {}", name, ttl, e.toString());
            }
        }

        /** Whether a renewal found the lease taken by another replica. */
        boolean lost() {
            return lost.get();
        }

        /** Stops renewing and gives the lease up, so another replica may take it at once. */
        void release() {
            ScheduledFuture<?> r = renewal;
            if (r != null) {
                r.cancel(false);
            }
            if (held == null) {
                return;
            }
            try {
                held.release(name);
            } catch (SQLException | RuntimeException e) {
                LOG.warn("lease {} could not be given up; it expires after {}: {}", name, ttl, e.toString());
            }
        }
    }
}
