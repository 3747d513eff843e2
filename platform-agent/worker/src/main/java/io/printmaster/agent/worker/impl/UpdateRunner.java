package io.printmaster.agent.worker.impl;

import com.fasterxml.jackson.databind.JsonNode;
import io.printmaster.agent.config.api.AgentSettings;
import io.printmaster.agent.enrollment.api.CheckIn;
import io.printmaster.agent.enrollment.api.EnrolledAgent;
import io.printmaster.agent.enrollment.api.Enrollment;
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
import java.util.Base64;
import java.util.LinkedHashMap;
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
    }

    /** The health check of a trial. */
    interface HealthProbe {
        /** Waits for the agent to become healthy; empty when healthy, else the failing check, for the operator. */
        Optional<String> failingCheck() throws InterruptedException;
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
    private final String runningVersion;
    private final String platform;
    private final String arch;

    private final AtomicBoolean cancelRequested = new AtomicBoolean();
    private volatile RunState state = RunState.IDLE;
    private volatile String latestVersion;

    UpdateRunner(InstallLayout layout, WorkerFiles files, Enrollment enrollment, Supplier<AgentSettings> settings,
                 ManifestVerifier verifier, ResumableDownload download, ArchiveStager stager, TelemetrySender telemetry,
                 Restarter restarter, HealthProbe health, DiskSpace disk, FaultInjection faults, Clock clock,
                 String runningVersion, String platform, String arch) {
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
        this.platform = platform;
        this.arch = arch;
    }

    RunState state() {
        return state;
    }

    Optional<String> latestVersion() {
        return Optional.ofNullable(latestVersion);
    }

    String runningVersion() {
        return runningVersion;
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
                return finish(result(runId, RunState.SUCCEEDED, null, null,
                        "up to date: the server offers nothing newer than " + runningVersion), false);
            }
            target = offer.path("version").asText("");
            if (target.equals(runningVersion)) {
                return finish(result(runId, RunState.SUCCEEDED, null, null, "already running " + target), false);
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

        RunMarker marker = new RunMarker(runId, runningVersion, target, RunMarker.Phase.downloading, forced, now,
                null, null, m.releaseCounter());
        files.saveMarker(marker);
        long resumedFrom = Files.isRegularFile(ResumableDownload.partialOf(archive))
                ? Files.size(ResumableDownload.partialOf(archive)) : 0;
        transition(runId, RunState.DOWNLOADING, target, null, null,
                resumedFrom > 0 ? Map.of("resumed_from_bytes", resumedFrom) : Map.of());
        long started = System.nanoTime();
        EnrolledAgent agent = enrollment.current().orElseThrow(() -> new UpdateFailure("SERVER_ERROR",
                "the agent is not enrolled any more"));
        String credential = enrollment.credential().orElseThrow(() -> new UpdateFailure("SERVER_ERROR",
                "the agent has no credential any more"));
        URI uri = resolve(agent.serverUrl(), offer.path("download_url").asText(""));
        boolean[] halfway = {false};
        if (!(Files.isRegularFile(archive) && sameBytes(archive, m))) {
            download.download(uri, Map.of("Authorization", "Bearer " + credential), archive, m, (received, total) -> {
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
                    + "; " + runningVersion + " keeps running"), true);
        }
        return result(runId, RunState.RESTARTING, target, null, "restarting into " + target);
    }

    private VerifiedManifest verify(JsonNode offer, Instant now) throws UpdateFailure {
        byte[] manifest;
        try {
            manifest = Base64.getDecoder().decode(offer.path("manifest_base64").asText(""));
        } catch (IllegalArgumentException e) {
            throw new UpdateFailure("MANIFEST_ERROR", "manifest_base64 is not base64");
        }
        TrustAnchors trust;
        try {
            trust = TrustAnchors.fromTrustFile(Files.readAllBytes(layout.trustFile()), verifier.signatures());
        } catch (IOException e) {
            throw new UpdateFailure("MANIFEST_ERROR", "this agent has no trusted keys (" + layout.trustFile()
                    + " cannot be read: " + e.getMessage() + "); it installs nothing it cannot verify");
        }
        return verifier.verify(manifest, offer.path("signature").asText(""), trust,
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
                    if (runningVersion.equals(to)) {
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
                                + "before its health check passed); " + runningVersion + " was started again"
                                : to + " was not started; " + runningVersion + " runs";
                        layout.clear("abandoned");
                        files.clearMarker();
                        finish(result(marker.runId(), RunState.ROLLED_BACK, to, "RESTART_FAILED", why), true);
                    }
                }
                case rolling_back -> {
                    if (runningVersion.equals(to)) {
                        files.clearMarker();
                        finish(result(marker.runId(), RunState.FAILED, to, "ROLLBACK_FAILED", "the rollback "
                                + "from " + to + " did not happen: " + to + " was started again"), true);
                    } else {
                        files.clearMarker();
                        finish(result(marker.runId(), RunState.ROLLED_BACK, to,
                                marker.errorCode() != null ? marker.errorCode() : "HEALTH_CHECK",
                                (marker.errorMessage() != null ? marker.errorMessage() : to + " was unhealthy")
                                        + "; rolled back to " + runningVersion), true);
                    }
                }
                default -> throw new IllegalStateException(marker.phase().name());
            }
        } catch (IOException e) {
            LOG.error("cannot finish the update run {} to {}: {}", marker.runId(), to, e.toString());
        }
        return Optional.empty();
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
                if (!name.equals(keep) && !name.equals(previous) && !name.startsWith(".")) {
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
            telemetry.send(new TelemetrySender.Event(r.runId(), r.state().wireName(), runningVersion,
                    r.targetVersion(), r.errorCode(), r.errorMessage(), r.finishedAt(), null, null, null));
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
            telemetry.send(new TelemetrySender.Event(runId, next.wireName(), runningVersion, target, code, message,
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
