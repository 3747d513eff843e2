package io.printmaster.agent.worker.impl;

import io.printmaster.core.wire.UpdateOffer;
import io.printmaster.agent.files.AtomicFiles;
import io.printmaster.agent.update.api.RunResult;
import io.printmaster.agent.update.api.RunState;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The full install of an agent release, with a restart: resumable download → verify the bytes → unpack into
 * {@code versions/.staging-<v>} → rename to the slot → write {@code trial} → restart through the service manager. The
 * trampoline boots the trial; its worker ({@link CrashRecovery}) checks its health and commits or goes back. Nothing
 * in the running version's program tree is ever written, so a crash at any point leaves the old version bootable,
 * and the run marker tells the next start what to finish or report.
 */
final class FullInstall {
    /** Staging space as a multiple of the download: the download, the unpacked tree (jars barely compress). */
    static final int SPACE_FACTOR = 3;

    private final AgentHost host;
    private final ReleaseSource releases;
    private final ReleaseTools tools;
    private final ProcessControl process;
    private final RunReporter report;
    private final BooleanSupplier cancelled;
    private final BooleanSupplier lastSafePoint;

    /**
     * @param cancelled whether the run was asked to stop (polled while downloading and staging)
     * @param lastSafePoint called once, just before the trial pointer is written: whether the run must stop there
     */
    FullInstall(AgentHost host, ReleaseSource releases, ReleaseTools tools, ProcessControl process, RunReporter report,
                BooleanSupplier cancelled, BooleanSupplier lastSafePoint) {
        this.lastSafePoint = lastSafePoint;
        this.host = host;
        this.releases = releases;
        this.tools = tools;
        this.process = process;
        this.report = report;
        this.cancelled = cancelled;
    }

    /**
     * Where the release's archive goes, once its format is one this agent installs and the disk has room for it.
     *
     * @throws UpdateFailure {@code MANIFEST_ERROR} for another format, {@code DISK_SPACE} when the room is missing
     */
    Path archiveFor(VerifiedManifest m) throws UpdateFailure, IOException {
        String ext = extension(m);
        InstallLayout layout = host.layout();
        Files.createDirectories(layout.downloads());
        Files.createDirectories(layout.versions());
        Path archive = layout.downloads().resolve(m.version() + "-" + host.platform() + "-" + host.arch() + "." + ext);
        preflight(m, archive);
        return archive;
    }

    private static String extension(VerifiedManifest m) throws UpdateFailure {
        return switch (m.format()) {
            case "tar.gz" -> "tar.gz";
            case "zip" -> "zip";
            default -> throw new UpdateFailure("MANIFEST_ERROR", "format '" + m.format() + "' is not one this agent "
                    + "installs (tar.gz, zip)");
        };
    }

    private void preflight(VerifiedManifest m, Path archive) throws UpdateFailure, IOException {
        long have = Files.isRegularFile(archive) ? Files.size(archive)
                : Files.isRegularFile(ResumableDownload.partialOf(archive))
                ? Files.size(ResumableDownload.partialOf(archive)) : 0;
        long needed = SPACE_FACTOR * m.sizeBytes() - have;
        long free = host.disk().usableBytes(host.layout().versions());
        if (free < needed) {
            throw new UpdateFailure("DISK_SPACE", "not enough free disk for " + m.version() + ": " + needed
                    + " bytes needed (download and unpacked copy; the running version stays as the backup), "
                    + free + " free in " + host.layout().versions() + "; nothing was downloaded");
        }
    }

