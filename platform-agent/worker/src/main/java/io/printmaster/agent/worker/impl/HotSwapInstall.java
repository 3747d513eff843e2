package io.printmaster.agent.worker.impl;

import io.printmaster.agent.hotswap.api.BundleSwapper;
import io.printmaster.agent.hotswap.api.PlannedBundle;
import io.printmaster.agent.hotswap.api.SwapOutcome;
import io.printmaster.agent.hotswap.api.SwapPlan;
import io.printmaster.agent.update.api.RunResult;
import io.printmaster.agent.update.api.RunState;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hot swap of an agent release that keeps the runtime ({@code runtime_sha256} equals the running program's): the
 * slot is built from the running files plus the changed bundles ({@link HotSwapStager}), the bundles are swapped
 * inside the running framework behind the health gate ({@link BundleSwapper}), and {@code current} moves only once the
 * new set passed it. No restart; a crash during the swap leaves {@code current}, the complete old set, for the next
 * start.
 */
final class HotSwapInstall {
    private static final Logger LOG = LoggerFactory.getLogger(HotSwapInstall.class);

    private final AgentHost host;
    private final ReleaseSource releases;
    private final ReleaseTools tools;
    private final ProcessControl process;
    private final HotSwapSupport hotSwap;
    private final RunReporter report;
    private final BooleanSupplier cancelled;
    private final BooleanSupplier lastSafePoint;

    /**
     * @param cancelled whether the run was asked to stop (polled while downloading and staging)
     * @param lastSafePoint called once, just before the swap: whether the run must stop there
     */
    HotSwapInstall(AgentHost host, ReleaseSource releases, ReleaseTools tools, ProcessControl process,
                   HotSwapSupport hotSwap, RunReporter report, BooleanSupplier cancelled,
                   BooleanSupplier lastSafePoint) {
        this.lastSafePoint = lastSafePoint;
        this.host = host;
        this.releases = releases;
        this.tools = tools;
        this.process = process;
        this.hotSwap = hotSwap;
        this.report = report;
        this.cancelled = cancelled;
    }

    /**
     * Swaps the release in, when it runs the same process as this one.
     *
     * @return the run's end; empty when the release needs the full install (a restart), including when the swap
     *     could not begin
     */
    Optional<RunResult> attempt(String runId, boolean forced, VerifiedManifest m, Instant now)
            throws UpdateFailure, IOException, ResumableDownload.CancelledException, InterruptedException {
        if (hotSwap == null || !hotSwap.enabled() || m.hotSwappableRuntime().isEmpty()) {
            return Optional.empty();
        }
        Optional<BundleSwapper> swapper = hotSwap.swapper().get();
        InstallLayout layout = host.layout();
        WorkerFiles files = host.files();
        String target = m.version();
        String from = host.runningRelease();
        Path runningSlot = layout.slot(from);
        Path slot = layout.slot(target);
        // the target's own slot may exist (a rollback to the version before): its jars are reused, checked by hash
        HotSwapStager stager = new HotSwapStager(layout.programDir(), List.of(runningSlot.resolve("bundle"),
                layout.programDir().resolve("bundle"), slot.resolve("bundle")));
        if (swapper.isEmpty()) {
            LOG.info("no hot-swap engine runs: {} is installed in full, with a restart", target);
            return Optional.empty();
        }
        if (!stager.sameRuntime(m)) {
            LOG.info("{} changes the runtime (launcher, framework, scripts or JVM options): it is installed in full, with "
                    + "a restart", target);
            return Optional.empty();
        }
        if (slot.equals(runningSlot)) {
            throw new UpdateFailure("STAGING_FAILED", "version " + target + " is the one running");
        }
        // a rollback to the program folder this process started from (the hot swap being rolled back took it away):
        // that folder is the process's own and never rebuilt; it is swapped back to as it is when it holds the release
        boolean reuse = slot.equals(layout.programDir());
        if (reuse && !HotSwapStager.holdsRelease(slot, m)) {
            throw new UpdateFailure("STAGING_FAILED", "version " + target + " is the program folder this process runs "
                    + "from (" + slot + "), and it no longer holds " + target + " whole");
        }
        RunMarker marker = new RunMarker(runId, from, target, RunMarker.Phase.downloading, forced, now, null, null,
                m.releaseCounter());
        files.saveMarker(marker);
        HotSwapStager.Downloads needed = reuse ? new HotSwapStager.Downloads(List.of(), 0) : stager.missing(m);
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("mode", "hot-swap");
        meta.put("bundles", needed.paths());
        report.transition(runId, RunState.DOWNLOADING, target, null, null, meta);

        long started = System.nanoTime();
        ReleaseSource.ServerAccess server = releases.serverAccess();
        Path staging = layout.staging(target);
        ArchiveStager.deleteTree(staging);
        HotSwapStager.Downloads downloaded = reuse ? needed : stager.stage(m, staging, (bundle, jar) -> {
            URI uri = server.resolve("/api/v1/agents/update/bundle/" + target + "/" + host.platform() + "-"
                    + host.arch() + "/" + bundle.sha256());
            tools.download().download(uri, server.headers(), jar, m.forBundle(bundle),
                    (received, total) -> { }, cancelled);
        }, cancelled);
        long downloadMillis = (System.nanoTime() - started) / 1_000_000;

        files.saveMarker(marker.at(RunMarker.Phase.staging));
        report.transition(runId, RunState.STAGING, target, null, null, Map.of("mode", "hot-swap"), downloadMillis,
                downloaded.bytes());
        if (!reuse) {
            FullInstall.moveIntoSlot(staging, slot);
        }
        if (lastSafePoint.getAsBoolean()) {
            throw new ResumableDownload.CancelledException();
        }
        List<PlannedBundle> plan = new ArrayList<>();
        for (VerifiedManifest.Bundle b : m.bundles()) {
            plan.add(new PlannedBundle(b.symbolicName(), b.version(), b.sha256(), slot.resolve(b.path())));
        }

        report.transition(runId, RunState.APPLYING, target, null, null, Map.of("mode", "hot-swap"));
        Map<String, Object> swapReport = new LinkedHashMap<>();
        swapReport.put("mode", "hot-swap");
        swapReport.put("bundles_downloaded", downloaded.paths());
        swapReport.put("bytes_downloaded", downloaded.bytes());
        RunMarker swapping = marker.swapping(hotSwap.frameworkUuid(), swapReport);
        // Written before the swap also to load every class its writing needs: the swap may replace this bundle (or
        // jackson), after which the old revision cannot load classes it has not loaded yet.
        files.saveMarker(swapping);
        files.saveState(files.state());
        // The service managers of now: after a swap that replaced this worker its references are gone.
        ProcessControl.Restarter restartAfterSwap = process.restarter().snapshot();
        SwapOutcome outcome;
        try {
            outcome = swapper.get().swap(new SwapPlan(from, target, plan, hotSwap.healthTimeout()));
        } catch (IllegalStateException e) {
            LOG.warn("the hot swap to {} cannot begin ({}); installing it in full, with a restart", target,
                    e.getMessage());
            deleteUnlessProgram(slot);
            files.saveMarker(marker);
            return Optional.empty();
        } catch (InterruptedException e) {
            // nothing was changed: the agent is stopping
            files.saveMarker(marker);
            deleteUnlessProgram(slot);
            throw new ResumableDownload.CancelledException();
        } catch (RuntimeException | LinkageError e) {
            // what runs now is unknown: only a restart, which installs the committed version whole, is sure
            return Optional.of(restartIntoCommitted(runId, swapping, restartAfterSwap, "the hot swap to " + target
                    + " failed unexpectedly (" + e + ")"));
        }
        boolean interrupted = Thread.interrupted(); // file writes below must not fail on a deferred interrupt
        try {
            return Optional.of(afterSwap(runId, m, swapping, outcome, swapReport, restartAfterSwap));
        } catch (IOException | RuntimeException | LinkageError e) {
            // the outcome could not be recorded (current, state, marker): the swap must not stay half-recorded
            return Optional.of(restartIntoCommitted(runId, swapping, restartAfterSwap, "the outcome of the hot swap "
                    + "to " + target + " (" + outcome.result() + ") could not be recorded (" + e + ")"));
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Removes a slot this run built; never the program folder the process runs from (a rollback's target). */
    private void deleteUnlessProgram(Path slot) throws IOException {
        if (!slot.toAbsolutePath().normalize().equals(host.layout().programDir())) {
            ArchiveStager.deleteTree(slot);
        }
    }

    /**
     * Ends a swap whose state is unknown or unrecorded: marker {@code rolling_back} (what the next start reports) and
     * a restart, which installs the version {@code current} names, whole.
     */
    private RunResult restartIntoCommitted(String runId, RunMarker swapping, ProcessControl.Restarter restart,
                                           String why) {
        WorkerFiles files = host.files();
        LOG.error("{}; restarting into the committed version", why);
        try {
            files.saveMarker(swapping.failing("APPLY_FAILED", why));
        } catch (IOException e) {
            LOG.error("cannot record the failed hot swap in {}: {}", files.markerFile(), e.toString());
        }
        try {
            restart.restart();
            return report.result(runId, RunState.RESTARTING, swapping.fromVersion(), "APPLY_FAILED", why);
        } catch (UpdateFailure f) {
            String message = why + "; the restart failed too: " + f.getMessage() + " (restart the agent)";
            try {
                files.saveMarker(swapping.swapped(RunState.FAILED.wireName(), "APPLY_FAILED", message,
                        swapping.metadata()));
            } catch (IOException e) {
                LOG.error("cannot record the failed hot swap in {}: {}", files.markerFile(), e.toString());
            }
            hotSwap.wakeReporter().run();
            return report.result(runId, RunState.FAILED, swapping.toVersion(), "APPLY_FAILED", message);
        }
    }

    /**
     * Records how the swap ended. This may run in the old revision of a worker bundle the swap just replaced: it only
     * writes files with objects made before the swap, and leaves the report (telemetry, which needs the enrollment
     * service) to the worker that runs now, which it wakes ({@link CrashRecovery#reportFinishedSwap}).
     */
    private RunResult afterSwap(String runId, VerifiedManifest m, RunMarker swapping, SwapOutcome outcome,
                                Map<String, Object> swapReport, ProcessControl.Restarter restartAfterSwap)
            throws IOException {
        WorkerFiles files = host.files();
        String target = swapping.toVersion();
        String from = swapping.fromVersion();
        Map<String, Object> meta = new LinkedHashMap<>(swapReport);
        meta.put("bundles_changed", outcome.changed());
        meta.put("swap_ms", outcome.swapMillis());
        meta.put("downtime_ms", outcome.downtimeMillis());
        RunResult result;
        switch (outcome.result()) {
            case SWAPPED -> {
                host.layout().writeCurrent(target);
                files.saveState(files.state().withCounter(m.releaseCounter()));
                // timings stay in metadata (swap_ms, downtime_ms), which collect_telemetry=false keeps at home
                String message = "hot-swapped from " + from + " to " + target + " without a restart ("
                        + outcome.changed().size() + " bundle(s) changed)";
                files.saveMarker(swapping.swapped(RunState.SUCCEEDED.wireName(), null, message, meta));
                result = report.result(runId, RunState.SUCCEEDED, target, null, message);
            }
            case ROLLED_BACK -> {
                files.saveState(files.state().withFailed(target));
                deleteUnlessProgram(host.layout().slot(target));
                String message = target + " failed its health check after a hot swap: " + outcome.failingCheck()
                        + "; the bundles of " + from + " run again";
                files.saveMarker(swapping.swapped(RunState.ROLLED_BACK.wireName(), "HEALTH_CHECK", message, meta));
                result = report.result(runId, RunState.ROLLED_BACK, target, "HEALTH_CHECK", message);
            }
            default -> {
                // the old bundles did not come back healthy: a restart runs the committed version (current) whole
                files.saveState(files.state().withFailed(target));
                String message = target + " failed its health check after a hot swap (" + outcome.failingCheck()
                        + "), and putting back the bundles of " + from + " failed too; restarting into " + from;
                files.saveMarker(swapping.failing("HEALTH_CHECK", message));
                try {
                    restartAfterSwap.restart();
                    return report.result(runId, RunState.RESTARTING, from, "HEALTH_CHECK", message);
                } catch (UpdateFailure f) {
                    String failed = message + "; the restart failed: " + f.getMessage()
                            + " (restart the agent to run " + from + ")";
                    files.saveMarker(swapping.swapped(RunState.FAILED.wireName(), "ROLLBACK_FAILED", failed, meta));
                    result = report.result(runId, RunState.FAILED, target, "ROLLBACK_FAILED", failed);
                }
            }
        }
        hotSwap.wakeReporter().run();
        return result;
    }
}
