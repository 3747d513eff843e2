/**
 * Storage contract: a {@link io.printmaster.store.Database} service (embedded Apache Derby by default, PostgreSQL
 * when configured) on which
 * each bundle runs its own versioned migrations and builds its repositories, and the {@link
 * io.printmaster.store.AuditLog} every write goes through. 1.2 adds {@link io.printmaster.store.Database#afterCommit}
 * and, between replicas, the {@link io.printmaster.store.ClusterSignals} and {@link io.printmaster.store.ClusterLease}, and for
 * the retention sweep {@link io.printmaster.store.RetentionTask}, {@link io.printmaster.store.RetentionSettings} and
 * {@link io.printmaster.store.AuditLog#listOldestFirst}/{@link io.printmaster.store.AuditLog#delete};
 * {@link io.printmaster.store.UniqueKeys} for writes that may meet a duplicate key inside a transaction; {@link
 * io.printmaster.store.SignalledCache} for in-process caches dropped by signals.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package io.printmaster.store;
