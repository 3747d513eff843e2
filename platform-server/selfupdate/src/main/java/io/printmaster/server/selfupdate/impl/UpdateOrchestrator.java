package io.printmaster.server.selfupdate.impl;

import io.printmaster.api.platform.Platform;
import io.printmaster.api.version.SemanticVersion;
import io.printmaster.core.wire.ReleaseManifest;
import io.printmaster.server.releases.api.ReleaseCatalog;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries one run through its steps: {@code checking} (the candidate the policy allows), {@code downloading} (the
 * artifact's file from the server's cache, with its signed manifest verified), {@code staging} (unpacked into
 * {@code R/versions/<v>}), {@code applying} (the {@link ReleaseApplier}), then {@code succeeded}, {@code skipped}
 * (nothing newer), {@code failed} or {@code rolled_back}. Every transition is recorded before it is announced; a run
 * that applies in restart mode stays in {@code applying}: the restarted server finishes it.
 */
final class UpdateOrchestrator {
    private static final Logger LOG = LoggerFactory.getLogger(UpdateOrchestrator.class);

    /** What the running server is. */
    record Setup(SemanticVersion running, Platform platform, Path installRoot, Path programDir) {
        /** The release running now: a hot swap moves it on in the same process ({@link RunningVersion}). */
        @Override
        public SemanticVersion running() {
            return RunningVersion.orStarted(running);
        }
    }

    private final SelfUpdateStore store;
    private final ReleaseCatalog catalog;
    private final ReleaseVerification verification;
    private final ReleaseStager stager;
    private final Supplier<ReleaseApplier> applier;
    private final Consumer<UpdateRun> announce;
    private final Clock clock;
    private final Setup setup;

    UpdateOrchestrator(SelfUpdateStore store, ReleaseCatalog catalog, ReleaseVerification verification,
                       ReleaseStager stager, Supplier<ReleaseApplier> applier, Consumer<UpdateRun> announce, Clock clock,
                       Setup setup) {
        this.store = store;
        this.catalog = catalog;
        this.verification = verification;
        this.stager = stager;
        this.applier = applier;
        this.announce = announce;
        this.clock = clock;
        this.setup = setup;
    }

