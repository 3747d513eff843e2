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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One update run, orchestrated: check in, apply the policy, and when the server offers something run one of the
 * paths, each a class with one job: {@link FullInstall} (a restart into a trial), {@link HotSwapInstall} (the bundles
 * swapped in the running framework), {@link PluginUpdate} (vendor plugins replaced behind the gate). After a restart or
 * a crash, {@link CrashRecovery} finishes what the run marker describes. Shared steps are collaborators:
 * {@link ReleaseSource} (manifest verification, the server's address and credential) and {@link RunReporter} (state,
 * stored results, telemetry). Runs on the worker's thread only; the state is read from any thread.
 *
 * <h2>Rollouts</h2>
 * Every run asks the server with a check-in of its own that carries its run id ({@code run_id}): only such a check-in
 * may take a slot of a rollout on the server. A run started by a server command ({@code check_update},
 * {@code force_update}) checks in again for that reason: the check-in that delivered the command carried no run id,
 * so a server enforcing a rollout offered nothing in it. When the server holds the agent back
 * ({@code retry_after_seconds} without an offer), the run says when to ask again ({@link #retryAt()}). An offer with
 * {@code rollout_id} is recorded as this agent's part in that rollout before anything is installed (what a later
 * rollback manifest is checked against, {@link ReleaseSource#verifyAgent}), and while it downloads and stages the run
 * re-checks with the server ({@link RolloutWatch}) and cancels with {@code ROLLOUT_ABORTED} when the release is
 * withdrawn.
 */
final class UpdateRunner {
    private static final Logger LOG = LoggerFactory.getLogger(UpdateRunner.class);
    /** How often a run re-checks a rollout's offer while it downloads and stages, unless configured. */
    static final Duration DEFAULT_ROLLOUT_RECHECK = Duration.ofSeconds(60);

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
    private final Duration rolloutRecheck;
    /** The rollout re-check of the run in progress; null when it installs nothing a rollout offered. */
    private volatile RolloutWatch watch;
    /** When the server asked the last run to come back (it held the agent back); null when it did not. */
    private volatile Instant retryAt;

    /**
     * @param hotSwap what the hot-swap path needs; {@code null} when this agent never swaps (no plugin updates either)
     */
    UpdateRunner(AgentHost host, ServerLink server, ReleaseTools tools, ProcessControl process,
                 HotSwapSupport hotSwap) {
        this(host, server, tools, process, hotSwap, DEFAULT_ROLLOUT_RECHECK);
    }

    /** @param rolloutRecheck how often a run re-checks a rollout's offer while it downloads and stages */
    UpdateRunner(AgentHost host, ServerLink server, ReleaseTools tools, ProcessControl process,
                 HotSwapSupport hotSwap, Duration rolloutRecheck) {
        this.rolloutRecheck = rolloutRecheck;
        this.host = host;
        this.server = server;
        this.hotSwap = hotSwap;
        this.report = new RunReporter(host, server.telemetry());
        this.releases = new ReleaseSource(host, server.enrollment(), tools.verifier());
        this.fullInstall = new FullInstall(host, releases, tools, process, report, cancelRequested::get,
                this::lastSafePoint);
        this.hotSwapInstall = new HotSwapInstall(host, releases, tools, process, hotSwap, report,
                cancelRequested::get, this::lastSafePoint);
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

    /**
     * When the server asked the last run to check again: it offered nothing because a rollout holds this agent back
     * ({@code retry_after_seconds}); empty when the last run was not held back.
     */
    Optional<Instant> retryAt() {
        return Optional.ofNullable(retryAt);
    }

    /**
     * The last point at which an install may still stop (before the trial pointer, before the swap): the rollout
     * re-check ends here, so nothing asks the server while the release is switched.
     *
     * @return whether the run must stop (cancelled, or its release withdrawn)
     */
    private boolean lastSafePoint() {
        RolloutWatch w = watch;
        if (w != null) {
            w.close();
        }
        return cancelRequested.get();
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
     * @param checkIn the check-in that delivered a server command, when one started this run; the run still checks in
     *     with its own run id (see the class comment), so this only tells it was asked
     * @return how the run ended; {@link RunState#RESTARTING} when the process is about to be replaced
     */
    RunResult run(String runId, boolean forced, Optional<CheckIn> checkIn) throws InterruptedException {
        retryAt = null;
        try {
            return runChecked(runId, forced);
        } finally {
            RolloutWatch w = watch;
            watch = null;
            if (w != null) {
                w.close();
            }
        }
    }

    private RunResult runChecked(String runId, boolean forced) throws InterruptedException {
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
            CheckIn c = enrollment.checkInNow(Duration.ofSeconds(60), runId).orElse(null);
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
                String held = heldBack(runId, answer.retryAfterSeconds(), c.at());
                // the agent is current: now its vendor plugins
                return plugins.installAll(runId, forced, answer.pluginUpdates(), c.at()).orElseGet(() ->
                        report.finish(report.result(runId, RunState.UP_TO_DATE, null, null,
                                "up to date: the server offers nothing newer than " + runningVersion() + held), true));
            }
            UpdateOffer offer = answer.offeredUpdate().get();
            target = offer.version() == null ? "" : offer.version();
            if (target.equals(runningVersion())) {
                String running = target;
                return plugins.installAll(runId, forced, answer.pluginUpdates(), c.at()).orElseGet(() ->
                        report.finish(report.result(runId, RunState.UP_TO_DATE, null, null, "up to date: already "
                                + "running " + running), true));
            }
            if (!forced && offer.rolloutId() == null && host.files().state().failedVersions().contains(target)) {
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
            RolloutWatch w = watch;
            if (w != null && w.aborted()) {
                return report.finish(report.result(runId, RunState.CANCELLED, target, "ROLLOUT_ABORTED", "the server "
                        + "no longer offers " + target + " (rollout " + w.rolloutId() + " was aborted or paused); "
                        + "cancelled before anything was installed, " + runningVersion() + " keeps running"), true);
            }
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

    /**
     * The server held this agent back: the next check is due after {@code retry_after_seconds} (the worker's planner
     * takes it when it is earlier than the schedule). Logged once per run, at INFO.
     *
     * @return what the run's message adds; empty when the server did not hold the agent back
     */
    private String heldBack(String runId, long retryAfterSeconds, Instant answeredAt) {
        if (retryAfterSeconds <= 0) {
            return "";
        }
        Instant at = answeredAt.plusSeconds(retryAfterSeconds);
        retryAt = at;
        LOG.info("update run {}: the server holds this agent back for {} s (a rollout's wave or slot is not free yet); "
                + "it asks again at {}", runId, retryAfterSeconds, at);
        return " (a rollout holds this agent back; the server asks it to check again at " + at + ")";
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
        if (!forced && !m.downgrade() && host.files().state().failedVersions().contains(m.version())) {
            // a rollout's offer is checked here, after the manifest: a rollback target must not be blocked by this.
            // Reported when a rollout offered it: the server took a slot for this run, which the skip frees
            return report.finish(report.result(runId, RunState.SKIPPED, m.version(), null, m.version() + " failed "
                    + "its health check on this agent before; it is not tried again automatically (Update now "
                    + "forces it)"), offer.rolloutId() != null);
        }
        Path archive = fullInstall.archiveFor(m);
        String rollout = offer.rolloutId() == null || offer.rolloutId().isBlank() ? null : offer.rolloutId();
        if (rollout != null) {
            if (!m.downgrade()) {
                // before the first byte: a rollback of this rollout must find it even if this run is cut short
                host.files().saveState(host.files().state().withRollout(rollout, runningVersion(), m.version(), now));
            }
            watch = RolloutWatch.start(server.enrollment(), runId, rollout, m.version(), rolloutRecheck, this::cancel);
        }
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
