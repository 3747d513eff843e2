package io.printmaster.server.selfupdate.impl;

import io.printmaster.api.platform.Platform;
import io.printmaster.api.version.SemanticVersion;
import io.printmaster.server.notifications.api.ServerEvent;
import io.printmaster.server.notifications.api.ServerEvents;
import io.printmaster.server.releases.api.ReleaseCatalog;
import io.printmaster.server.signing.api.SigningKeys;
import io.printmaster.store.AuditLog;
import io.printmaster.store.ClusterLease;
import io.printmaster.store.Database;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's self-update: its policy, whether it may update itself here ({@link SelfUpdateAvailability}), the
 * scheduled checks of the policy's cadence, and the runs, one at a time across the replicas (the cluster lease
 * {@code server.selfupdate} while a check or a run goes on, and at most one unfinished run in the database). At
 * start, a run a crash left unfinished is ended as {@code failed INTERRUPTED}, except the restart hand-over.
 *
 * <p>A scheduled check that finds nothing newer records no run (only the time of the check, which the next one counts
 * from), so a daily cadence does not fill the history; a run an admin starts always records one, {@code skipped}
 * when there was nothing to do.
 */
@Component(service = SelfUpdateService.class, immediate = true)
public class SelfUpdateService {
    private static final Logger LOG = LoggerFactory.getLogger(SelfUpdateService.class);
    /** The console event of every run transition (data: the run as {@code GET …/runs} lists it). */
    static final String EVENT_TYPE = "server.update";
    static final Duration TICK = Duration.ofMinutes(1);
    static final String HOST_ROOT = "pm.selfupdate.host.root";

    /** Self-update is not possible on this server; the reason says why and what to do instead. */
    static final class DisabledException extends Exception {
        private static final long serialVersionUID = 1L;
        private final String code;

        DisabledException(String code, String message) {
            super(message);
            this.code = code;
        }

        String code() {
            return code;
        }
    }

