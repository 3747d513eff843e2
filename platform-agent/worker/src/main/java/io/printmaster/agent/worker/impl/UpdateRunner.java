package io.printmaster.agent.worker.impl;

import com.fasterxml.jackson.databind.JsonNode;
import io.printmaster.agent.config.api.AgentSettings;
import io.printmaster.agent.enrollment.api.CheckIn;
import io.printmaster.agent.enrollment.api.EnrolledAgent;
import io.printmaster.agent.enrollment.api.Enrollment;
import io.printmaster.agent.hotswap.api.BundleSwapper;
import io.printmaster.agent.hotswap.api.PlannedBundle;
import io.printmaster.agent.hotswap.api.PluginReplacement;
import io.printmaster.agent.hotswap.api.SwapOutcome;
import io.printmaster.agent.hotswap.api.SwapPlan;
import io.printmaster.agent.update.api.DeliveredPlugin;
import io.printmaster.agent.update.api.RunResult;
import io.printmaster.agent.update.api.RunState;
import io.printmaster.core.policy.MaintenanceWindow;
import io.printmaster.core.policy.UpdatePolicy;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One update run from the check to the restart, and the second half after the restart (health check, commit or
 * rollback), with every transition reported. Runs on the worker's thread only; the status fields are read from
 * any thread.
 *
 * <p>Order of a full install: check in → verify the signed manifest → pre-flight disk check → resumable download
 * → verify the bytes → unpack into {@code versions/.staging-<v>} → rename to the slot → write {@code trial} →
 * restart through the service manager. The trampoline boots the trial; its worker checks its health and commits
 * ({@code current}) or asks to go back. Nothing in the running version's program tree is ever written, so a crash
 * at any point leaves the old version bootable, and the run marker tells the next start what to finish or report.
 *
 * <p>A hot swap, when the release keeps the runtime ({@code runtime_sha256} equals the running program's): the slot is
 * built from the running files plus the changed bundles ({@link HotSwapStager}), the bundles are swapped inside the
 * running framework behind the health gate ({@link BundleSwapper}), and {@code current} moves only once the new set
 * passed it. No restart; a crash during the swap leaves {@code current}, the complete old set, for the next start.
 */
final class UpdateRunner {
    private static final Logger LOG = LoggerFactory.getLogger(UpdateRunner.class);
    static final String COMPONENT = "agent";
    /** Staging space as a multiple of the download: the download, the unpacked tree (jars barely compress). */
    static final int SPACE_FACTOR = 3;

    /** Restarts the agent's service so that the trampoline boots the slot pointers' choice. */
    interface Restarter {
        /**
         * Asks for the restart. Returns when the service system accepted it (this process ends soon after).
         *
         * @throws UpdateFailure {@code RESTART_FAILED} when no service manager runs this agent or it refused
         */
        void restart() throws UpdateFailure;

        /** This restarter as it is now, usable after the caller's references are gone; by default itself. */
        default Restarter snapshot() {
            return this;
        }
    }

    /** The health check of a trial. */
    interface HealthProbe {
        /** Waits for the agent to become healthy; empty when healthy, else the failing check, for the operator. */
        Optional<String> failingCheck() throws InterruptedException;
    }

    /**
     * What the hot-swap path and plugin replacements need.
     *
     * @param enabled whether releases that keep the runtime are hot-swapped (setting {@code hot_swap}); off: every agent
     *     release is installed in full (plugins are still replaced behind the gate)
     * @param swapper the hot-swap engine, when one runs now
     * @param frameworkUuid this process's framework instance
     * @param healthTimeout how long swapped bundles have to pass the health gate
     * @param wakeReporter wakes the worker that runs after a swap, to report it ({@link #reportFinishedSwap})
     */
    record HotSwapSupport(boolean enabled, Supplier<Optional<BundleSwapper>> swapper, String frameworkUuid,
                          Duration healthTimeout, Runnable wakeReporter) {
    }

    /** Free space, replaceable in tests. */
    interface DiskSpace {
        long usableBytes(Path dir) throws IOException;
    }

    private final InstallLayout layout;
    private final WorkerFiles files;
    private final Enrollment enrollment;
    private final Supplier<AgentSettings> settings;
    private final ManifestVerifier verifier;
    private final ResumableDownload download;
    private final ArchiveStager stager;
    private final TelemetrySender telemetry;
    private final Restarter restarter;
    private final HealthProbe health;
    private final DiskSpace disk;
    private final FaultInjection faults;
    private final Clock clock;
    private final Supplier<String> runningVersion;
    private final HotSwapSupport hotSwap;
    private final String platform;
    private final String arch;

    private final AtomicBoolean cancelRequested = new AtomicBoolean();
    private volatile RunState state = RunState.IDLE;
    private volatile String latestVersion;

    UpdateRunner(InstallLayout layout, WorkerFiles files, Enrollment enrollment, Supplier<AgentSettings> settings,
                 ManifestVerifier verifier, ResumableDownload download, ArchiveStager stager, TelemetrySender telemetry,
                 Restarter restarter, HealthProbe health, DiskSpace disk, FaultInjection faults, Clock clock,
                 Supplier<String> runningVersion, HotSwapSupport hotSwap, String platform, String arch) {
        this.layout = layout;
        this.files = files;
        this.enrollment = enrollment;
        this.settings = settings;
        this.verifier = verifier;
        this.download = download;
        this.stager = stager;
        this.telemetry = telemetry;
        this.restarter = restarter;
        this.health = health;
        this.disk = disk;
        this.faults = faults;
        this.clock = clock;
        this.runningVersion = runningVersion;
        this.hotSwap = hotSwap;
        this.platform = platform;
        this.arch = arch;
    }

    RunState state() {
        return state;
    }

    Optional<String> latestVersion() {
        return Optional.ofNullable(latestVersion);
    }

    /** The release that runs: the one the process started with, or the one a hot swap went to. */
    String runningVersion() {
        return runningVersion.get();
    }

    /** Asks the run in progress to stop at its next safe point (before the trial pointer is written). */
    void cancel() {
        cancelRequested.set(true);
    }

    /**
     * A run: check, and when the server offers an update the policy allows now, install it.
     *
     * @param forced ignore the maintenance window and versions that failed here before (never the signature)
     * @param checkIn a check-in just made (a server command arrived with it); empty to check in now
     * @return how the run ended; {@link RunState#RESTARTING} when the process is about to be replaced
     */
    RunResult run(String runId, boolean forced, Optional<CheckIn> checkIn) throws InterruptedException {
        if (swapInProgress()) {
            // the revision of the worker this one replaced is still swapping: not a run, not reported
            return result(runId, RunState.SKIPPED, null, null, "a hot swap is in progress in this process");
        }
        reportFinishedSwap(); // before this run's marker can take its place
        cancelRequested.set(false);
        String target = null;
        try {
            transition(runId, RunState.CHECKING, null, null, null, Map.of());
            AgentSettings s = settings.get();
            EffectivePolicy policy = new EffectivePolicy(s.policySource(), s.policy(),
                    s.policySource().wireName());
            Optional<RunResult> refused = policy.refusal(runId, clock.instant());
            if (refused.isPresent()) {
                return finish(refused.get(), true);
            }
            if (!forced) {
                MaintenanceWindow window = new MaintenanceWindow(policy.policy().orElseThrow().maintenanceWindow());
                if (window.enabled() && !window.isOpen(clock.instant())) {
                    String when = window.nextOpening(clock.instant()).map(Instant::toString).orElse("never");
                    return finish(result(runId, RunState.SKIPPED, null, "OUTSIDE_WINDOW",
                            "the maintenance window is closed; the next check is at its opening (" + when + ")"), true);
                }
            }
            CheckIn c = checkIn.isPresent() ? checkIn.get()
                    : enrollment.checkInNow(Duration.ofSeconds(60)).orElse(null);
            if (c == null || !c.succeeded() || c.answer().isEmpty()) {
                String why = c == null ? "no check-in completed within 60 s (" + enrollment.state().message() + ")"
                        : c.problem().orElse("HTTP " + c.status());
                return finish(result(runId, RunState.FAILED, null, "SERVER_ERROR",
                        "cannot ask the server for updates: " + why), true);
            }
            files.saveState(files.state().withLastCheck(c.at()));
            JsonNode answer = c.answer().get();
            latestVersion = textOrNull(answer.path("latest_version"));
            JsonNode offer = answer.path("update");
            if (!answer.path("update_available").asBoolean(false) || !offer.isObject()) {
                // the agent is current: now its vendor plugins
                return installPlugins(runId, forced, answer.path("plugin_updates"), c.at()).orElseGet(() ->
                        finish(result(runId, RunState.SUCCEEDED, null, null,
                                "up to date: the server offers nothing newer than " + runningVersion()), false));
            }
            target = offer.path("version").asText("");
            if (target.equals(runningVersion())) {
                String running = target;
                return installPlugins(runId, forced, answer.path("plugin_updates"), c.at()).orElseGet(() ->
                        finish(result(runId, RunState.SUCCEEDED, null, null, "already running " + running), false));
            }
            if (!forced && files.state().failedVersions().contains(target)) {
                return finish(result(runId, RunState.SKIPPED, target, null, target + " failed its health check on "
                        + "this agent before; it is not tried again automatically (Update now forces it)"), false);
            }
            transition(runId, RunState.PENDING, target, null, null, Map.of());
            return install(runId, forced, offer, c.at());
        } catch (UpdateFailure f) {
            return finish(result(runId, RunState.FAILED, target, f.code(), f.getMessage()), true);
        } catch (ResumableDownload.CancelledException e) {
            clearMarkerQuietly();
            return finish(result(runId, RunState.CANCELLED, target, null, "cancelled before anything was installed; "
                    + "a partial download is kept and resumed by the next run"), true);
        } catch (IOException e) {
            if (e instanceof java.nio.channels.ClosedByInterruptException || Thread.currentThread().isInterrupted()) {
                // the agent is stopping: not a failure of the update, which the next start resumes
                return finish(result(runId, RunState.CANCELLED, target, null, "interrupted because the agent is "
                        + "stopping; the next start resumes the update"), true);
            }
            return finish(result(runId, RunState.FAILED, target, "APPLY_FAILED", "the update could not be prepared: "
                    + e), true);
        }
    }

    private RunResult install(String runId, boolean forced, JsonNode offer, Instant now)
            throws UpdateFailure, IOException, ResumableDownload.CancelledException, InterruptedException {
        VerifiedManifest m = verify(offer, now);
        String target = m.version();
        if (!target.equals(offer.path("version").asText(""))) {
            throw new UpdateFailure("MANIFEST_ERROR", "the signed manifest is for " + target + ", the offer for "
                    + offer.path("version").asText(""));
        }
        String ext = switch (m.format()) {
            case "tar.gz" -> "tar.gz";
            case "zip" -> "zip";
            default -> throw new UpdateFailure("MANIFEST_ERROR", "format '" + m.format() + "' is not one this agent "
                    + "installs (tar.gz, zip)");
        };
        Files.createDirectories(layout.downloads());
        Files.createDirectories(layout.versions());
        Path archive = layout.downloads().resolve(target + "-" + platform + "-" + arch + "." + ext);
        preflight(m, archive);
        Optional<RunResult> hotSwapped = hotSwap(runId, forced, m, now);
        if (hotSwapped.isPresent()) {
            return hotSwapped.get();
        }

        RunMarker marker = new RunMarker(runId, runningVersion(), target, RunMarker.Phase.downloading, forced, now,
                null, null, m.releaseCounter());
        files.saveMarker(marker);
        long resumedFrom = Files.isRegularFile(ResumableDownload.partialOf(archive))
                ? Files.size(ResumableDownload.partialOf(archive)) : 0;
        transition(runId, RunState.DOWNLOADING, target, null, null,
                resumedFrom > 0 ? Map.of("resumed_from_bytes", resumedFrom) : Map.of());
        long started = System.nanoTime();
        ServerAccess server = serverAccess();
        URI uri = server.resolve(offer.path("download_url").asText(""));
        boolean[] halfway = {false};
        if (!(Files.isRegularFile(archive) && sameBytes(archive, m))) {
            download.download(uri, server.headers(), archive, m, (received, total) -> {
                if (!halfway[0] && received * 2 >= total) {
                    halfway[0] = true;
                    faults.reached(FaultInjection.Point.download);
                }
            }, cancelRequested::get);
        }
        long downloadMillis = (System.nanoTime() - started) / 1_000_000;

        files.saveMarker(marker.at(RunMarker.Phase.staging));
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("download_url", uri.getPath());
        if (resumedFrom > 0) {
            meta.put("resumed_from_bytes", resumedFrom);
        }
        transition(runId, RunState.STAGING, target, null, null, meta, downloadMillis, m.sizeBytes());
        Path staging = layout.staging(target);
        Path slot = layout.slot(target);
        if (slot.equals(layout.programDir())) {
            throw new UpdateFailure("STAGING_FAILED", "version " + target + " is the one running");
        }
        ArchiveStager.deleteTree(staging);
        boolean[] stagedHalf = {false};
        stager.stage(archive, ext, staging, target, read -> {
            if (!stagedHalf[0] && read * 2 >= m.sizeBytes()) {
                stagedHalf[0] = true;
                faults.reached(FaultInjection.Point.staging);
            }
        }, cancelRequested::get);
        try {
            ArchiveStager.deleteTree(slot);
            Files.move(staging, slot, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UpdateFailure("STAGING_FAILED", "cannot move the staged release into " + slot + ": " + e);
        }
        if (cancelRequested.get()) {
            throw new ResumableDownload.CancelledException();
        }

        transition(runId, RunState.APPLYING, target, null, null, Map.of());
        try {
            files.saveMarker(marker.at(RunMarker.Phase.restarting));
            layout.writeTrial(target);
        } catch (IOException e) {
            layout.clear("trial");
            throw new UpdateFailure("APPLY_FAILED", "cannot hand " + target + " over to the next start: " + e);
        }
        faults.reached(FaultInjection.Point.applying);
        transition(runId, RunState.RESTARTING, target, null, null, Map.of());
        try {
            restarter.restart();
        } catch (UpdateFailure f) {
            // nothing was switched: withdraw the trial, the running version stays
            layout.clear("trial");
            files.clearMarker();
            return finish(result(runId, RunState.ROLLED_BACK, target, f.code(), f.getMessage()
                    + "; " + runningVersion() + " keeps running"), true);
        }
        return result(runId, RunState.RESTARTING, target, null, "restarting into " + target);
    }

    /**
     * The hot-swap path: when the release runs the same process as this one (same {@code runtime_sha256}), build its
     * slot from what is on disk plus the bundles that changed, and swap them inside the running framework.
     *
     * @return the run's end; empty when the release needs the full install (a restart), including when the swap
     *     could not begin
     */
    private Optional<RunResult> hotSwap(String runId, boolean forced, VerifiedManifest m, Instant now)
            throws UpdateFailure, IOException, ResumableDownload.CancelledException, InterruptedException {
        if (hotSwap == null || !hotSwap.enabled() || m.hotSwappableRuntime().isEmpty()) {
            return Optional.empty();
        }
        Optional<BundleSwapper> swapper = hotSwap.swapper().get();
        String target = m.version();
        String from = runningVersion();
        Path runningSlot = layout.slot(from);
        HotSwapStager stager = new HotSwapStager(layout.programDir(), List.of(runningSlot.resolve("bundle"),
                layout.programDir().resolve("bundle")));
        if (swapper.isEmpty()) {
            LOG.info("no hot-swap engine runs: {} is installed in full, with a restart", target);
            return Optional.empty();
        }
        if (!stager.sameRuntime(m)) {
            LOG.info("{} changes the runtime (launcher, framework, scripts or JVM options): it is installed in full, with "
                    + "a restart", target);
            return Optional.empty();
        }
        Path slot = layout.slot(target);
        if (slot.equals(layout.programDir()) || slot.equals(runningSlot)) {
            throw new UpdateFailure("STAGING_FAILED", "version " + target + " is the one running");
        }
        RunMarker marker = new RunMarker(runId, from, target, RunMarker.Phase.downloading, forced, now, null, null,
                m.releaseCounter());
        files.saveMarker(marker);
        HotSwapStager.Downloads needed = stager.missing(m);
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("mode", "hot-swap");
        meta.put("bundles", needed.paths());
        transition(runId, RunState.DOWNLOADING, target, null, null, meta);

        long started = System.nanoTime();
        ServerAccess server = serverAccess();
        Path staging = layout.staging(target);
        ArchiveStager.deleteTree(staging);
        HotSwapStager.Downloads downloaded = stager.stage(m, staging, (bundle, jar) -> {
            URI uri = server.resolve("/api/v1/agents/update/bundle/" + target + "/" + platform + "-" + arch + "/"
                    + bundle.sha256());
            download.download(uri, server.headers(), jar, m.forBundle(bundle),
                    (received, total) -> { }, cancelRequested::get);
        }, cancelRequested::get);
        long downloadMillis = (System.nanoTime() - started) / 1_000_000;

        files.saveMarker(marker.at(RunMarker.Phase.staging));
        transition(runId, RunState.STAGING, target, null, null, Map.of("mode", "hot-swap"), downloadMillis,
                downloaded.bytes());
        try {
            ArchiveStager.deleteTree(slot);
            Files.move(staging, slot, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UpdateFailure("STAGING_FAILED", "cannot move the staged release into " + slot + ": " + e);
        }
        if (cancelRequested.get()) {
            throw new ResumableDownload.CancelledException();
        }
        List<PlannedBundle> plan = new ArrayList<>();
        for (VerifiedManifest.Bundle b : m.bundles()) {
            plan.add(new PlannedBundle(b.symbolicName(), b.version(), b.sha256(), slot.resolve(b.path())));
        }

        transition(runId, RunState.APPLYING, target, null, null, Map.of("mode", "hot-swap"));
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("mode", "hot-swap");
        report.put("bundles_downloaded", downloaded.paths());
        report.put("bytes_downloaded", downloaded.bytes());
        RunMarker swapping = marker.swapping(hotSwap.frameworkUuid(), report);
        // Written before the swap also to load every class its writing needs: the swap may replace this bundle (or
        // jackson), after which the old revision cannot load classes it has not loaded yet.
        files.saveMarker(swapping);
        files.saveState(files.state());
        // The service managers of now: after a swap that replaced this worker its references are gone.
        Restarter restartAfterSwap = restarter.snapshot();
        SwapOutcome outcome;
        try {
            outcome = swapper.get().swap(new SwapPlan(from, target, plan, hotSwap.healthTimeout()));
        } catch (IllegalStateException e) {
            LOG.warn("the hot swap to {} cannot begin ({}); installing it in full, with a restart", target,
                    e.getMessage());
            ArchiveStager.deleteTree(slot);
            files.saveMarker(marker);
            return Optional.empty();
        } catch (InterruptedException e) {
            // nothing was changed: the agent is stopping
            files.saveMarker(marker);
            ArchiveStager.deleteTree(slot);
            throw new ResumableDownload.CancelledException();
        } catch (RuntimeException e) {
            // what runs now is unknown: only a restart, which installs the committed version whole, is sure
            return Optional.of(restartIntoCommitted(runId, swapping, restartAfterSwap, "the hot swap to " + target
                    + " failed unexpectedly (" + e + ")"));
        }
        boolean interrupted = Thread.interrupted(); // file writes below must not fail on a deferred interrupt
        try {
            return Optional.of(afterSwap(runId, m, swapping, outcome, report, restartAfterSwap));
        } catch (IOException | RuntimeException e) {
            // the outcome could not be recorded (current, state, marker): the swap must not stay half-recorded
            return Optional.of(restartIntoCommitted(runId, swapping, restartAfterSwap, "the outcome of the hot swap "
                    + "to " + target + " (" + outcome.result() + ") could not be recorded (" + e + ")"));
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Ends a swap whose state is unknown or unrecorded: marker {@code rolling_back} (what the next start reports) and
     * a restart, which installs the version {@code current} names, whole.
     */
    private RunResult restartIntoCommitted(String runId, RunMarker swapping, Restarter restart, String why) {
        LOG.error("{}; restarting into the committed version", why);
        try {
            files.saveMarker(swapping.failing("APPLY_FAILED", why));
        } catch (IOException e) {
            LOG.error("cannot record the failed hot swap in {}: {}", files.markerFile(), e.toString());
        }
        try {
            restart.restart();
            return result(runId, RunState.RESTARTING, swapping.fromVersion(), "APPLY_FAILED", why);
        } catch (UpdateFailure f) {
            String message = why + "; the restart failed too: " + f.getMessage() + " (restart the agent)";
            try {
                files.saveMarker(swapping.swapped(RunState.FAILED.wireName(), "APPLY_FAILED", message,
                        swapping.metadata()));
            } catch (IOException e) {
                LOG.error("cannot record the failed hot swap in {}: {}", files.markerFile(), e.toString());
            }
            hotSwap.wakeReporter().run();
            return result(runId, RunState.FAILED, swapping.toVersion(), "APPLY_FAILED", message);
        }
    }

    /**
     * Records how the swap ended. This may run in the old revision of a worker bundle the swap just replaced: it only
     * writes files with objects made before the swap, and leaves the report (telemetry, which needs the enrollment
     * service) to the worker that runs now, which it wakes ({@link #reportFinishedSwap}).
     */
    private RunResult afterSwap(String runId, VerifiedManifest m, RunMarker swapping, SwapOutcome outcome,
                                Map<String, Object> report, Restarter restartAfterSwap) throws IOException {
        String target = swapping.toVersion();
        String from = swapping.fromVersion();
        Map<String, Object> meta = new LinkedHashMap<>(report);
        meta.put("bundles_changed", outcome.changed());
        meta.put("swap_ms", outcome.swapMillis());
        meta.put("downtime_ms", outcome.downtimeMillis());
        RunResult result;
        switch (outcome.result()) {
            case SWAPPED -> {
                layout.writeCurrent(target);
                files.saveState(files.state().withCounter(m.releaseCounter()));
                // timings stay in metadata (swap_ms, downtime_ms), which collect_telemetry=false keeps at home
                String message = "hot-swapped from " + from + " to " + target + " without a restart ("
                        + outcome.changed().size() + " bundle(s) changed)";
                files.saveMarker(swapping.swapped(RunState.SUCCEEDED.wireName(), null, message, meta));
                result = result(runId, RunState.SUCCEEDED, target, null, message);
            }
            case ROLLED_BACK -> {
                files.saveState(files.state().withFailed(target));
                ArchiveStager.deleteTree(layout.slot(target));
                String message = target + " failed its health check after a hot swap: " + outcome.failingCheck()
                        + "; the bundles of " + from + " run again";
                files.saveMarker(swapping.swapped(RunState.ROLLED_BACK.wireName(), "HEALTH_CHECK", message, meta));
                result = result(runId, RunState.ROLLED_BACK, target, "HEALTH_CHECK", message);
            }
            default -> {
                // the old bundles did not come back healthy: a restart runs the committed version (current) whole
                files.saveState(files.state().withFailed(target));
                String message = target + " failed its health check after a hot swap (" + outcome.failingCheck()
                        + "), and putting back the bundles of " + from + " failed too; restarting into " + from;
                files.saveMarker(swapping.failing("HEALTH_CHECK", message));
                try {
                    restartAfterSwap.restart();
                    return result(runId, RunState.RESTARTING, from, "HEALTH_CHECK", message);
                } catch (UpdateFailure f) {
                    String failed = message + "; the restart failed: " + f.getMessage()
                            + " (restart the agent to run " + from + ")";
                    files.saveMarker(swapping.swapped(RunState.FAILED.wireName(), "ROLLBACK_FAILED", failed, meta));
                    result = result(runId, RunState.FAILED, target, "ROLLBACK_FAILED", failed);
                }
            }
        }
        hotSwap.wakeReporter().run();
        return result;
    }

    /**
     * Reports a hot swap that ended (a {@code swapped} run marker) and forgets it; called by the worker that runs now,
     * which may be a new revision of the one that swapped.
     *
     * @return whether there was one
     */
    boolean reportFinishedSwap() {
        Optional<RunMarker> found = files.marker().filter(k -> k.phase() == RunMarker.Phase.swapped);
        if (found.isEmpty()) {
            return false;
        }
        RunMarker k = found.get();
        RunState s = RunState.valueOf(k.outcome().toUpperCase(java.util.Locale.ROOT));
        finish(new RunResult(k.runId(), s, k.toVersion(), k.errorCode(), k.errorMessage(), clock.instant()), true,
                k.metadata());
        clearMarkerQuietly();
        if (s == RunState.SUCCEEDED && k.plugin() == null) {
            removeOldSlots(k.toVersion(), k.fromVersion());
        }
        return true;
    }

    /** Whether a hot swap runs in this process now (started by this worker or by the revision it replaced). */
    boolean swapInProgress() {
        return hotSwap != null && files.marker().filter(k -> k.phase() == RunMarker.Phase.swapping
                && hotSwap.frameworkUuid().equals(k.frameworkUuid())).isPresent();
    }

    /**
     * Installs the vendor plugin releases the server offers ({@code plugin_updates}), one by one, each as a run of its
     * own ({@code <runId>-<component>}) with its own report.
     *
     * @return the last plugin run's end; empty when nothing was offered for a plugin installed here
     */
    private Optional<RunResult> installPlugins(String runId, boolean forced, JsonNode offers, Instant now)
            throws InterruptedException {
        if (!offers.isArray() || offers.isEmpty()) {
            return Optional.empty();
        }
        Optional<RunResult> last = Optional.empty();
        List<DeliveredPlugin> plugins = DeliveredPlugin.scan(layout.pluginsDir());
        for (JsonNode offer : offers) {
            String component = offer.path("component").asText("");
            Optional<DeliveredPlugin> installed = plugins.stream()
                    .filter(p -> p.component().equals(component)).findFirst();
            if (installed.isEmpty()) {
                LOG.warn("the server offers plugin {} {}, which is not installed here; ignoring it", component,
                        offer.path("version").asText(""));
                continue;
            }
            String pluginRun = (runId + "-" + component).substring(0, Math.min(64, runId.length() + 1
                    + component.length()));
            last = Optional.of(installPlugin(pluginRun, forced, installed.get(), offer, now));
        }
        return last;
    }

    /** One vendor plugin: verify, download, check, replace behind the health gate, report. */
    private RunResult installPlugin(String runId, boolean forced, DeliveredPlugin installed, JsonNode offer,
                                   Instant now) throws InterruptedException {
        String component = installed.component();
        String target = offer.path("version").asText("");
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("mode", "plugin");
        meta.put("component", component);
        meta.put("from_version", installed.version());
        try {
            if (!forced && files.state().failedVersions().contains(PersistentState.pluginRelease(component, target))) {
                return finish(result(runId, RunState.SKIPPED, target, null, "plugin " + component + " " + target
                        + " failed its health check on this agent before; it is not tried again automatically (Update "
                        + "now forces it)"), false);
            }
            Optional<BundleSwapper> swapper = hotSwap == null ? Optional.empty() : hotSwap.swapper().get();
            if (swapper.isEmpty()) {
                return finish(result(runId, RunState.SKIPPED, target, null, "plugin " + component + " " + target
                        + " is offered, but no hot-swap engine runs here to replace it behind a health gate"), false);
            }
            transition(runId, RunState.PENDING, target, null, null, meta);
            VerifiedManifest m = verifier.verify(manifestBytes(offer), offer.path("signature").asText(""), trust(),
                    new ManifestVerifier.Expectation(component, platform, arch,
                            files.state().pluginCounter(component)), now);
            if (!m.version().equals(target) || !m.format().equals("jar")) {
                throw new UpdateFailure("MANIFEST_ERROR", "the signed manifest is for " + m.component() + " "
                        + m.version() + " (" + m.format() + "), the offer for plugin " + component + " " + target
                        + " (jar)");
            }
            Files.createDirectories(layout.downloads());
            Path jar = layout.downloads().resolve(component + "-" + target + ".jar");
            ServerAccess server = serverAccess();
            URI uri = server.resolve(offer.path("download_url").asText(""));
            transition(runId, RunState.DOWNLOADING, target, null, null, meta);
            long started = System.nanoTime();
            if (!(Files.isRegularFile(jar) && sameBytes(jar, m))) {
                download.download(uri, server.headers(), jar, m, (r, t) -> { },
                        cancelRequested::get);
            }
            transition(runId, RunState.STAGING, target, null, null, meta, (System.nanoTime() - started) / 1_000_000,
                    m.sizeBytes());
            Optional<DeliveredPlugin> delivered = DeliveredPlugin.read(jar);
            if (delivered.isEmpty() || !delivered.get().component().equals(component)
                    || !delivered.get().symbolicName().equals(installed.symbolicName())) {
                throw new UpdateFailure("STAGING_FAILED", "the jar of " + component + " " + target + " is not plugin "
                        + installed.symbolicName() + " of component " + component + " (it is "
                        + delivered.map(d -> d.symbolicName() + " of " + d.component()).orElse("no delivered plugin")
                        + ")");
            }
            Path backup = layout.pluginBackup(installed.jar().getFileName().toString());
            Files.deleteIfExists(backup); // never put back a backup of an earlier replacement
            RunMarker marker = new RunMarker(runId, installed.version(), target, RunMarker.Phase.downloading, forced,
                    now, null, null, m.releaseCounter())
                    .swapping(hotSwap.frameworkUuid(), meta)
                    .forPlugin(new RunMarker.PluginFiles(component, installed.jar().toString(), backup.toString(),
                            ManifestVerifier.sha256(installed.jar())));
            files.saveMarker(marker);
            transition(runId, RunState.APPLYING, target, null, null, meta);
            SwapOutcome outcome;
            try {
                outcome = swapper.get().replacePlugin(new PluginReplacement(component, installed.version(), target,
                        installed.jar(), jar, m.sha256(), backup, hotSwap.healthTimeout()));
            } catch (IllegalStateException e) {
                files.clearMarker();
                throw new UpdateFailure("APPLY_FAILED", "plugin " + component + " " + target + " cannot replace "
                        + installed.jar() + ": " + e.getMessage());
            } catch (InterruptedException e) {
                files.clearMarker(); // nothing was changed: the agent is stopping
                throw new ResumableDownload.CancelledException();
            }
            meta.put("swap_ms", outcome.swapMillis());
            meta.put("downtime_ms", outcome.downtimeMillis());
            meta.put("bytes_downloaded", m.sizeBytes());
            RunResult r = switch (outcome.result()) {
                case SWAPPED -> {
                    files.saveState(files.state().withPluginCounter(component, m.releaseCounter()));
                    yield result(runId, RunState.SUCCEEDED, target, null, "plugin " + component + " updated from "
                            + installed.version() + " to " + target + " without a restart");
                }
                case ROLLED_BACK -> {
                    files.saveState(files.state().withFailed(PersistentState.pluginRelease(component, target)));
                    yield result(runId, RunState.ROLLED_BACK, target, "HEALTH_CHECK", "plugin " + component + " "
                            + target + " failed its health check: " + outcome.failingCheck() + "; "
                            + installed.version() + " runs again");
                }
                default -> {
                    files.saveState(files.state().withFailed(PersistentState.pluginRelease(component, target)));
                    yield result(runId, RunState.FAILED, target, "ROLLBACK_FAILED", "plugin " + component + " "
                            + target + " failed its health check (" + outcome.failingCheck() + ") and "
                            + installed.version() + " did not come back healthy; its jar is in " + backup);
                }
            };
            // the outcome is recorded before the report, which a crash must not lose
            files.saveMarker(marker.swapped(r.state().wireName(), r.errorCode(), r.errorMessage(), meta));
            if (r.state() != RunState.FAILED) {
                Files.deleteIfExists(backup);
            }
            Files.deleteIfExists(jar);
            finish(r, true, meta);
            clearMarkerQuietly();
            return r;
        } catch (UpdateFailure f) {
            return finish(result(runId, RunState.FAILED, target, f.code(), f.getMessage()), true, meta);
        } catch (ResumableDownload.CancelledException e) {
            return finish(result(runId, RunState.CANCELLED, target, null, "cancelled; the partial download is "
                    + "kept"), true, meta);
        } catch (IOException e) {
            return finish(result(runId, RunState.FAILED, target, "APPLY_FAILED", "plugin " + component + " " + target
                    + " could not be prepared: " + e), true, meta);
        }
    }

    /**
     * A plugin replacement that the end of the process cut short: the plugin's file may hold the new jar, on trial,
     * which the next start must not keep. The backup goes back, and the run is reported.
     */
    private void finishInterruptedPluginSwap(RunMarker marker) throws IOException {
        RunMarker.PluginFiles p = marker.plugin();
        restorePlugin(p);
        files.saveState(files.state().withFailed(PersistentState.pluginRelease(p.component(), marker.toVersion())));
        files.clearMarker();
        finish(result(marker.runId(), RunState.ROLLED_BACK, marker.toVersion(), "APPLY_FAILED", "the replacement of "
                + "plugin " + p.component() + " by " + marker.toVersion() + " was cut short by the end of the process; "
                + marker.fromVersion() + " was put back, and " + marker.toVersion() + " is not tried again "
                + "automatically (Update now forces it)"), true, marker.metadata());
    }

    /**
     * Called at the worker's activation, before Felix FileInstall (started last) reads the plugins folder: a plugin
     * replacement that the end of the previous process cut short gets its previous jar back at once, so the jar that
     * was on trial (maybe what ended the process) is never installed again. {@link #recover} reports it.
     */
    void restoreInterruptedPlugin() {
        Optional<RunMarker> found = files.marker().filter(k -> k.phase() == RunMarker.Phase.swapping
                && k.plugin() != null && !swapInProgress());
        if (found.isPresent()) {
            try {
                restorePlugin(found.get().plugin());
            } catch (IOException e) {
                LOG.error("cannot put back the previous jar of plugin {}: {}", found.get().plugin().component(),
                        e.toString());
            }
        }
    }

    /** The backup over the plugin's file, when it holds the bytes the marker names; then the backup goes. */
    private void restorePlugin(RunMarker.PluginFiles p) throws IOException {
        Path backup = Path.of(p.backup());
        if (!Files.isRegularFile(backup)) {
            return; // put back already, or never made (nothing changed)
        }
        if (p.backupSha256() != null && !p.backupSha256().equals(ManifestVerifier.sha256(backup))) {
            LOG.warn("the backup {} of plugin {} does not hold its previous release; leaving {} as it is", backup,
                    p.component(), p.file());
            Files.delete(backup);
            return;
        }
        Path tmp = layout.updateDir().resolve(".plugin-restore.tmp");
        Files.copy(backup, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, Path.of(p.file()), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.delete(backup);
        LOG.warn("the replacement of plugin {} was cut short by the end of the process: its previous release is back "
                + "in {}", p.component(), p.file());
    }

    private static byte[] manifestBytes(JsonNode offer) throws UpdateFailure {
        try {
            return Base64.getDecoder().decode(offer.path("manifest_base64").asText(""));
        } catch (IllegalArgumentException e) {
            throw new UpdateFailure("MANIFEST_ERROR", "manifest_base64 is not base64");
        }
    }

    private TrustAnchors trust() throws UpdateFailure {
        try {
            return TrustAnchors.fromTrustFile(Files.readAllBytes(layout.trustFile()), verifier.signatures());
        } catch (IOException e) {
            throw new UpdateFailure("MANIFEST_ERROR", "this agent has no trusted keys (" + layout.trustFile()
                    + " cannot be read: " + e.getMessage() + "); it installs nothing it cannot verify");
        }
    }

    private VerifiedManifest verify(JsonNode offer, Instant now) throws UpdateFailure {
        return verifier.verify(manifestBytes(offer), offer.path("signature").asText(""), trust(),
                new ManifestVerifier.Expectation(COMPONENT, platform, arch, files.state().releaseCounter()), now);
    }

    private void preflight(VerifiedManifest m, Path archive) throws UpdateFailure, IOException {
        long have = Files.isRegularFile(archive) ? Files.size(archive)
                : Files.isRegularFile(ResumableDownload.partialOf(archive))
                ? Files.size(ResumableDownload.partialOf(archive)) : 0;
        long needed = SPACE_FACTOR * m.sizeBytes() - have;
        long free = disk.usableBytes(layout.versions());
        if (free < needed) {
            throw new UpdateFailure("DISK_SPACE", "not enough free disk for " + m.version() + ": " + needed
                    + " bytes needed (download and unpacked copy; the running version stays as the backup), "
                    + free + " free in " + layout.versions() + "; nothing was downloaded");
        }
    }

    /**
     * The start after a restart, or after a crash: finishes what the run marker describes.
     *
     * @return the run to resume now (cut short before its restart), empty when there is none
     */
    Optional<RunMarker> recover() throws InterruptedException {
        Optional<RunMarker> found = files.marker();
        cleanStaging();
        if (found.isEmpty()) {
            return Optional.empty();
        }
        RunMarker marker = found.get();
        String to = marker.toVersion();
        try {
            switch (marker.phase()) {
                case downloading, staging -> {
                    LOG.info("update run {} to {} was cut short while {}; resuming it", marker.runId(), to,
                            marker.phase());
                    return Optional.of(marker);
                }
                case restarting -> {
                    if (runningVersion().equals(to)) {
                        confirmTrial(marker);
                    } else if (layout.trial().filter(to::equals).isPresent()) {
                        // the process ended between the hand-over and the restart, and was started without the
                        // trampoline: ask again
                        transition(marker.runId(), RunState.RESTARTING, to, null, null, Map.of());
                        try {
                            restarter.restart();
                        } catch (UpdateFailure f) {
                            layout.clear("trial");
                            files.clearMarker();
                            finish(result(marker.runId(), RunState.ROLLED_BACK, to, f.code(), f.getMessage()), true);
                        }
                    } else {
                        String why = layout.abandoned().filter(to::equals).isPresent()
                                ? to + " did not confirm its start (it failed to start, crashed or was stopped "
                                + "before its health check passed); " + runningVersion() + " was started again"
                                : to + " was not started; " + runningVersion() + " runs";
                        layout.clear("abandoned");
                        files.clearMarker();
                        finish(result(marker.runId(), RunState.ROLLED_BACK, to, "RESTART_FAILED", why), true);
                    }
                }
                case rolling_back -> {
                    if (runningVersion().equals(to)) {
                        files.clearMarker();
                        finish(result(marker.runId(), RunState.FAILED, to, "ROLLBACK_FAILED", "the rollback "
                                + "from " + to + " did not happen: " + to + " was started again"), true);
                    } else {
                        files.clearMarker();
                        finish(result(marker.runId(), RunState.ROLLED_BACK, to,
                                marker.errorCode() != null ? marker.errorCode() : "HEALTH_CHECK",
                                (marker.errorMessage() != null ? marker.errorMessage() : to + " was unhealthy")
                                        + "; rolled back to " + runningVersion()), true);
                    }
                }
                case swapping -> {
                    if (marker.plugin() != null && !swapInProgress()) {
                        finishInterruptedPluginSwap(marker);
                        return Optional.empty();
                    }
                    if (swapInProgress()) {
                        // this worker replaced the one that swaps (its bundle or a dependency was in the plan): that
                        // thread finishes the run and wakes this worker to report it
                        LOG.info("the hot swap to {} is still running in this process; it will be reported when it "
                                + "ends", to);
                        return Optional.empty();
                    }
                    finishInterruptedSwap(marker);
                }
                case swapped -> reportFinishedSwap();
                default -> throw new IllegalStateException(marker.phase().name());
            }
        } catch (IOException e) {
            LOG.error("cannot finish the update run {} to {}: {}", marker.runId(), to, e.toString());
        }
        return Optional.empty();
    }

    /**
     * A hot swap that the end of its process cut short. The launcher installed the complete set of {@code current}
     * (never moved before the new set passed its health gate), so nothing needs undoing; it only needs reporting.
     */
    private void finishInterruptedSwap(RunMarker marker) throws IOException {
        String to = marker.toVersion();
        if (runningVersion().equals(to)) {
            // committed just before the end: this start runs it whole
            files.saveState(files.state().withCounter(marker.releaseCounter()));
            files.clearMarker();
            finish(result(marker.runId(), RunState.SUCCEEDED, to, null, "the hot swap to " + to + " was committed "
                    + "when the process ended; it was started again whole"), true, marker.metadata());
            return;
        }
        // it may have been the new bundles that ended the process: do not try them again unasked
        files.saveState(files.state().withFailed(to));
        Path slot = layout.slot(to);
        if (!slot.equals(layout.programDir())) {
            ArchiveStager.deleteTree(slot);
        }
        files.clearMarker();
        finish(result(marker.runId(), RunState.ROLLED_BACK, to, "APPLY_FAILED", "the hot swap to " + to + " was cut "
                + "short by the end of the process (a crash or a kill); " + runningVersion() + " was started again "
                + "whole, and " + to + " is not tried again automatically (Update now forces it)"), true,
                marker.metadata());
    }

    /** This process is the trial of {@code marker}: check its health, then commit or go back. */
    private void confirmTrial(RunMarker marker) throws IOException, InterruptedException {
        String to = marker.toVersion();
        String from = marker.fromVersion();
        if (layout.current().filter(to::equals).isPresent() && layout.booting().isEmpty()) {
            commit(marker); // committed before a crash; only the report was missing
            return;
        }
        state = RunState.RESTARTING;
        Optional<String> failing = health.failingCheck();
        if (failing.isEmpty()) {
            commit(marker);
            return;
        }
        String message = to + " failed its health check: " + failing.get();
        LOG.error(message);
        files.saveState(files.state().withFailed(to));
        Optional<Path> previous = layout.bootable(layout.current());
        if (previous.isEmpty()) {
            // nothing to go back to: keep the trial, it is the only bootable version
            layout.writeCurrent(to);
            layout.clear("booting");
            files.clearMarker();
            finish(result(marker.runId(), RunState.FAILED, to, "ROLLBACK_FAILED", message + "; the previous version ("
                    + (from == null ? "?" : from) + ") cannot be started any more, so " + to + " stays"), true);
            return;
        }
        RunMarker back = marker.failing("HEALTH_CHECK", message);
        files.saveMarker(back);
        layout.clear("booting");
        transition(marker.runId(), RunState.RESTARTING, to, "HEALTH_CHECK", message, Map.of("rollback_to",
                String.valueOf(from)));
        try {
            restarter.restart();
        } catch (UpdateFailure f) {
            files.clearMarker();
            finish(result(marker.runId(), RunState.FAILED, to, "ROLLBACK_FAILED", message + "; the restart into the "
                    + "previous version failed: " + f.getMessage() + " (the next start runs it)"), true);
        }
    }

    private void commit(RunMarker marker) throws IOException {
        String to = marker.toVersion();
        layout.writeCurrent(to);
        layout.clear("booting");
        layout.clear("abandoned");
        // from now on a manifest older than this one is a replay
        files.saveState(files.state().withCounter(marker.releaseCounter()));
        files.clearMarker();
        removeOldSlots(to, marker.fromVersion());
        finish(result(marker.runId(), RunState.SUCCEEDED, to, null, "updated from " + marker.fromVersion() + " to "
                + to), true);
    }

    /** Keeps the running slot and the one before it (the next rollback target); removes older ones. */
    private void removeOldSlots(String keep, String previous) {
        try (Stream<Path> slots = Files.list(layout.versions())) {
            for (Path p : slots.filter(Files::isDirectory).toList()) {
                String name = p.getFileName().toString();
                if (!name.equals(keep) && !name.equals(previous) && !name.startsWith(".")
                        && !p.toAbsolutePath().normalize().equals(layout.programDir())) { // a hot-swapped process runs on
                    ArchiveStager.deleteTree(p);
                    LOG.info("removed the old version {}", name);
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot remove old versions from {}: {}", layout.versions(), e.toString());
        }
    }

    private void cleanStaging() {
        if (!Files.isDirectory(layout.versions())) {
            return;
        }
        try (Stream<Path> all = Files.list(layout.versions())) {
            for (Path p : all.filter(x -> x.getFileName().toString().startsWith(".staging-")).toList()) {
                LOG.info("removing the unfinished staging folder {}", p);
                ArchiveStager.deleteTree(p);
            }
        } catch (IOException e) {
            LOG.warn("cannot clean {}: {}", layout.versions(), e.toString());
        }
    }

    private static boolean sameBytes(Path file, VerifiedManifest m) {
        try {
            ManifestVerifier.verifyBytes(file, m);
            return true;
        } catch (UpdateFailure | IOException e) {
            return false;
        }
    }

    /** Where the server is and how to authenticate to it, for one run's downloads. */
    private record ServerAccess(URI url, Map<String, String> headers) {
        URI resolve(String path) throws UpdateFailure {
            return UpdateRunner.resolve(url, path);
        }
    }

    private ServerAccess serverAccess() throws UpdateFailure {
        EnrolledAgent agent = enrollment.current().orElseThrow(() -> new UpdateFailure("SERVER_ERROR",
                "the agent is not enrolled any more"));
        String credential = enrollment.credential().orElseThrow(() -> new UpdateFailure("SERVER_ERROR",
                "the agent has no credential any more"));
        return new ServerAccess(agent.serverUrl(), Map.of("Authorization", "Bearer " + credential));
    }

    private static URI resolve(URI server, String downloadUrl) throws UpdateFailure {
        if (downloadUrl.isBlank()) {
            throw new UpdateFailure("MANIFEST_ERROR", "the offer has no download_url");
        }
        URI u = URI.create(server.toString() + "/").resolve(downloadUrl.startsWith("/") ? downloadUrl.substring(1)
                : downloadUrl);
        if (!u.getScheme().equals(server.getScheme()) || !String.valueOf(u.getAuthority()).equals(server.getAuthority())) {
            throw new UpdateFailure("MANIFEST_ERROR", "the download_url points away from the server: " + u);
        }
        return u;
    }

    private static String textOrNull(JsonNode n) {
        return n == null || n.isNull() || n.isMissingNode() || n.asText("").isBlank() ? null : n.asText();
    }

    private RunResult result(String runId, RunState s, String target, String code, String message) {
        return new RunResult(runId, s, target, code, message, clock.instant());
    }

    /** Ends a run: state back to idle, the result stored and (when {@code report}) sent. */
    private RunResult finish(RunResult r, boolean report) {
        return finish(r, report, null);
    }

    private RunResult finish(RunResult r, boolean report, Map<String, Object> metadata) {
        // a run ended by the agent stopping still stores and reports its end: an interrupt would fail both
        boolean interrupted = Thread.interrupted();
        try {
            return record(r, report, metadata);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private RunResult record(RunResult r, boolean report, Map<String, Object> metadata) {
        if (r.errorCode() != null) {
            LOG.warn("update run {} {}: {} {}", r.runId(), r.state().wireName(), r.errorCode(), r.errorMessage());
        } else {
            LOG.info("update run {} {}: {}", r.runId(), r.state().wireName(), r.errorMessage());
        }
        try {
            files.saveState(files.state().withResult(new PersistentState.StoredResult(r.runId(), r.state().wireName(),
                    r.targetVersion(), r.errorCode(), r.errorMessage(), r.finishedAt())));
        } catch (IOException e) {
            LOG.error("cannot store the result of run {}: {}", r.runId(), e.toString());
        }
        if (report) {
            telemetry.send(new TelemetrySender.Event(r.runId(), r.state().wireName(), runningVersion(),
                    r.targetVersion(), r.errorCode(), r.errorMessage(), r.finishedAt(), null, null,
                    metadata == null || metadata.isEmpty() ? null : metadata));
        }
        state = RunState.IDLE;
        return r;
    }

    private void transition(String runId, RunState next, String target, String code, String message,
                            Map<String, Object> metadata) {
        transition(runId, next, target, code, message, metadata, null, null);
    }

    private void transition(String runId, RunState next, String target, String code, String message,
                            Map<String, Object> metadata, Long downloadMillis, Long size) {
        state = next;
        if (next != RunState.CHECKING) { // a check that finds nothing is not worth a report
            telemetry.send(new TelemetrySender.Event(runId, next.wireName(), runningVersion(), target, code, message,
                    clock.instant(), downloadMillis, size, metadata.isEmpty() ? null : metadata));
        }
    }

    private void clearMarkerQuietly() {
        try {
            files.clearMarker();
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", files.markerFile(), e.toString());
        }
    }

}
