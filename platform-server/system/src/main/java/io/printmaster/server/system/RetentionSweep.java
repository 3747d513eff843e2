package io.printmaster.server.system;

import io.printmaster.store.AuditLog;
import io.printmaster.store.ClusterLease;
import io.printmaster.store.Database;
import io.printmaster.store.RetentionSettings;
import io.printmaster.store.RetentionTask;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daily retention sweep (PID {@value #PID}): audit entries older than {@code audit_days} are exported to JSON
 * Lines files in {@code export_dir} and only then deleted ({@link AuditArchive}); every {@link RetentionTask} (agent
 * commands, telemetry, the dashboard's per-day roll-ups, the release intake's history) deletes what outlived its
 * setting. It runs shortly after
 * the start and then every {@code interval_hours}, on one replica at a time (lease {@value #LEASE}), and records
 * what it swept in the audit log ({@code retention.sweep}, a new entry, never one of those being deleted; none when
 * nothing was deleted).
 *
 * <p>A configuration with a value out of range is refused: the component does not activate, so no sweep runs with
 * settings nobody chose, and health names the setting (as the log does).
 */
@Component(immediate = true, configurationPid = RetentionSweep.PID)
@Designate(ocd = RetentionSweep.Config.class)
public class RetentionSweep {
    static final String PID = "io.printmaster.server.retention";
    static final String LEASE = "retention.sweep";
    static final String ACTION = "retention.sweep";
    /** Renewed well within this while the sweep works; a replica that dies mid-sweep gives way after it. */
    static final Duration LEASE_TTL = Duration.ofMinutes(10);
    private static final Duration RENEW_AFTER = Duration.ofMinutes(2);
    private static final Logger LOG = LoggerFactory.getLogger(RetentionSweep.class);

    @ObjectClassDefinition(name = "PrintMaster retention",
            description = "How long the audit log, agent commands, telemetry and daily roll-ups are kept.")
    public @interface Config {
        @AttributeDefinition(min = "1", description = "Days an audit entry is kept; older ones are exported to export_dir, then deleted.")
        int audit__days() default 365;

        @AttributeDefinition(min = "1", description = "Days a delivered or replaced agent command is kept.")
        int command__days() default 30;

        @AttributeDefinition(min = "0", description = "Days agent telemetry is kept (0: by row count only).")
        int telemetry__days() default 0;

        @AttributeDefinition(min = "1", description = "Newest telemetry rows kept per agent.")
        int telemetry__rows__per__agent() default 1000;

        @AttributeDefinition(min = "1", description = "Days the dashboard's per-day roll-ups are kept.")
        int rollup__days() default 400;

        @AttributeDefinition(min = "1", description = "Days a finished release sync and its intake events are kept.")
        int sync__history__days() default 90;

        @AttributeDefinition(description = "Folder of the audit export files (default <data>/exports/audit).")
        String export__dir() default "";

        @AttributeDefinition(min = "1", description = "Hours between sweeps.")
        int interval__hours() default 24;

        @AttributeDefinition(min = "0", description = "Seconds after the start before the first sweep.")
        int first__run__delay__seconds() default 60;
    }

    /** The validated configuration. */
    record Settings(RetentionSettings retention, Path exportDir, Duration interval, Duration firstRunDelay) {
    }

    /** What one sweep did (counts by kind), for the log, the audit entry and tests. */
    record Result(boolean ran, Map<String, Long> counts, List<Path> files) {
    }

    private final Database database;
    private final AuditLog audit;
    private final ClusterLease lease;
    private final Clock clock;
    private final Settings settings;
    private final AuditArchive archive;
    private final List<RetentionTask> tasks = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService executor;

    @Activate
    public RetentionSweep(@Reference Database database, @Reference AuditLog audit, @Reference ClusterLease lease,
                          BundleContext context, Config config) {
        this(database, audit, lease, Clock.systemUTC(), settings(config, context.getProperty("pm.data.dir")));
        executor.scheduleWithFixedDelay(this::runQuietly, settings.firstRunDelay().toSeconds(),
                settings.interval().toSeconds(), TimeUnit.SECONDS);
        LOG.info("retention: audit {} days (exported to {}), commands {} days, telemetry {} rows per agent{}, roll-ups"
                        + " {} days; sweeping every {} h", settings.retention().auditDays(), settings.exportDir(),
                settings.retention().commandDays(), settings.retention().telemetryRowsPerAgent(),
                settings.retention().telemetryDays() == 0 ? "" : " and " + settings.retention().telemetryDays() + " days",
                settings.retention().rollupDays(), settings.interval().toHours());
    }

    /** Without a schedule (tests call {@link #sweep}). */
    RetentionSweep(Database database, AuditLog audit, ClusterLease lease, Clock clock, Settings settings) {
        this.database = database;
        this.audit = audit;
        this.lease = lease;
        this.clock = clock;
        this.settings = settings;
        this.archive = new AuditArchive(settings.exportDir(), audit);
        // the executor starts its thread with the first task: a refused configuration leaves none behind
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pm-retention-sweep");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * The configuration, checked.
     *
     * @throws IllegalArgumentException naming the setting (as the PID's file spells it) when one is out of range
     */
    static Settings settings(Config config, String dataDir) {
        RetentionSettings retention;
        try {
            retention = new RetentionSettings(config.audit__days(), config.command__days(), config.telemetry__days(),
                    config.telemetry__rows__per__agent(), config.rollup__days(), config.sync__history__days());
        } catch (IllegalArgumentException e) {
            LOG.error("{}: {}; no retention sweep runs until it is corrected", PID, e.getMessage());
            throw new IllegalArgumentException(PID + ": " + e.getMessage(), e);
        }
        if (config.interval__hours() < 1) {
            throw refused("interval_hours must be at least 1, was " + config.interval__hours());
        }
        if (config.first__run__delay__seconds() < 0) {
            throw refused("first_run_delay_seconds must be at least 0, was " + config.first__run__delay__seconds());
        }
        Path exportDir;
        String configured = config.export__dir() == null ? "" : config.export__dir().strip();
        if (!configured.isEmpty()) {
            exportDir = Path.of(configured);
            if (!exportDir.isAbsolute()) {
                throw refused("export_dir must be an absolute path, was " + configured);
            }
        } else if (dataDir != null && !dataDir.isBlank()) {
            exportDir = Path.of(dataDir).toAbsolutePath().resolve("exports").resolve("audit");
        } else {
            throw refused("export_dir is not set and the data folder (pm.data.dir) is unknown");
        }
        return new Settings(retention, exportDir, Duration.ofHours(config.interval__hours()),
                Duration.ofSeconds(config.first__run__delay__seconds()));
    }

    private static IllegalArgumentException refused(String why) {
        LOG.error("{}: {}; no retention sweep runs until it is corrected", PID, why);
        return new IllegalArgumentException(PID + ": " + why);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindTask(RetentionTask task) {
        tasks.add(task);
        // SCR binds after the constructor ran, so the settings are known
        applyTo(task);
    }

    void unbindTask(RetentionTask task) {
        tasks.remove(task);
    }

    private void applyTo(RetentionTask task) {
        try {
            task.apply(settings.retention());
        } catch (RuntimeException e) {
            LOG.warn("retention: {} refused the settings: {}", task.getClass().getName(), e.toString());
        }
    }

    @Deactivate
    void stop() {
        executor.shutdownNow();
        try {
            // a sweep stops at its next batch (the lease check sees the interrupt): let it, so it does not outlive
            // the store it works on
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void runQuietly() {
        try {
            sweep();
        } catch (SQLException | IOException | RuntimeException e) {
            LOG.warn("the retention sweep failed; nothing is lost (entries are deleted only once exported) and it runs"
                    + " again in {} h: {}", settings.interval().toHours(), e.toString());
        }
    }

    /** One sweep, when this replica gets the lease; {@code ran} false when another replica holds it. */
    Result sweep() throws SQLException, IOException {
        if (!lease.tryAcquire(LEASE, LEASE_TTL)) {
            LOG.debug("retention: another replica ({}) sweeps", lease.holder(LEASE));
            return new Result(false, Map.of(), List.of());
        }
        Renewal renewal = new Renewal();
        try {
            Instant now = clock.instant();
            RetentionSettings r = settings.retention();
            Map<String, Long> counts = new LinkedHashMap<>();
            long resumed = archive.resume(renewal::stillHolding);
            List<AuditArchive.Moved> moved = archive.sweep(now.minus(Duration.ofDays(r.auditDays())), renewal::stillHolding);
            counts.put("audit_entries", resumed + moved.stream().mapToLong(AuditArchive.Moved::deleted).sum());
            for (RetentionTask task : tasks) {
                if (!renewal.stillHolding()) {
                    break;
                }
                try {
                    task.sweep(r, now).forEach((k, v) -> counts.merge(k, v, Long::sum));
                } catch (SQLException | RuntimeException e) {
                    LOG.warn("retention: {} failed; the others go on: {}", task.getClass().getName(), e.toString());
                }
            }
            List<Path> files = moved.stream().map(AuditArchive.Moved::file).toList();
            LOG.info("retention sweep: deleted {}; audit export files: {}", counts,
                    files.isEmpty() ? "none" : files.stream().map(p -> p.getFileName().toString()).toList());
            // a sweep that deleted nothing leaves no entry: the log records what changed, not a daily heartbeat
            if (counts.values().stream().anyMatch(n -> n > 0)) {
                Map<String, Object> after = new LinkedHashMap<>(counts);
                after.put("export_files", files.stream().map(p -> p.getFileName().toString()).toList());
                database.inTransaction(c -> {
                    audit.record(c, "system", ACTION, "retention:sweep", null, null, after);
                    return null;
                });
            }
            return new Result(true, counts, files);
        } finally {
            try {
                lease.release(LEASE);
            } catch (SQLException e) {
                LOG.debug("retention: could not give the lease up (it expires): {}", e.toString());
            }
        }
    }

    /** Renews the lease while the sweep works; false once it is lost or the sweep is being stopped. */
    private final class Renewal {
        private Instant renewed = clock.instant();

        boolean stillHolding() {
            if (Thread.currentThread().isInterrupted()) {
                return false;
            }
            Instant now = clock.instant();
            if (Duration.between(renewed, now).compareTo(RENEW_AFTER) < 0) {
                return true;
            }
            try {
                boolean held = lease.tryAcquire(LEASE, LEASE_TTL);
                renewed = now;
                if (!held) {
                    LOG.warn("retention: the lease {} went to another replica; this sweep stops", LEASE);
                }
                return held;
            } catch (SQLException e) {
                LOG.warn("retention: could not renew the lease {}; this sweep stops: {}", LEASE, e.toString());
                return false;
            }
        }
    }
}
