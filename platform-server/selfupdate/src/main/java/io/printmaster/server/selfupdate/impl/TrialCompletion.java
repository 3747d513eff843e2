package io.printmaster.server.selfupdate.impl;

import io.printmaster.store.Database;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
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
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finishes, at start, what an apply left for the next process (or for the next revision of this bundle):
 *
 * <ul>
 *   <li>A hand-over to this version (the trial of a restart-mode apply): waits until the server is healthy
 *       ({@link ServerHealth}) within {@code PM_SELFUPDATE_HEALTH_TIMEOUT} (120 s), then commits
 *       ({@code versions/current}, {@code booting} gone), records the run {@code succeeded} and deletes the
 *       hand-over. Unhealthy (at once for a failed migration): the {@code outcome} goes into the hand-over and the
 *       process exits 75 without committing, so the trampoline abandons the trial and boots the previous version.</li>
 *   <li>A hand-over from this version (its trial failed; the launcher restored the backup before this start): the run
 *       becomes {@code rolled_back} with the code of the outcome ({@code HEALTH_CHECK_FAILED} when the trial ended
 *       without one: crashed or killed; {@code RESTART_FAILED} when it never booted) and the hand-over is deleted.</li>
 *   <li>A hot-swap marker: from this process (this revision was installed by the swap), the run is recorded from the
 *       outcome the previous revision writes; from an earlier process, the swap was cut short by the process's end,
 *       and the start ran the committed version: {@code rolled_back} with {@code SWAP_FAILED}.</li>
 * </ul>
 */
@Component(immediate = true)
public class TrialCompletion {
    private static final Logger LOG = LoggerFactory.getLogger(TrialCompletion.class);
    /** How long a new revision waits for the previous one to record a swap it is part of. */
    private static final Duration MARKER_WAIT = Duration.ofMinutes(10);

    private final Database database;
    private final Path dataDir;
    private final Path installRoot;
    private final String ownVersion;
    private final String frameworkUuid;
    /** Runs last updated before this process started cannot be a swap going on in it. */
    private final Instant processStarted;
    private final ServerHealth health;
    private final Map<String, String> env;
    private final IntConsumer exit;
    private final Thread worker;
    private volatile boolean stopped;

    @Activate
    public TrialCompletion(@Reference Database database, BundleContext context) {
        this(database, context, System.getenv(), System::exit);
    }

    TrialCompletion(Database database, BundleContext context, Map<String, String> env, IntConsumer exit) {
        this.database = database;
        this.dataDir = Path.of(context.getProperty("pm.data.dir")).toAbsolutePath();
        String home = context.getProperty("pm.home");
        this.installRoot = home == null ? null : Path.of(home).toAbsolutePath();
        this.ownVersion = String.valueOf(context.getProperty("pm.version"));
        this.frameworkUuid = context.getProperty(Constants.FRAMEWORK_UUID);
        String started = context.getProperty("pm.start.millis");
        this.processStarted = started == null ? Instant.now() : Instant.ofEpochMilli(Long.parseLong(started));
        this.health = new ServerHealth(context);
        this.env = env;
        this.exit = exit;
        this.worker = new Thread(this::run, "pm-selfupdate-completion");
        worker.setDaemon(true);
        worker.start();
    }

    @Deactivate
    void stop() {
        stopped = true;
        worker.interrupt();
    }

    /** Waits for the work to end (tests). */
    void join(Duration timeout) throws InterruptedException {
        worker.join(timeout.toMillis());
    }

    private void run() {
        try {
            SelfUpdateSchema.ensure(database);
            String swapping = hotSwapMarker();
            RunRecords.endStrandedHotSwaps(database, swapping, processStarted);
            handover();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            if (!stopped) {
                LOG.error("self-update: cannot finish the previous update run: {}", e.toString());
            }
        }
    }

