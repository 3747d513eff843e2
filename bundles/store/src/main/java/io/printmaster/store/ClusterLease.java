package io.printmaster.store;

import java.sql.SQLException;
import java.time.Duration;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Named leases in the shared database, so that work which must run once across the server's replicas (a release
 * sync, the manifest renewal, a retention sweep) runs on one of them at a time: the holder renews its lease while it
 * works; when it dies, the lease expires and another replica takes it over.
 *
 * <p>Each replica has its own {@link #replicaId()} (random per process). Leases are rows with an expiry compared
 * against this replica's clock, so the replicas' clocks should agree to well within the shortest lease used.
 *
 * @since 1.2
 */
@ProviderType
public interface ClusterLease {

    /** This process's identity as a lease holder: stable for its lifetime, different in every process. */
    String replicaId();

    /**
     * Takes or renews lease {@code name} for {@code ttl} when it is free, expired, or already held by this replica.
     *
     * @param name what the lease guards, e.g. {@code releases.sync} (1..64 characters)
     * @param ttl how long the lease holds without a renewal (at least one second)
     * @return whether this replica holds the lease now
     */
    boolean tryAcquire(String name, Duration ttl) throws SQLException;

    /** Gives lease {@code name} up when this replica holds it (another replica may take it at once). */
    void release(String name) throws SQLException;

    /** The replica holding lease {@code name} now (unexpired), or null. */
    String holder(String name) throws SQLException;
}
