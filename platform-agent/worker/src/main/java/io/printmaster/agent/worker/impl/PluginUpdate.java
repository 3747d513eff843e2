package io.printmaster.agent.worker.impl;

import io.printmaster.core.wire.UpdateOffer;
import io.printmaster.agent.files.AtomicFiles;
import io.printmaster.agent.files.Digests;
import io.printmaster.agent.hotswap.api.BundleSwapper;
import io.printmaster.agent.hotswap.api.PluginReplacement;
import io.printmaster.agent.hotswap.api.SwapOutcome;
import io.printmaster.agent.update.api.DeliveredPlugin;
import io.printmaster.agent.update.api.RunResult;
import io.printmaster.agent.update.api.RunState;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The vendor plugin releases a check-in offers ({@code plugin_updates}), each verified (its own signed manifest and
 * replay counter), downloaded, checked to be the plugin installed here, and replaced behind the health gate
 * ({@link BundleSwapper#replacePlugin}), as a run of its own with its own report. Also puts back a plugin whose
 * replacement the end of the process cut short.
 */
final class PluginUpdate {
    private static final Logger LOG = LoggerFactory.getLogger(PluginUpdate.class);

    private final AgentHost host;
    private final ReleaseSource releases;
    private final ReleaseTools tools;
    private final HotSwapSupport hotSwap;
    private final RunReporter report;
    private final BooleanSupplier cancelled;

    PluginUpdate(AgentHost host, ReleaseSource releases, ReleaseTools tools, HotSwapSupport hotSwap,
                 RunReporter report, BooleanSupplier cancelled) {
        this.host = host;
        this.releases = releases;
        this.tools = tools;
        this.hotSwap = hotSwap;
        this.report = report;
        this.cancelled = cancelled;
    }

    /**
     * Installs the offered plugin releases one by one, each as run {@code <runId>-<component>}.
     *
     * @return the last plugin run's end; empty when nothing was offered for a plugin installed here
     */
    Optional<RunResult> installAll(String runId, boolean forced, List<UpdateOffer> offers, Instant now)
            throws InterruptedException {
        if (offers.isEmpty()) {
            return Optional.empty();
        }
        Optional<RunResult> last = Optional.empty();
        List<DeliveredPlugin> plugins = DeliveredPlugin.scan(host.layout().pluginsDir());
        for (UpdateOffer offer : offers) {
            String component = offer.component() == null ? "" : offer.component();
            Optional<DeliveredPlugin> installed = plugins.stream()
                    .filter(p -> p.component().equals(component)).findFirst();
            if (installed.isEmpty()) {
                LOG.warn("the server offers plugin {} {}, which is not installed here; ignoring it", component,
                        offer.version());
                continue;
            }
            String pluginRun = (runId + "-" + component).substring(0, Math.min(64, runId.length() + 1
                    + component.length()));
            last = Optional.of(install(pluginRun, forced, installed.get(), offer, now));
        }
        return last;
    }

    /** One vendor plugin: verify, download, check, replace behind the health gate, report. */
    private RunResult install(String runId, boolean forced, DeliveredPlugin installed, UpdateOffer offer, Instant now)
            throws InterruptedException {
        WorkerFiles files = host.files();
        String component = installed.component();
        String target = offer.version() == null ? "" : offer.version();
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("mode", "plugin");
        meta.put("component", component);
        meta.put("from_version", installed.version());
        try {
            if (!forced && files.state().failedVersions().contains(PersistentState.pluginRelease(component, target))) {
                return report.finish(report.result(runId, RunState.SKIPPED, target, null, "plugin " + component + " "
                        + target + " failed its health check on this agent before; it is not tried again "
                        + "automatically (Update now forces it)"), false);
            }
            Optional<BundleSwapper> swapper = HotSwapSupport.engine(hotSwap);
            if (swapper.isEmpty()) {
                return report.finish(report.result(runId, RunState.SKIPPED, target, null, "plugin " + component + " "
                        + target + " is offered, but no hot-swap engine runs here to replace it behind a health "
                        + "gate"), false);
            }
            report.transition(runId, RunState.PENDING, target, null, null, meta);
            VerifiedManifest m = releases.verifyPlugin(offer, component, now);
            if (!m.version().equals(target) || !m.format().equals("jar")) {
                throw new UpdateFailure("MANIFEST_ERROR", "the signed manifest is for " + m.component() + " "
                        + m.version() + " (" + m.format() + "), the offer for plugin " + component + " " + target
                        + " (jar)");
            }
            Files.createDirectories(host.layout().downloads());
            Path jar = host.layout().downloads().resolve(component + "-" + target + ".jar");
            ReleaseSource.ServerAccess server = releases.serverAccess();
            URI uri = server.resolve(offer.downloadUrl() == null ? "" : offer.downloadUrl());
            report.transition(runId, RunState.DOWNLOADING, target, null, null, meta);
            long started = System.nanoTime();
            if (!(Files.isRegularFile(jar) && ReleaseSource.sameBytes(jar, m))) {
                tools.download().download(uri, server.headers(), jar, m, (r, t) -> { }, cancelled);
            }
            report.transition(runId, RunState.STAGING, target, null, null, meta,
                    (System.nanoTime() - started) / 1_000_000, m.sizeBytes());
            requireSamePlugin(jar, installed, target);
            Path backup = host.layout().pluginBackup(installed.jar().getFileName().toString());
            Files.deleteIfExists(backup); // never put back a backup of an earlier replacement
            RunMarker marker = new RunMarker(runId, installed.version(), target, RunMarker.Phase.downloading, forced,
                    now, null, null, m.releaseCounter())
                    .swapping(hotSwap.frameworkUuid(), meta)
                    .forPlugin(new RunMarker.PluginFiles(component, installed.jar().toString(), backup.toString(),
                            Digests.sha256Hex(installed.jar())));
            files.saveMarker(marker);
            report.transition(runId, RunState.APPLYING, target, null, null, meta);
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
            RunResult r = outcome(runId, installed, target, m, outcome, backup);
            // the outcome is recorded before the report, which a crash must not lose
            files.saveMarker(marker.swapped(r.state().wireName(), r.errorCode(), r.errorMessage(), meta));
            if (r.state() != RunState.FAILED) {
                Files.deleteIfExists(backup);
            }
            Files.deleteIfExists(jar);
            report.finish(r, true, meta);
            report.clearMarkerQuietly();
            return r;
        } catch (UpdateFailure f) {
            return report.finish(report.result(runId, RunState.FAILED, target, f.code(), f.getMessage()), true, meta);
        } catch (ResumableDownload.CancelledException e) {
            return report.finish(report.result(runId, RunState.CANCELLED, target, null, "cancelled; the partial "
                    + "download is kept"), true, meta);
        } catch (IOException e) {
            return report.finish(report.result(runId, RunState.FAILED, target, "APPLY_FAILED", "plugin " + component
                    + " " + target + " could not be prepared: " + e), true, meta);
        }
    }

    /** The downloaded jar must be the installed plugin's next release, not another bundle. */
    private static void requireSamePlugin(Path jar, DeliveredPlugin installed, String target) throws UpdateFailure {
        String component = installed.component();
        Optional<DeliveredPlugin> delivered = DeliveredPlugin.read(jar);
        if (delivered.isEmpty() || !delivered.get().component().equals(component)
                || !delivered.get().symbolicName().equals(installed.symbolicName())) {
            throw new UpdateFailure("STAGING_FAILED", "the jar of " + component + " " + target + " is not plugin "
                    + installed.symbolicName() + " of component " + component + " (it is "
                    + delivered.map(d -> d.symbolicName() + " of " + d.component()).orElse("no delivered plugin")
                    + ")");
        }
    }

    private RunResult outcome(String runId, DeliveredPlugin installed, String target, VerifiedManifest m,
                              SwapOutcome outcome, Path backup) throws IOException {
        WorkerFiles files = host.files();
        String component = installed.component();
        return switch (outcome.result()) {
            case SWAPPED -> {
                files.saveState(files.state().withPluginCounter(component, m.releaseCounter()));
                yield report.result(runId, RunState.SUCCEEDED, target, null, "plugin " + component + " updated from "
                        + installed.version() + " to " + target + " without a restart");
            }
            case ROLLED_BACK -> {
                files.saveState(files.state().withFailed(PersistentState.pluginRelease(component, target)));
                yield report.result(runId, RunState.ROLLED_BACK, target, "HEALTH_CHECK", "plugin " + component + " "
                        + target + " failed its health check: " + outcome.failingCheck() + "; "
                        + installed.version() + " runs again");
            }
            default -> {
                files.saveState(files.state().withFailed(PersistentState.pluginRelease(component, target)));
                yield report.result(runId, RunState.FAILED, target, "ROLLBACK_FAILED", "plugin " + component + " "
                        + target + " failed its health check (" + outcome.failingCheck() + ") and "
                        + installed.version() + " did not come back healthy; its jar is in " + backup);
            }
        };
    }

    /**
     * Called at the worker's activation, before Felix FileInstall (started last) reads the plugins folder: a plugin
     * replacement that the end of the previous process cut short gets its previous jar back at once, so the jar that
     * was on trial (maybe what ended the process) is never installed again. {@link CrashRecovery} reports it.
     */
    void restoreInterrupted() {
        Optional<RunMarker> found = host.files().marker().filter(k -> k.phase() == RunMarker.Phase.swapping
                && k.plugin() != null && !HotSwapSupport.inProgress(hotSwap, host.files()));
        if (found.isPresent()) {
            try {
                restore(found.get().plugin());
            } catch (IOException e) {
                LOG.error("cannot put back the previous jar of plugin {}: {}", found.get().plugin().component(),
                        e.toString());
            }
        }
    }

    /** The backup over the plugin's file, when it holds the bytes the marker names; then the backup goes. */
    void restore(RunMarker.PluginFiles p) throws IOException {
        Path backup = Path.of(p.backup());
        if (!Files.isRegularFile(backup)) {
            return; // put back already, or never made (nothing changed)
        }
        if (p.backupSha256() != null && !p.backupSha256().equals(Digests.sha256Hex(backup))) {
            LOG.warn("the backup {} of plugin {} does not hold its previous release; leaving {} as it is", backup,
                    p.component(), p.file());
            Files.delete(backup);
            return;
        }
        // the temporary file outside the watched plugins folder, on the same file system
        AtomicFiles.write(Path.of(p.file()), Files.readAllBytes(backup), host.layout().updateDir(), null);
        Files.delete(backup);
        LOG.warn("the replacement of plugin {} was cut short by the end of the process: its previous release is back "
                + "in {}", p.component(), p.file());
    }
}
