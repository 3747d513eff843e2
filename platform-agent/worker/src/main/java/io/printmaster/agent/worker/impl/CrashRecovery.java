package io.printmaster.agent.worker.impl;

import io.printmaster.agent.update.api.RunResult;
import io.printmaster.agent.update.api.RunState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start after a restart, or after a crash: finishes what the run marker describes. A trial checks its health and
 * commits or asks to go back; a run cut short while downloading or staging is resumed; a hot swap or plugin
 * replacement the end of the process cut short is reported (and the plugin's previous jar put back); a swap that
 * ended in this process, perhaps in the revision of the worker it replaced, is reported by the worker that runs now.
 */
final class CrashRecovery {
    private static final Logger LOG = LoggerFactory.getLogger(CrashRecovery.class);

    private final AgentHost host;
    private final ProcessControl process;
    private final HotSwapSupport hotSwap;
    private final PluginUpdate plugins;
    private final RunReporter report;

    CrashRecovery(AgentHost host, ProcessControl process, HotSwapSupport hotSwap, PluginUpdate plugins,
                  RunReporter report) {
        this.host = host;
        this.process = process;
        this.hotSwap = hotSwap;
        this.plugins = plugins;
        this.report = report;
    }

    /** @return the run to resume now (cut short before its restart), empty when there is none */
    Optional<RunMarker> recover() throws InterruptedException {
        WorkerFiles files = host.files();
        InstallLayout layout = host.layout();
        Optional<RunMarker> found = files.marker();
        cleanStaging();
        if (found.isEmpty()) {
            return Optional.empty();
        }
        RunMarker marker = found.get();
        String to = marker.toVersion();
        String running = host.runningRelease();
        try {
            switch (marker.phase()) {
                case downloading, staging -> {
                    LOG.info("update run {} to {} was cut short while {}; resuming it", marker.runId(), to,
                            marker.phase());
                    return Optional.of(marker);
                }
                case restarting -> {
                    if (running.equals(to)) {
                        confirmTrial(marker);
                    } else if (layout.trial().filter(to::equals).isPresent()) {
                        // the process ended between the hand-over and the restart, and was started without the
                        // trampoline: ask again
                        report.transition(marker.runId(), RunState.RESTARTING, to, null, null, Map.of());
                        try {
                            process.restarter().restart();
                        } catch (UpdateFailure f) {
                            layout.clear("trial");
                            files.clearMarker();
                            report.finish(report.result(marker.runId(), RunState.ROLLED_BACK, to, f.code(),
                                    f.getMessage()), true);
                        }
                    } else {
                        String why = layout.abandoned().filter(to::equals).isPresent()
                                ? to + " did not confirm its start (it failed to start, crashed or was stopped "
                                + "before its health check passed); " + running + " was started again"
                                : to + " was not started; " + running + " runs";
                        layout.clear("abandoned");
                        files.clearMarker();
                        report.finish(report.result(marker.runId(), RunState.ROLLED_BACK, to, "RESTART_FAILED", why),
                                true);
                    }
                }
                case rolling_back -> {
                    files.clearMarker();
                    if (running.equals(to)) {
                        report.finish(report.result(marker.runId(), RunState.FAILED, to, "ROLLBACK_FAILED",
                                "the rollback from " + to + " did not happen: " + to + " was started again"), true);
                    } else {
                        report.finish(report.result(marker.runId(), RunState.ROLLED_BACK, to,
                                marker.errorCode() != null ? marker.errorCode() : "HEALTH_CHECK",
                                (marker.errorMessage() != null ? marker.errorMessage() : to + " was unhealthy")
                                        + "; rolled back to " + running), true);
                    }
                }
                case swapping -> {
                    boolean swapRuns = HotSwapSupport.inProgress(hotSwap, files);
                    if (marker.plugin() != null && !swapRuns) {
                        finishInterruptedPluginSwap(marker);
                        return Optional.empty();
                    }
                    if (swapRuns) {
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
     * Reports a hot swap that ended (a {@code swapped} run marker) and forgets it; called by the worker that runs now,
     * which may be a new revision of the one that swapped.
     *
     * @return whether there was one
     */
    boolean reportFinishedSwap() {
        Optional<RunMarker> found = host.files().marker().filter(k -> k.phase() == RunMarker.Phase.swapped);
        if (found.isEmpty()) {
            return false;
        }
        RunMarker k = found.get();
        RunState s = RunState.valueOf(k.outcome().toUpperCase(Locale.ROOT));
        report.finish(new RunResult(k.runId(), s, k.toVersion(), k.errorCode(), k.errorMessage(),
                host.clock().instant()), true, k.metadata());
        report.clearMarkerQuietly();
        if (s == RunState.SUCCEEDED && k.plugin() == null) {
            removeOldSlots(k.toVersion(), k.fromVersion());
        }
        return true;
    }

    /**
     * A hot swap that the end of its process cut short. The launcher installed the complete set of {@code current}
     * (never moved before the new set passed its health gate), so nothing needs undoing; it only needs reporting.
     */
    private void finishInterruptedSwap(RunMarker marker) throws IOException {
        WorkerFiles files = host.files();
        String to = marker.toVersion();
        String running = host.runningRelease();
        if (running.equals(to)) {
            // committed just before the end: this start runs it whole
            files.saveState(files.state().withCounter(marker.releaseCounter()));
            files.clearMarker();
            report.finish(report.result(marker.runId(), RunState.SUCCEEDED, to, null, "the hot swap to " + to
                    + " was committed when the process ended; it was started again whole"), true, marker.metadata());
            return;
        }
        // it may have been the new bundles that ended the process: do not try them again unasked
        files.saveState(files.state().withFailed(to));
        Path slot = host.layout().slot(to);
        if (!slot.equals(host.layout().programDir())) {
            ArchiveStager.deleteTree(slot);
        }
        files.clearMarker();
        report.finish(report.result(marker.runId(), RunState.ROLLED_BACK, to, "APPLY_FAILED", "the hot swap to " + to
                + " was cut short by the end of the process (a crash or a kill); " + running + " was started again "
                + "whole, and " + to + " is not tried again automatically (Update now forces it)"), true,
                marker.metadata());
    }

    /**
     * A plugin replacement that the end of the process cut short: the plugin's file may hold the new jar, on trial,
     * which the next start must not keep. The backup goes back, and the run is reported.
     */
    private void finishInterruptedPluginSwap(RunMarker marker) throws IOException {
        WorkerFiles files = host.files();
        RunMarker.PluginFiles p = marker.plugin();
        plugins.restore(p);
        files.saveState(files.state().withFailed(PersistentState.pluginRelease(p.component(), marker.toVersion())));
        files.clearMarker();
        report.finish(report.result(marker.runId(), RunState.ROLLED_BACK, marker.toVersion(), "APPLY_FAILED",
                "the replacement of plugin " + p.component() + " by " + marker.toVersion() + " was cut short by the "
                + "end of the process; " + marker.fromVersion() + " was put back, and " + marker.toVersion()
                + " is not tried again automatically (Update now forces it)"), true, marker.metadata());
    }

    /** This process is the trial of {@code marker}: check its health, then commit or go back. */
    private void confirmTrial(RunMarker marker) throws IOException, InterruptedException {
        WorkerFiles files = host.files();
        InstallLayout layout = host.layout();
        String to = marker.toVersion();
        String from = marker.fromVersion();
        if (layout.current().filter(to::equals).isPresent() && layout.booting().isEmpty()) {
            commit(marker); // committed before a crash; only the report was missing
            return;
        }
        report.show(RunState.RESTARTING);
        Optional<String> failing = process.health().failingCheck();
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
            report.finish(report.result(marker.runId(), RunState.FAILED, to, "ROLLBACK_FAILED", message
                    + "; the previous version (" + (from == null ? "?" : from) + ") cannot be started any more, so "
                    + to + " stays"), true);
            return;
        }
        files.saveMarker(marker.failing("HEALTH_CHECK", message));
        layout.clear("booting");
        report.transition(marker.runId(), RunState.RESTARTING, to, "HEALTH_CHECK", message, Map.of("rollback_to",
                String.valueOf(from)));
        try {
            process.restarter().restart();
        } catch (UpdateFailure f) {
            files.clearMarker();
            report.finish(report.result(marker.runId(), RunState.FAILED, to, "ROLLBACK_FAILED", message + "; the "
                    + "restart into the previous version failed: " + f.getMessage() + " (the next start runs it)"),
                    true);
        }
    }

    private void commit(RunMarker marker) throws IOException {
        WorkerFiles files = host.files();
        InstallLayout layout = host.layout();
        String to = marker.toVersion();
        layout.writeCurrent(to);
        layout.clear("booting");
        layout.clear("abandoned");
        // from now on a manifest older than this one is a replay
        files.saveState(files.state().withCounter(marker.releaseCounter()));
        files.clearMarker();
        removeOldSlots(to, marker.fromVersion());
        report.finish(report.result(marker.runId(), RunState.SUCCEEDED, to, null, "updated from "
                + marker.fromVersion() + " to " + to), true);
    }

    /** Keeps the running slot and the one before it (the next rollback target); removes older ones. */
    private void removeOldSlots(String keep, String previous) {
        InstallLayout layout = host.layout();
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
        InstallLayout layout = host.layout();
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
}