    /** Runs a {@code pending} run to its end (or, in restart mode, to the hand-over). Never throws. */
    void execute(String runId, UpdatePolicy policy) {
        String step = UpdateRun.PENDING;
        String mode = null;
        try {
            step = UpdateRun.CHECKING;
            advance(runId, step, null, null, null);
            Optional<CandidateSelection.Candidate> found = CandidateSelection.select(catalog, policy, setup.running(),
                    setup.platform());
            if (found.isEmpty()) {
                finish(runId, UpdateRun.SKIPPED, null, "no newer server release for " + setup.platform().os().wireName()
                        + "-" + setup.platform().arch().wireName() + " within the policy ("
                        + describe(policy) + ") than the running " + setup.running());
                return;
            }
            CandidateSelection.Candidate c = found.get();
            String to = c.artifact().version();

            step = UpdateRun.DOWNLOADING;
            advance(runId, step, to, null, Map.of("artifact_id", c.artifact().id(), "sha256", c.artifact().sha256(),
                    "size_bytes", c.artifact().sizeBytes()));
            ReleaseManifest manifest = verification.verifyManifest(catalog.manifest(c.artifact().id()), c.artifact(),
                    setup.platform(), clock.instant());
            Path file = catalog.file(c.artifact().sha256()).orElseThrow(() -> new SelfUpdateFailure("DOWNLOAD_FAILED",
                    "server " + to + " is in the release catalog but its file is not in the server's artifact cache: "
                            + "run a release sync (Releases page) so the server downloads it, then try again"));
            ReleaseVerification.verifyFile(file, manifest);

            step = UpdateRun.STAGING;
            advance(runId, step, null, null, null);
            Path slot = stager.stage(file, c.artifact().format(), setup.installRoot(), to, setup.programDir());

            step = UpdateRun.APPLYING;
            advance(runId, step, null, null, Map.of("slot", slot.toString()));
            ReleaseApplier a = applier.get();
            if (a == null) {
                throw new SelfUpdateFailure("SELF_UPDATE_DISABLED", "this server has no release applier installed "
                        + "(its self-update bundle is incomplete): the staged release in " + slot + " was not applied");
            }
            StagedRelease staged = new StagedRelease(runId, setup.running().toString(), to, slot, manifest,
                    c.notes() == null ? null : c.notes().markdown());
            mode = a.modeFor(staged);
            if (!UpdateRun.MODE_HOT_SWAP.equals(mode) && !UpdateRun.MODE_RESTART.equals(mode)) {
                throw new IllegalStateException("the applier chose mode '" + mode + "'");
            }
            advance(runId, step, null, mode, null);
            a.apply(staged, mode, (status, detail) -> progress(runId, status, detail));
            if (UpdateRun.MODE_HOT_SWAP.equals(mode)) {
                finish(runId, UpdateRun.SUCCEEDED, null, null);
            } else {
                LOG.info("update run {}: server {} staged, handed over for a restart", runId, to);
            }
        } catch (SelfUpdateFailure f) {
            // a hot swap that threw has been rolled back by the applier; anything earlier changed nothing
            boolean rolledBack = UpdateRun.APPLYING.equals(step) && UpdateRun.MODE_HOT_SWAP.equals(mode);
            LOG.warn("update run {} {} in {}: {} {}", runId, rolledBack ? "rolled back" : "failed", step, f.code(),
                    f.getMessage());
            finishQuietly(runId, rolledBack ? UpdateRun.ROLLED_BACK : UpdateRun.FAILED, f.code(), f.getMessage());
        } catch (Exception | LinkageError e) {
            LOG.error("update run {} failed in {}", runId, step, e);
            finishQuietly(runId, UpdateRun.FAILED, unexpectedCode(step, mode), "unexpected error while " + step + ": " + e);
        }
    }

    /** What an applier reports: a step's detail (its status must be the run's current or a later step). */
    private void progress(String runId, String status, Map<String, Object> detail) {
        if (status == null || UpdateRun.FINAL.contains(status) || !UpdateRun.STEPS.contains(status)) {
            return; // the orchestrator alone ends a run
        }
        try {
            advance(runId, status, null, null, detail == null ? null : new LinkedHashMap<>(detail));
        } catch (SQLException e) {
            LOG.warn("update run {}: cannot record progress {}: {}", runId, status, e.toString());
        }
    }

    private void advance(String runId, String status, String to, String mode, Map<String, Object> detail)
            throws SQLException {
        store.advance(runId, status, to, mode, detail).ifPresent(announce);
    }

    private void finish(String runId, String status, String code, String message) throws SQLException {
        store.finish(runId, status, code, message).ifPresent(announce);
    }

    private void finishQuietly(String runId, String status, String code, String message) {
        try {
            finish(runId, status, code, message);
        } catch (SQLException | RuntimeException e) {
            LOG.error("update run {}: cannot record its end ({} {}); the next start ends it as INTERRUPTED", runId,
                    status, code, e);
        }
    }

    private static String unexpectedCode(String step, String mode) {
        return switch (step) {
            case UpdateRun.STAGING -> "STAGING_FAILED";
            case UpdateRun.APPLYING -> UpdateRun.MODE_HOT_SWAP.equals(mode) ? "SWAP_FAILED" : "RESTART_FAILED";
            default -> "DOWNLOAD_FAILED";
        };
    }

    static String describe(UpdatePolicy p) {
        return p.targetVersion() != null ? "target " + p.targetVersion()
                : "pin " + p.versionPinStrategy().wireName() + (p.allowMajorUpgrade() ? ", major upgrades allowed" : "")
                + ", channel " + p.channel().wireName();
    }
}