    /** Downloads, stages and hands the release to the next start; {@link RunState#RESTARTING} when that started. */
    RunResult install(String runId, boolean forced, UpdateOffer offer, VerifiedManifest m, Path archive, Instant now)
            throws UpdateFailure, IOException, ResumableDownload.CancelledException, InterruptedException {
        String target = m.version();
        InstallLayout layout = host.layout();
        WorkerFiles files = host.files();
        RunMarker marker = new RunMarker(runId, host.runningRelease(), target, RunMarker.Phase.downloading, forced,
                now, null, null, m.releaseCounter());
        Path slot = layout.slot(target);
        if (slot.equals(layout.programDir())) {
            // a rollback to the program folder this process started from (a hot swap took it to a newer release
            // since): that folder is never rebuilt under the running process, it is booted as it is when it still
            // holds the release whole
            if (!HotSwapStager.holdsRelease(slot, m)) {
                throw new UpdateFailure("STAGING_FAILED", "version " + target + " is the program folder this process "
                        + "runs from (" + slot + "), and it no longer holds " + target + " whole; it cannot be rebuilt "
                        + "while the agent runs from it");
            }
            files.saveMarker(marker.at(RunMarker.Phase.staging));
            report.transition(runId, RunState.STAGING, target, null, null, Map.of("reused_slot", true));
            return handOver(runId, marker, target);
        }
        files.saveMarker(marker);
        long resumedFrom = Files.isRegularFile(ResumableDownload.partialOf(archive))
                ? Files.size(ResumableDownload.partialOf(archive)) : 0;
        report.transition(runId, RunState.DOWNLOADING, target, null, null,
                resumedFrom > 0 ? Map.of("resumed_from_bytes", resumedFrom) : Map.of());
        long started = System.nanoTime();
        ReleaseSource.ServerAccess server = releases.serverAccess();
        URI uri = server.resolve(offer.downloadUrl() == null ? "" : offer.downloadUrl());
        boolean[] halfway = {false};
        if (!(Files.isRegularFile(archive) && ReleaseSource.sameBytes(archive, m))) {
            tools.download().download(uri, server.headers(), archive, m, (received, total) -> {
                if (!halfway[0] && received * 2 >= total) {
                    halfway[0] = true;
                    process.faults().reached(FaultInjection.Point.download);
                }
            }, cancelled);
        }
        long downloadMillis = (System.nanoTime() - started) / 1_000_000;

        files.saveMarker(marker.at(RunMarker.Phase.staging));
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("download_url", uri.getPath());
        if (resumedFrom > 0) {
            meta.put("resumed_from_bytes", resumedFrom);
        }
        report.transition(runId, RunState.STAGING, target, null, null, meta, downloadMillis, m.sizeBytes());
        Path staging = layout.staging(target);
        ArchiveStager.deleteTree(staging);
        boolean[] stagedHalf = {false};
        tools.stager().stage(archive, extension(m), staging, target, read -> {
            if (!stagedHalf[0] && read * 2 >= m.sizeBytes()) {
                stagedHalf[0] = true;
                process.faults().reached(FaultInjection.Point.staging);
            }
        }, cancelled);
        // an existing slot of this version (a rollback's target, kept from before the update) is replaced whole
        moveIntoSlot(staging, slot);
        return handOver(runId, marker, target);
    }

    /** The slot is complete: the last safe point, then the trial pointer and the restart. */
    private RunResult handOver(String runId, RunMarker marker, String target)
            throws UpdateFailure, IOException, ResumableDownload.CancelledException {
        InstallLayout layout = host.layout();
        WorkerFiles files = host.files();
        if (lastSafePoint.getAsBoolean()) {
            throw new ResumableDownload.CancelledException();
        }

        report.transition(runId, RunState.APPLYING, target, null, null, Map.of());
        try {
            files.saveMarker(marker.at(RunMarker.Phase.restarting));
            layout.writeTrial(target);
        } catch (IOException e) {
            layout.clear("trial");
            throw new UpdateFailure("APPLY_FAILED", "cannot hand " + target + " over to the next start: " + e);
        }
        process.faults().reached(FaultInjection.Point.applying);
        report.transition(runId, RunState.RESTARTING, target, null, null, Map.of());
        try {
            process.restarter().restart();
        } catch (UpdateFailure f) {
            // nothing was switched: withdraw the trial, the running version stays
            layout.clear("trial");
            files.clearMarker();
            return report.finish(report.result(runId, RunState.ROLLED_BACK, target, f.code(), f.getMessage()
                    + "; " + host.runningRelease() + " keeps running"), true);
        }
        return report.result(runId, RunState.RESTARTING, target, null, "restarting into " + target);
    }

    /** The staged tree becomes the version's slot in one rename (a slot is there whole or not at all). */
    static void moveIntoSlot(Path staging, Path slot) throws UpdateFailure {
        try {
            ArchiveStager.deleteTree(slot);
            AtomicFiles.move(staging, slot);
        } catch (IOException e) {
            throw new UpdateFailure("STAGING_FAILED", "cannot move the staged release into " + slot + ": " + e);
        }
    }
}
