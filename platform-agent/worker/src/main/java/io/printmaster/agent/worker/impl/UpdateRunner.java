package io.printmaster.agent.worker.impl;

import io.printmaster.core.wire.UpdateOffer;
import io.printmaster.core.wire.CheckInAnswer;
import io.printmaster.agent.config.api.AgentSettings;
import io.printmaster.agent.enrollment.api.CheckIn;
import io.printmaster.agent.enrollment.api.Enrollment;
import io.printmaster.agent.update.api.RunResult;
import io.printmaster.agent.update.api.RunState;
import io.printmaster.core.policy.MaintenanceWindow;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One update run, orchestrated: check in, apply the policy, and when the server offers something run one of the
 * paths, each a class with one job: {@link FullInstall} (a restart into a trial), {@link HotSwapInstall} (the bundles
 * swapped in the running framework), {@link PluginUpdate} (vendor plugins replaced behind the gate). After a restart or
 * a crash, {@link CrashRecovery} finishes what the run marker describes. Shared steps are collaborators:
 * {@link ReleaseSource} (manifest verification, the server's address and credential) and {@link RunReporter} (state,
 * stored results, telemetry). Runs on the worker's thread only; the state is read from any thread.
 */
final class UpdateRunner {
    private final AgentHost host;
    private final ServerLink server;
    private final HotSwapSupport hotSwap;
    private final RunReporter report;
    private final ReleaseSource releases;
    private final FullInstall fullInstall;
    private final HotSwapInstall hotSwapInstall;
    private final PluginUpdate plugins;
    private final CrashRecovery recovery;

    private final AtomicBoolean cancelRequested = new AtomicBoolean();
    private volatile String latestVersion;

    /**
     * @param hotSwap what the hot-swap path needs; {@code null} when this agent never swaps (no plugin updates either)
     */
    UpdateRunner(AgentHost host, ServerLink server, ReleaseTools tools, ProcessControl process,
                 HotSwapSupport hotSwap) {
        this.host = host;
        this.server = server;
        this.hotSwap = hotSwap;
        this.report = new RunReporter(host, server.telemetry());
        this.releases = new ReleaseSource(host, server.enrollment(), tools.verifier());
        this.fullInstall = new FullInstall(host, releases, tools, process, report, cancelRequested::get);
        this.hotSwapInstall = new HotSwapInstall(host, releases, tools, process, hotSwap, report,
                cancelRequested::get);
        this.plugins = new PluginUpdate(host, releases, tools, hotSwap, report, cancelRequested::get);
        this.recovery = new CrashRecovery(host, process, hotSwap, plugins, report);
    }

    RunState state() {
        return report.state();
    }

    Optional<String> latestVersion() {
        return Optional.ofNullable(latestVersion);
    }

    /** The release that runs: the one the process started with, or the one a hot swap went to. */
    String runningVersion() {
        return host.runningRelease();
    }

    /** Asks the run in progress to stop at its next safe point (before the trial pointer is written). */
    void cancel() {
        cancelRequested.set(true);
    }

    /** @see CrashRecovery#recover */
    Optional<RunMarker> recover() throws InterruptedException {
        return recovery.recover();
    }

    /** @see CrashRecovery#reportFinishedSwap */
    boolean reportFinishedSwap() {
        return recovery.reportFinishedSwap();
    }

    /** Whether a hot swap runs in this process now (started by this worker or by the revision it replaced). */
    boolean swapInProgress() {
        return HotSwapSupport.inProgress(hotSwap, host.files());
    }