    private void handover() throws IOException, SQLException, InterruptedException {
        Path file = Handover.file(dataDir);
        Optional<Map<String, Object>> read = Handover.read(file);
        if (read.isEmpty()) {
            return;
        }
        Map<String, Object> h = read.get();
        String runId = Handover.text(h, "run_id");
        String from = Handover.text(h, "from_version");
        String to = Handover.text(h, "to_version");
        if (ownVersion.equals(to)) {
            trial(file, h, runId);
        } else if (ownVersion.equals(from)) {
            Map<String, Object> outcome = Handover.object(h, "outcome");
            String code;
            String message;
            if (outcome != null) {
                code = Handover.text(outcome, "code");
                message = Handover.text(outcome, "message");
            } else if ("booted".equals(Handover.text(h, "phase"))) {
                code = "HEALTH_CHECK_FAILED";
                message = to + " started but never committed (it crashed or was stopped during its trial)";
            } else {
                code = "RESTART_FAILED";
                message = to + " never started: the restart did not boot its version slot";
            }
            String restored = h.get("restored_at") != null ? "; the database backup was restored" : "";
            RunRecords.finish(database, runId, "rolled_back", code, message + "; " + from + " runs again" + restored);
            DurableFiles.delete(file);
            LOG.warn("self-update run {}: rolled back to {} ({}: {})", runId, from, code, message);
        } else {
            LOG.warn("self-update: the hand-over in {} is from {} to {}, and this is {}: left alone", file, from, to,
                    ownVersion);
        }
    }

    private void trial(Path file, Map<String, Object> h, String runId) throws IOException, SQLException,
            InterruptedException {
        if (h.get("outcome") != null) {
            LOG.error("self-update run {}: this trial already failed ({}); exiting to return to the previous version",
                    runId, h.get("outcome"));
            exit.accept(ServerReleaseApplier.EXIT_RESTART);
            return;
        }
        Duration timeout = ServerReleaseApplier.healthTimeout(env);
        long deadline = System.nanoTime() + timeout.toNanos();
        Optional<String> problem;
        while ((problem = health.problem(database)).isPresent()) {
            if (stopped) {
                return;
            }
            if (ServerHealth.migrationFailed(problem.get()) || System.nanoTime() >= deadline) {
                break;
            }
            Thread.sleep(250);
        }
        if (problem.isEmpty()) {
            if (installRoot != null) {
                new VersionPointers(installRoot).commit(ownVersion);
            }
            RunRecords.finish(database, runId, "succeeded", null, "restarted into " + ownVersion + ", healthy");
            DurableFiles.delete(file);
            LOG.info("self-update run {}: {} is healthy and committed", runId, ownVersion);
            return;
        }
        String code = ServerHealth.migrationFailed(problem.get()) ? "MIGRATION_FAILED" : "HEALTH_CHECK_FAILED";
        Map<String, Object> outcome = new LinkedHashMap<>();
        outcome.put("code", code);
        outcome.put("message", ownVersion + " was not healthy " + (code.equals("MIGRATION_FAILED") ? "" : "within "
                + timeout.toSeconds() + " s ") + "after the restart: " + problem.get());
        h.put("outcome", outcome);
        Handover.write(file, h);
        LOG.error("self-update run {}: {}; exiting with {} to return to the previous version", runId,
                outcome.get("message"), ServerReleaseApplier.EXIT_RESTART);
        exit.accept(ServerReleaseApplier.EXIT_RESTART);
    }

    /** @return the run of the marker found (finished now), or null */
    private String hotSwapMarker() throws IOException, SQLException, InterruptedException {
        Path file = HotSwapMarker.file(dataDir);
        Optional<Map<String, Object>> m = HotSwapMarker.read(file);
        if (m.isEmpty()) {
            return null;
        }
        String runId = String.valueOf(m.get().get("run_id"));
        if (frameworkUuid != null && frameworkUuid.equals(m.get().get("framework_uuid"))) {
            // the swap that installed this revision: the previous revision writes the outcome when the gate ends
            long deadline = System.nanoTime() + MARKER_WAIT.toNanos();
            while (m.isPresent() && m.get().get("outcome") == null && System.nanoTime() < deadline && !stopped) {
                Thread.sleep(250);
                m = HotSwapMarker.read(file);
            }
            if (m.isEmpty() || !(m.get().get("outcome") instanceof Map<?, ?> outcome)) {
                return runId;
            }
            if ("succeeded".equals(outcome.get("status"))) {
                RunningVersion.swapped(String.valueOf(m.get().get("to_version"))); // this revision's copy of it
            }
            RunRecords.finish(database, runId, String.valueOf(outcome.get("status")),
                    outcome.get("code") == null ? null : String.valueOf(outcome.get("code")),
                    String.valueOf(outcome.get("message")));
        } else if (!(m.get().get("outcome") instanceof Map<?, ?>)) {
            RunRecords.finish(database, runId, "rolled_back", "SWAP_FAILED", "the server stopped during the hot swap "
                    + "to " + m.get().get("to_version") + "; it started again with the committed version "
                    + ownVersion);
        }
        DurableFiles.delete(file);
        return runId;
    }
}