    private final SelfUpdateStore store;
    private final ReleaseCatalog catalog;
    private final RunLease lease;
    private final Clock clock;
    private final UpdateOrchestrator.Setup setup;
    private final SelfUpdateAvailability availability;
    private final UpdateOrchestrator orchestrator;
    private final ExecutorService runner = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "pm-selfupdate-run");
        t.setDaemon(true);
        return t;
    });
    private ScheduledExecutorService ticker;
    /** Runs of this process going on (queued or executing): while there is one, no unfinished run is an orphan. */
    private final java.util.concurrent.atomic.AtomicInteger localRuns = new java.util.concurrent.atomic.AtomicInteger();
    /** Serializes the orphan sweep with the creation of runs in this process. */
    private final Object gate = new Object();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ServerEvents events;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ReleaseApplier applier;

    @Activate
    public SelfUpdateService(BundleContext context, @Reference Database database, @Reference AuditLog audit,
                             @Reference ReleaseCatalog catalog, @Reference SigningKeys keys,
                             @Reference ClusterLease clusterLease) throws Exception {
        this(database, audit, catalog, ServerTrust.of(keys), clusterLease, Clock.systemUTC(), setupOf(context),
                SelfUpdateAvailability.detect(hostRoot(context), System.getenv(), pathProperty(context, "pm.home")),
                new ReleaseStager());
        startTicker(TICK);
    }

    SelfUpdateService(Database database, AuditLog audit, ReleaseCatalog catalog, ServerTrust trust,
                      ClusterLease clusterLease, Clock clock, UpdateOrchestrator.Setup setup,
                      SelfUpdateAvailability availability, ReleaseStager stager) throws Exception {
        this.store = new SelfUpdateStore(database, audit, clock);
        this.catalog = catalog;
        this.lease = new RunLease(clusterLease);
        this.clock = clock;
        this.setup = setup;
        this.availability = setup.platform() == null
                ? new SelfUpdateAvailability(false, "NOT_INSTALLED", "this server's platform ("
                + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ") has no server releases")
                : availability;
        this.orchestrator = new UpdateOrchestrator(store, catalog, new ReleaseVerification(trust), stager,
                () -> applier, this::announce, clock, setup);
        if (!lease.heldElsewhere()) {
            synchronized (gate) {
                endOrphans();
            }
        }
        if (!this.availability.enabled()) {
            LOG.info("server self-update is off: {}", this.availability.reason());
        }
    }

    private static UpdateOrchestrator.Setup setupOf(BundleContext context) {
        String version = RunningVersion.atStart(context, context.getProperty("pm.version"));
        SemanticVersion running = SemanticVersion.tryParse(version == null ? "" : version.strip())
                .orElse(SemanticVersion.of(0, 0, 0));
        Path home = pathProperty(context, "pm.home");
        Path program = pathProperty(context, "pm.program.dir");
        return new UpdateOrchestrator.Setup(running, Platform.current().orElse(null), home,
                program != null ? program : home);
    }

    /**
     * Where container detection looks for {@code /.dockerenv} and {@code /proc/1/cgroup}: the file system root, unless
     * the framework property {@value #HOST_ROOT} names another folder (tests give one that looks like a plain host or
     * like a container).
     */
    private static Path hostRoot(BundleContext context) {
        Path given = pathProperty(context, HOST_ROOT);
        return given != null ? given : Path.of("/");
    }

    private static Path pathProperty(BundleContext context, String name) {
        String v = context.getProperty(name);
        return v == null || v.isBlank() ? null : Path.of(v).toAbsolutePath().normalize();
    }

    void startTicker(Duration every) {
        ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pm-selfupdate-schedule");
            t.setDaemon(true);
            return t;
        });
        ticker.scheduleWithFixedDelay(() -> {
            try {
                scheduledCheck();
            } catch (Exception e) {
                LOG.warn("scheduled server update check failed: {}", e.toString());
            }
        }, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Deactivate
    void deactivate() {
        if (ticker != null) {
            ticker.shutdownNow();
        }
        runner.shutdownNow();
        lease.close();
    }

    /** Tests: the event bus and the applier DS would bind. */
    void bind(ServerEvents events, ReleaseApplier applier) {
        this.events = events;
        this.applier = applier;
    }

    SelfUpdateAvailability availability() {
        return availability;
    }

    UpdateOrchestrator.Setup setup() {
        return setup;
    }

    SelfUpdateStore.PolicyRow policy() throws SQLException {
        return store.policy();
    }

    void savePolicy(UpdatePolicy policy, String actor) throws SQLException {
        store.savePolicy(policy, actor);
    }

    Optional<UpdateRun> activeRun() throws SQLException {
        return store.active();
    }

    Optional<UpdateRun> run(String runId) throws SQLException {
        return store.find(runId);
    }

    List<UpdateRun> runs(Long beforeSeq, int limit) throws SQLException {
        return store.page(beforeSeq, limit);
    }

    /** The release a run would install now, if any. */
    Optional<CandidateSelection.Candidate> available(UpdatePolicy policy) throws SQLException {
        if (setup.platform() == null) {
            return Optional.empty();
        }
        return CandidateSelection.select(catalog, policy, setup.running(), setup.platform());
    }

    /** When the scheduler looks next; null when the cadence is {@code disabled} or self-update is off here. */
    Instant nextCheckAt(SelfUpdateStore.PolicyRow row) {
        Duration period = row.policy().cadence().period();
        if (period == null || !availability.enabled()) {
            return null;
        }
        // a policy saved after the last check (or never checked): at the next tick; then one period after the last
        if (row.lastCheckAt() == null || (row.updatedAt() != null && row.lastCheckAt().isBefore(row.updatedAt()))) {
            return row.updatedAt() != null ? row.updatedAt() : clock.instant();
        }
        return row.lastCheckAt().plus(period);
    }

    /**
     * Starts a run an admin asked for; it goes on in the background.
     *
     * @throws DisabledException when self-update is off here
     * @throws SelfUpdateStore.ActiveRunException when a run is going on (on this or another replica)
     */
    UpdateRun startRun(String actor) throws SQLException, DisabledException, SelfUpdateStore.ActiveRunException {
        if (!availability.enabled()) {
            throw new DisabledException(availability.code(), availability.reason());
        }
        RunLease.Held held = lease.tryTake();
        if (held == null) {
            Optional<UpdateRun> active = store.active();
            if (active.isPresent()) {
                throw new SelfUpdateStore.ActiveRunException(active.get());
            }
            throw new SelfUpdateStore.ActiveRunException(null);
        }
        UpdateRun run;
        UpdatePolicy policy;
        try {
            policy = store.policy().policy();
            run = createRun(actor, actor);
        } catch (SQLException | SelfUpdateStore.ActiveRunException | RuntimeException e) {
            held.release();
            throw e;
        }
        announce(run);
        submit(run, policy, held);
        return run;
    }

    /** One tick of the cadence: when a check is due, looks on one replica and runs an update when there is one. */
    void scheduledCheck() throws SQLException {
        if (!availability.enabled()) {
            return;
        }
        SelfUpdateStore.PolicyRow row = store.policy();
        Instant next = nextCheckAt(row);
        Instant now = clock.instant();
        if (next == null || now.isBefore(next)) {
            return;
        }
        RunLease.Held held = lease.tryTake();
        if (held == null) {
            return; // another replica checks
        }
        boolean handedOver = false;
        try {
            synchronized (gate) {
                endOrphans();
            }
            if (store.active().isPresent()) {
                return;
            }
            store.markChecked(now);
            if (available(row.policy()).isEmpty()) {
                LOG.debug("scheduled server update check: nothing newer than {}", setup.running());
                return;
            }
            UpdateRun run;
            try {
                run = createRun("scheduler", null);
            } catch (SelfUpdateStore.ActiveRunException e) {
                return;
            }
            announce(run);
            submit(run, row.policy(), held);
            handedOver = true;
        } finally {
            if (!handedOver) {
                held.release();
            }
        }
    }

    /**
     * Records a new run, counted as this process's from that moment (so that no orphan sweep can end it before it
     * is handed to the runner). Holding the lease, a run still unfinished that this process does not carry is an
     * orphan: ended first, so a crashed run does not block every later one.
     */
    private UpdateRun createRun(String triggeredBy, String auditActor)
            throws SQLException, SelfUpdateStore.ActiveRunException {
        synchronized (gate) {
            endOrphans();
            UpdateRun run = store.createRun(setup.running().toString(), triggeredBy, lease.replicaId(), auditActor);
            localRuns.incrementAndGet();
            return run;
        }
    }

    /**
     * Ends the runs nobody carries on any more (a crash, a stop, a lost hand-over). Only while this process runs
     * none and no other replica holds the lease (the caller holds it, or nobody does).
     */
    private void endOrphans() throws SQLException {
        if (localRuns.get() > 0) {
            return;
        }
        for (UpdateRun r : store.finishInterrupted()) {
            LOG.warn("update run {} was left {} by a stop or crash: ended as failed (INTERRUPTED)", r.runId(),
                    r.status());
            announce(r);
        }
    }

    private void submit(UpdateRun run, UpdatePolicy policy, RunLease.Held held) throws SQLException {
        try {
            runner.execute(() -> {
                try {
                    orchestrator.execute(run.runId(), policy);
                } finally {
                    localRuns.decrementAndGet();
                    held.release();
                }
            });
        } catch (RejectedExecutionException e) {
            localRuns.decrementAndGet();
            held.release();
            store.finish(run.runId(), UpdateRun.FAILED, "INTERRUPTED", "the server is stopping").ifPresent(this::announce);
        }
    }

    private void announce(UpdateRun run) {
        ServerEvents bus = events;
        if (bus != null) {
            Map<String, Object> data = new LinkedHashMap<>(run.json());
            data.remove("replica");
            // events are written by a plain JSON mapper: times as the routes show them (ISO-8601 text)
            data.replaceAll((k, v) -> v instanceof java.time.Instant i ? i.toString() : v);
            bus.publish(new ServerEvent(EVENT_TYPE, clock.instant(), null, data));
        }
    }
}