    /** @see PluginUpdate#restoreInterrupted */
    void restoreInterruptedPlugin() {
        plugins.restoreInterrupted();
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
            return report.result(runId, RunState.SKIPPED, null, null, "a hot swap is in progress in this process");
        }
        reportFinishedSwap(); // before this run's marker can take its place
        cancelRequested.set(false);
        String target = null;
        try {
            report.transition(runId, RunState.CHECKING, null, null, null, Map.of());
            Optional<RunResult> refused = refusal(runId, forced);
            if (refused.isPresent()) {
                return refused.get();
            }
            Enrollment enrollment = server.enrollment();
            CheckIn c = checkIn.isPresent() ? checkIn.get()
                    : enrollment.checkInNow(Duration.ofSeconds(60)).orElse(null);
            Optional<CheckInAnswer> read = c == null ? Optional.empty() : c.wireAnswer(); // parsed once
            if (c == null || !c.succeeded() || read.isEmpty()) {
                String why = c == null ? "no check-in completed within 60 s (" + enrollment.state().message() + ")"
                        : c.succeeded() && c.answer().isPresent()
                        ? "its answer is not a check-in answer this agent can read (HTTP 200)"
                        : c.problem().orElse("HTTP " + c.status());
                return report.finish(report.result(runId, RunState.FAILED, null, "SERVER_ERROR",
                        "cannot ask the server for updates: " + why), true);
            }
            host.files().saveState(host.files().state().withLastCheck(c.at()));
            CheckInAnswer answer = read.get();
            latestVersion = blankToNull(answer.latestVersion());
            if (!answer.updateAvailable() || answer.offeredUpdate().isEmpty()) {
                // the agent is current: now its vendor plugins
                return plugins.installAll(runId, forced, answer.pluginUpdates(), c.at()).orElseGet(() ->
                        report.finish(report.result(runId, RunState.SUCCEEDED, null, null,
                                "up to date: the server offers nothing newer than " + runningVersion()), false));
            }
            UpdateOffer offer = answer.offeredUpdate().get();
            target = offer.version() == null ? "" : offer.version();
            if (target.equals(runningVersion())) {
                String running = target;
                return plugins.installAll(runId, forced, answer.pluginUpdates(), c.at()).orElseGet(() ->
                        report.finish(report.result(runId, RunState.SUCCEEDED, null, null, "already running "
                                + running), false));
            }
            if (!forced && host.files().state().failedVersions().contains(target)) {
                return report.finish(report.result(runId, RunState.SKIPPED, target, null, target + " failed its "
                        + "health check on this agent before; it is not tried again automatically (Update now "
                        + "forces it)"), false);
            }
            report.transition(runId, RunState.PENDING, target, null, null, Map.of());
            return install(runId, forced, offer, c.at());
        } catch (UpdateFailure f) {
            return report.finish(report.result(runId, RunState.FAILED, target, f.code(), f.getMessage()), true);
        } catch (ResumableDownload.CancelledException e) {
            report.clearMarkerQuietly();
            return report.finish(report.result(runId, RunState.CANCELLED, target, null, "cancelled before anything "
                    + "was installed; a partial download is kept and resumed by the next run"), true);
        } catch (IOException e) {
            if (e instanceof java.nio.channels.ClosedByInterruptException || Thread.currentThread().isInterrupted()) {
                // the agent is stopping: not a failure of the update, which the next start resumes
                return report.finish(report.result(runId, RunState.CANCELLED, target, null, "interrupted because "
                        + "the agent is stopping; the next start resumes the update"), true);
            }
            return report.finish(report.result(runId, RunState.FAILED, target, "APPLY_FAILED", "the update could "
                    + "not be prepared: " + e), true);
        }
    }

    /** The policy's answer before anything is asked of the server: disabled, or outside the window. */
    private Optional<RunResult> refusal(String runId, boolean forced) {
        AgentSettings s = server.settings().get();
        EffectivePolicy policy = new EffectivePolicy(s.policySource(), s.policy(), s.policySource().wireName());
        Instant now = host.clock().instant();
        Optional<RunResult> refused = policy.refusal(runId, now);
        if (refused.isPresent()) {
            return Optional.of(report.finish(refused.get(), true));
        }
        if (!forced) {
            MaintenanceWindow window = new MaintenanceWindow(policy.policy().orElseThrow().maintenanceWindow());
            if (window.enabled() && !window.isOpen(now)) {
                String when = window.nextOpening(now).map(Instant::toString).orElse("never");
                return Optional.of(report.finish(report.result(runId, RunState.SKIPPED, null, "OUTSIDE_WINDOW",
                        "the maintenance window is closed; the next check is at its opening (" + when + ")"), true));
            }
        }
        return Optional.empty();
    }

    /** An agent release: verified, then hot-swapped when it keeps the runtime, else installed in full. */
    private RunResult install(String runId, boolean forced, UpdateOffer offer, Instant now)
            throws UpdateFailure, IOException, ResumableDownload.CancelledException, InterruptedException {
        VerifiedManifest m = releases.verifyAgent(offer, now);
        String offered = offer.version() == null ? "" : offer.version();
        if (!m.version().equals(offered)) {
            throw new UpdateFailure("MANIFEST_ERROR", "the signed manifest is for " + m.version() + ", the offer for "
                    + offered);
        }
        Path archive = fullInstall.archiveFor(m);
        Optional<RunResult> hotSwapped = hotSwapInstall.attempt(runId, forced, m, now);
        if (hotSwapped.isPresent()) {
            return hotSwapped.get();
        }
        return fullInstall.install(runId, forced, offer, m, archive, now);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
