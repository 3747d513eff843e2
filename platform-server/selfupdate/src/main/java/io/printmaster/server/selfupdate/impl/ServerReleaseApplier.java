package io.printmaster.server.selfupdate.impl;

import io.printmaster.api.support.RuntimeFingerprint;
import io.printmaster.store.Database;
import io.printmaster.store.StorageState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntConsumer;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ReleaseApplier}: decides how a staged server release goes live and does it.
 *
 * <ul>
 *   <li><b>hot-swap</b> when only {@code bundle/} differs: the same runtime fingerprint ({@link RuntimeFingerprint}:
 *       {@code lib/}, scripts, {@code conf/}, {@code runtime/}), no migration step in the new bundles beyond what
 *       {@code PM_SCHEMA_VERSION} records, and the shared hot-swap engine running ({@link HotSwapApply}).</li>
 *   <li><b>restart</b> otherwise: refused before anything changes without a supervisor ({@code NOT_SUPERVISED}) or,
 *       for a schema change on PostgreSQL, while other replicas use the database ({@code OTHER_REPLICAS}); then the
 *       backup ({@link DatabaseBackup}), the hand-over ({@link Handover}, durable), {@code versions/trial}, and exit
 *       {@value #EXIT_RESTART}. The next start finishes the run ({@link TrialCompletion}).</li>
 * </ul>
 */
@Component(service = ReleaseApplier.class)
public class ServerReleaseApplier implements ReleaseApplier {
    static final String HOT_SWAP = "hot-swap";
    static final String RESTART = "restart";
    static final int EXIT_RESTART = 75;
    static final String SUPERVISED_ENV = "PM_SUPERVISED";
    static final String HEALTH_TIMEOUT_ENV = "PM_SELFUPDATE_HEALTH_TIMEOUT";
    static final Duration DEFAULT_HEALTH_TIMEOUT = Duration.ofSeconds(120);
    private static final Logger LOG = LoggerFactory.getLogger(ServerReleaseApplier.class);

    private final Database database;
    private final BundleContext context;
    private final Path installRoot;
    private final Path programDir;
    private final Path dataDir;
    private final String databaseUrl;
    private final Map<String, String> env;
    private final IntConsumer exit;

    @Activate
    public ServerReleaseApplier(@Reference Database database, BundleContext context) {
        this(database, context, System.getenv(), code -> {
            Thread t = new Thread(() -> System.exit(code), "pm-selfupdate-exit");
            t.setDaemon(false);
            t.start();
        });
    }

    ServerReleaseApplier(Database database, BundleContext context, Map<String, String> env, IntConsumer exit) {
        this.database = database;
        this.context = context;
        this.dataDir = Path.of(required(context, "pm.data.dir")).toAbsolutePath();
        this.installRoot = Path.of(required(context, "pm.home")).toAbsolutePath();
        String program = context.getProperty("pm.program.dir");
        this.programDir = program == null || program.isBlank() ? installRoot : Path.of(program).toAbsolutePath();
        this.databaseUrl = context.getProperty("pm.database.url");
        this.env = env;
        this.exit = exit;
    }

    /** Why a release goes live one way or the other (logged, and in the run's detail). */
    record Decision(String mode, String reason, Map<String, String> pendingMigrations) {
    }

    @Override
    public String modeFor(StagedRelease release) throws SelfUpdateFailure {
        Decision d = decide(release);
        LOG.info("self-update run {}: {} → {} by {}: {}", release.runId(), release.fromVersion(), release.toVersion(),
                d.mode(), d.reason());
        return d.mode();
    }

    Decision decide(StagedRelease release) throws SelfUpdateFailure {
        Map<String, String> pending = pendingMigrations(release);
        String runtimeNow;
        String runtimeNew;
        try {
            runtimeNow = RuntimeFingerprint.ofProgramFolder(programDir);
            runtimeNew = RuntimeFingerprint.ofProgramFolder(release.slot());
        } catch (IOException e) {
            throw new SelfUpdateFailure("STAGING_FAILED", "cannot read the program files to compare: " + e.getMessage(), e);
        }
        if (!runtimeNow.equals(runtimeNew)) {
            return new Decision(RESTART, "the runtime changes (lib/, scripts, conf/ or the Java runtime)", pending);
        }
        if (!pending.isEmpty()) {
            return new Decision(RESTART, "the database schema changes: " + pending, pending);
        }
        if (!HotSwapApply.available(context)) {
            return new Decision(RESTART, "the hot-swap engine does not run in this server", pending);
        }
        return new Decision(HOT_SWAP, "only bundles change, no migration", pending);
    }

    private Map<String, String> pendingMigrations(StagedRelease release) throws SelfUpdateFailure {
        Map<String, Integer> steps;
        try {
            steps = ReleaseMigrations.newestSteps(release.slot().resolve("bundle"));
        } catch (IOException e) {
            throw new SelfUpdateFailure("STAGING_FAILED", "cannot read the migrations of the staged release in "
                    + release.slot() + ": " + e.getMessage(), e);
        }
        try {
            return ReleaseMigrations.pending(steps, database.read(ReleaseMigrations::applied));
        } catch (SQLException e) {
            throw new SelfUpdateFailure("STAGING_FAILED", "cannot read the database's schema versions: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void apply(StagedRelease release, String mode, RunProgress progress) throws SelfUpdateFailure {
        if (HOT_SWAP.equals(mode)) {
            hotSwap(release, progress);
        } else if (RESTART.equals(mode)) {
            restart(release, progress);
        } else {
            throw new IllegalArgumentException("mode: hot-swap or restart, was '" + mode + "'");
        }
    }

    private void hotSwap(StagedRelease release, RunProgress progress) throws SelfUpdateFailure {
        Path marker = HotSwapMarker.file(dataDir);
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("mode", HOT_SWAP);
        progress.status("applying", detail);
        HotSwapApply.Result result;
        try {
            HotSwapMarker.write(marker, release, context.getProperty(Constants.FRAMEWORK_UUID));
            result = HotSwapApply.swap(context, context.getBundle(), release, healthTimeout(env));
        } catch (IOException e) {
            throw new SelfUpdateFailure("SWAP_FAILED", "cannot prepare the hot swap: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            deleteQuietly(marker);
            throw new SelfUpdateFailure("INTERRUPTED", "the server is stopping: the hot swap did not begin");
        } catch (SelfUpdateFailure f) {
            deleteQuietly(marker);
            throw f;
        }
        // From here on this bundle may be a replaced revision: files and objects made before only. A swap that
        // replaced this bundle stopped its components, which interrupted this thread: the engine finished anyway and
        // set the flag again, which must not make the file writes below fail (interruptible channels).
        boolean interrupted = Thread.interrupted();
        try {
            if (result.swapped()) {
                RunningVersion.swapped(release.toVersion());
                new VersionPointers(installRoot).commit(release.toVersion());
            }
            HotSwapMarker.finish(marker, result);
        } catch (IOException e) {
            LOG.error("self-update run {}: cannot record the outcome of the hot swap: {}", release.runId(), e.toString());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (result.swapped()) {
            LOG.info("self-update run {}: {}", release.runId(), result.message());
            return;
        }
        if (Boolean.TRUE.equals(result.detail().get("restart_needed")) && supervised()) {
            exit.accept(EXIT_RESTART);
        }
        throw new SelfUpdateFailure(result.code(), result.message());
    }

    private void restart(StagedRelease release, RunProgress progress) throws SelfUpdateFailure {
        if (!supervised()) {
            throw new SelfUpdateFailure("NOT_SUPERVISED", "this server does not run under a supervisor that restarts it "
                    + "(bin/pm-server --supervise, the systemd unit, the launchd plist or the Windows service set "
                    + SUPERVISED_ENV + "=1), so it cannot restart into " + release.toVersion() + "; nothing was changed");
        }
        if (!Files.isRegularFile(release.slot().resolve("bin/pm-server"))
                && !Files.isRegularFile(release.slot().resolve("bin/pm-server.cmd"))) {
            throw new SelfUpdateFailure("STAGING_FAILED", "the staged release in " + release.slot()
                    + " has no bin/pm-server: the trampoline could not boot it");
        }
        Map<String, String> pending = pendingMigrations(release);
        StorageState storage = database.state();
        if (!pending.isEmpty() && "postgresql".equals(storage.kind())) {
            int others = otherReplicas();
            if (others > 0) {
                throw new SelfUpdateFailure("OTHER_REPLICAS", release.toVersion() + " migrates the schema (" + pending
                        + ") and " + others + " other server connection(s) use the database: update the replicas in "
                        + "turn (stop the others first) or update the image; nothing was changed");
            }
        }
        Path handoverFile = Handover.file(dataDir);
        try {
            Optional<Map<String, Object>> existing = Handover.read(handoverFile);
            if (existing.isPresent()) {
                throw new SelfUpdateFailure("RESTART_FAILED", "the hand-over of run " + Handover.text(existing.get(),
                        "run_id") + " is still pending in " + handoverFile + "; nothing was changed");
            }
        } catch (IOException e) {
            throw new SelfUpdateFailure("RESTART_FAILED", "cannot read " + handoverFile + ": " + e.getMessage(), e);
        }
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("mode", RESTART);
        detail.put("step", "backup");
        if (!pending.isEmpty()) {
            detail.put("migrations", pending);
        }
        progress.status("applying", detail);
        DatabaseBackup.Taken backup = new DatabaseBackup(database, dataDir, databaseUrl, env)
                .take(release.runId(), !pending.isEmpty());
        VersionPointers pointers = new VersionPointers(installRoot);
        try {
            Handover.write(handoverFile, Handover.prepared(release, backup));
            pointers.writeTrial(release.toVersion());
        } catch (IOException e) {
            try {
                pointers.deleteTrial();
                DurableFiles.delete(handoverFile);
            } catch (IOException ignored) {
                // the next start finds a hand-over whose trial never booted: nothing to restore
            }
            throw new SelfUpdateFailure("RESTART_FAILED", "cannot hand over to " + release.toVersion() + ": "
                    + e.getMessage() + "; nothing was changed", e);
        }
        detail.put("step", "restarting");
        detail.put("backup", backup.toJson());
        progress.status("applying", detail);
        LOG.warn("self-update run {}: restarting into {} (exit code {}); backup: {}", release.runId(),
                release.toVersion(), EXIT_RESTART, backup.toJson());
        exit.accept(EXIT_RESTART);
    }

    /** Sessions of other hosts named {@code printmaster} on this database (replicas on this host are not told apart). */
    private int otherReplicas() throws SelfUpdateFailure {
        try {
            return database.read(c -> {
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM "
                        + "pg_stat_activity WHERE application_name = 'printmaster' AND datname = current_database() "
                        + "AND client_addr IS DISTINCT FROM inet_client_addr()")) {
                    rs.next();
                    return rs.getInt(1);
                }
            });
        } catch (SQLException e) {
            throw new SelfUpdateFailure("OTHER_REPLICAS", "cannot tell whether other replicas use the database ("
                    + e.getMessage() + "); nothing was changed", e);
        }
    }

    private boolean supervised() {
        return "1".equals(env.get(SUPERVISED_ENV));
    }

    static Duration healthTimeout(Map<String, String> env) {
        String v = env.get(HEALTH_TIMEOUT_ENV);
        try {
            long s = v == null ? 0 : Long.parseLong(v.strip());
            return s > 0 ? Duration.ofSeconds(s) : DEFAULT_HEALTH_TIMEOUT;
        } catch (NumberFormatException e) {
            return DEFAULT_HEALTH_TIMEOUT;
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            DurableFiles.delete(file);
        } catch (IOException e) {
            LOG.debug("cannot delete {}: {}", file, e.toString());
        }
    }

    private static String required(BundleContext context, String name) {
        String v = context.getProperty(name);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException("framework property " + name + " is not set");
        }
        return v;
    }

    /** When the run began, for the hand-over and the marker. */
    static String now() {
        return Instant.now().toString();
    }
}
