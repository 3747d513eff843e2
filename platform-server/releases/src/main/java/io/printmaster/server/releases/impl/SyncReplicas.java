package io.printmaster.server.releases.impl;

import io.printmaster.store.ClusterLease;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The replicas' side of the release sync: across replicas on one database a sync runs on one of them at a time, the
 * one holding the {@value #LEASE} lease ({@link ClusterLease}), renewed while its sync runs. Another replica asked to
 * sync meanwhile answers the running one, from its row. A process alone on its database (no lease) always syncs.
 */
final class SyncReplicas {
    /** The lease a replica holds while it syncs. */
    static final String LEASE = "releases.sync";
    /** How long a sync request waits for another replica's sync to show up as a row after that replica took the lease. */
    private static final Duration ELSEWHERE_WAIT = Duration.ofSeconds(3);

    private final ReleaseStore store;
    private final LeaseKeeper lease;

    /** @param lease the cluster's leases, or null for a process alone on its database */
    SyncReplicas(ReleaseStore store, ClusterLease lease) {
        this.store = store;
        this.lease = new LeaseKeeper(lease, LEASE);
    }

    /** What a sync request gets: the lease (this replica syncs), or the sync another replica runs now. */
    record Claim(LeaseKeeper.Held held, SyncRun elsewhere) {
    }

    /**
     * Takes the lease for a sync of at most {@code ttl} between renewals, or answers the sync another replica runs.
     *
     * @throws IllegalStateException when another replica holds the lease but has recorded no running sync
     */
    Claim claim(Duration ttl) throws SQLException {
        LeaseKeeper.Held held = lease.tryTake(ttl);
        if (held == null) {
            Optional<SyncRun> elsewhere = runningElsewhere();
            if (elsewhere.isPresent()) {
                return new Claim(null, elsewhere.get());
            }
            held = lease.tryTake(ttl);
            if (held == null) {
                throw new IllegalStateException("replica " + lease.holder() + " holds the " + LEASE
                        + " lease but has recorded no running sync");
            }
        }
        return new Claim(held, null);
    }

    /** Whether another live replica holds the lease (so a "running" sync row may be its sync, not a dead one's). */
    boolean heldElsewhere() throws SQLException {
        return lease.heldElsewhere();
    }

    /**
     * The sync another replica runs now: the newest {@code running} row while another replica holds the lease. That
     * replica writes the row just after taking the lease, so a request arriving in between waits a moment for it.
     */
    private Optional<SyncRun> runningElsewhere() throws SQLException {
        Instant giveUp = Instant.now().plus(ELSEWHERE_WAIT);
        while (true) {
            Optional<SyncHistory.SyncRecord> row = runningRowElsewhere();
            if (row.isPresent()) {
                SyncHistory.SyncRecord r = row.get();
                return Optional.of(new SyncRun(r.id(), r.triggeredBy(), r.startedBy(), r.startedAt()));
            }
            if (!lease.heldElsewhere() || Instant.now().isAfter(giveUp)) {
                return Optional.empty();
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
    }

    /** The row of the sync another live replica runs now, if any. */
    Optional<SyncHistory.SyncRecord> runningRowElsewhere() throws SQLException {
        if (!lease.heldElsewhere()) {
            return Optional.empty();
        }
        return store.syncs().recentSyncs(5).stream().filter(r -> SyncRun.RUNNING.equals(r.state())).findFirst();
    }

    /** This replica's identity among the replicas (null when alone). */
    String replicaId() {
        return lease.replicaId();
    }

    /** The replica holding the sync lease now, if any. */
    String holder() throws SQLException {
        return lease.holder();
    }

    /** Stops renewing (this replica is stopping). */
    void close() {
        lease.close();
    }
}
