package io.printmaster.agent.hotswap.impl;

import io.printmaster.agent.hotswap.api.PluginReplacement;
import io.printmaster.agent.hotswap.api.SwapOutcome;
import io.printmaster.agent.hotswap.api.SwapOutcome.Result;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replaces a vendor plugin that Felix FileInstall manages. FileInstall stays the only one that installs and updates
 * what is in the plugins folder (an update made behind its back would be undone, or done twice, at its next scan), so
 * the replacement is made by its file: the current jar backed up, the new one moved over it, FileInstall's update
 * awaited, then the health gate; on failure the backup goes back the same way.
 */
final class PluginSwapEngine {
    private static final Logger LOG = LoggerFactory.getLogger(PluginSwapEngine.class);
    /** FileInstall polls every 500 ms; an update not seen after this long is treated as failed. */
    private static final long FILEINSTALL_TIMEOUT_MILLIS = 30_000;

    private final BundleContext system;
    private final Path journalFile;
    private final HealthGate gate;
    private final ReentrantLock lock;

    PluginSwapEngine(BundleContext system, Path updateDir, HealthGate gate, ReentrantLock lock) {
        this.system = system;
        this.journalFile = updateDir.resolve("plugin-swap.json");
        this.gate = gate;
        this.lock = lock;
    }

    SwapOutcome replace(PluginReplacement r) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            return replaceLocked(r);
        } finally {
            lock.unlock();
        }
    }

    private SwapOutcome replaceLocked(PluginReplacement r) throws InterruptedException {
        long started = System.nanoTime();
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        byte[] oldBytes;
        byte[] newBytes;
        String name;
        try {
            oldBytes = Files.readAllBytes(r.pluginFile());
            newBytes = Files.readAllBytes(r.newJar());
            name = InstalledBundles.symbolicName(oldBytes).orElseThrow(() -> new IllegalStateException(r.pluginFile()
                    + " is not a bundle"));
            Optional<String> newName = InstalledBundles.symbolicName(newBytes);
            if (!newName.equals(Optional.of(name))) {
                throw new IllegalStateException(r.newJar() + " holds bundle " + newName.orElse("(none)") + ", not "
                        + name + " of " + r.pluginFile());
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the plugin's jars: " + e, e);
        }
        if (!Sha256.of(newBytes).equals(r.sha256())) {
            throw new IllegalStateException(r.newJar() + " does not hold the bytes with SHA-256 " + r.sha256());
        }
        Bundle bundle = running(name, r.pluginFile()).orElseThrow(() -> new IllegalStateException("no running bundle "
                + name + " was installed from " + r.pluginFile()));
        String oldSha = Sha256.of(oldBytes);

        Map<String, String> componentsBefore = gate.satisfiedComponents();
        Set<String> healthChecksFailingBefore = gate.failingHealthChecks(Math.min(r.healthTimeout().toMillis(), 10_000));
        Pause pause = new Pause();
        try {
            writeAtomically(r.backup(), oldBytes);
        } catch (IOException e) {
            throw new IllegalStateException("cannot back up " + r.pluginFile() + " to " + r.backup() + ": " + e, e);
        }
        journal(r, "swapping", oldSha, null);
        LOG.info("plugin {} {} → {}: replacing {} ({})", r.component(), r.fromVersion(), r.toVersion(), name,
                r.pluginFile());

        long downStart = System.nanoTime();
        Optional<String> failing = placeAndAwaitUpdate(bundle, r.pluginFile(), newBytes, pause);
        long downEnd = 0;
        if (failing.isEmpty()) {
            HealthGate.Verdict verdict = gate.check(Map.of(name, bundle), Map.of(), componentsBefore, Set.of(),
                    System.nanoTime() + r.healthTimeout().toNanos(), true, pause);
            failing = verdict.failingCheck();
            downEnd = verdict.bundlesActiveAtNanos();
        }
        if (failing.isEmpty()) {
            journal(r, "done", oldSha, "swapped");
            SwapOutcome outcome = new SwapOutcome(Result.SWAPPED, null, List.of(name), millisSince(started),
                    TimeUnit.NANOSECONDS.toMillis(downEnd - downStart));
            LOG.info("plugin {} {} → {}: replaced in {} ms", r.component(), r.fromVersion(), r.toVersion(),
                    outcome.swapMillis());
            restoreInterrupt(pause);
            return outcome;
        }

        LOG.warn("plugin {} {} → {} failed the health gate ({}): putting {} back", r.component(), r.fromVersion(),
                r.toVersion(), failing.get(), r.fromVersion());
        journal(r, "rolling_back", oldSha, null);
        long rollbackStart = System.nanoTime();
        Optional<String> rollbackFailure = placeAndAwaitUpdate(bundle, r.pluginFile(), oldBytes, pause);
        long rollbackEnd = 0;
        if (rollbackFailure.isEmpty()) {
            HealthGate.Verdict verdict = gate.check(Map.of(name, bundle), Map.of(), componentsBefore,
                    healthChecksFailingBefore, System.nanoTime() + r.healthTimeout().toNanos(), false, pause);
            rollbackFailure = verdict.failingCheck();
            rollbackEnd = verdict.bundlesActiveAtNanos();
        }
        long down = (downEnd != 0 ? downEnd - downStart : rollbackStart - downStart)
                + ((rollbackEnd != 0 ? rollbackEnd : System.nanoTime()) - rollbackStart);
        SwapOutcome outcome;
        if (rollbackFailure.isEmpty()) {
            journal(r, "done", oldSha, "rolled_back");
            outcome = new SwapOutcome(Result.ROLLED_BACK, failing.get(), List.of(name), millisSince(started),
                    TimeUnit.NANOSECONDS.toMillis(down));
        } else {
            journal(r, "rolling_back", oldSha, "rollback_failed");
            outcome = new SwapOutcome(Result.ROLLBACK_FAILED, failing.get() + "; rollback: " + rollbackFailure.get(),
                    List.of(name), millisSince(started), TimeUnit.NANOSECONDS.toMillis(down));
            LOG.error("plugin {} {} → {}: ROLLBACK FAILED: {}", r.component(), r.fromVersion(), r.toVersion(),
                    outcome.failingCheck());
        }
        restoreInterrupt(pause);
        return outcome;
    }

    /** The bundle FileInstall installed from {@code file}: its symbolic name, and a location naming the file. */
    private Optional<Bundle> running(String name, Path file) {
        String fileName = file.getFileName().toString();
        for (Bundle b : system.getBundles()) {
            if (name.equals(b.getSymbolicName()) && b.getState() != Bundle.UNINSTALLED
                    && b.getLocation().endsWith(fileName)) {
                return Optional.of(b);
            }
        }
        return Optional.empty();
    }

    /**
     * Moves {@code bytes} over the plugin's file and waits until FileInstall updated the bundle from it.
     *
     * @return the failing check, when the file cannot be written or FileInstall does not update the bundle
     */
    private Optional<String> placeAndAwaitUpdate(Bundle bundle, Path pluginFile, byte[] bytes, Pause pause) {
        CountDownLatch updated = new CountDownLatch(1);
        BundleListener listener = event -> {
            if (event.getBundle().getBundleId() == bundle.getBundleId() && event.getType() == BundleEvent.UPDATED) {
                updated.countDown();
            }
        };
        system.addBundleListener(listener);
        try {
            try {
                writeAtomically(pluginFile, bytes);
            } catch (IOException e) {
                return Optional.of("cannot write " + pluginFile + ": " + e);
            }
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FILEINSTALL_TIMEOUT_MILLIS);
            while (true) {
                try {
                    if (updated.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                        return Optional.empty();
                    }
                    return Optional.of("bundle " + bundle.getSymbolicName() + " was not updated from " + pluginFile
                            + " within " + FILEINSTALL_TIMEOUT_MILLIS / 1000 + " s (is Felix FileInstall running?)");
                } catch (InterruptedException e) {
                    pause.interrupted();
                }
            }
        } finally {
            system.removeBundleListener(listener);
        }
    }

    /** Through a temp file in the same folder's parent (outside the watched folder), then renamed over the target. */
    private static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempFile(target.getParent().getParent(), "." + target.getFileName(), ".tmp");
        try {
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private void journal(PluginReplacement r, String phase, String oldSha, String result) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("component", r.component());
        j.put("from_version", r.fromVersion());
        j.put("to_version", r.toVersion());
        j.put("plugin_file", r.pluginFile().toString());
        j.put("backup", r.backup().toString());
        j.put("phase", phase);
        if (result != null) {
            j.put("result", result);
        }
        j.put("from_sha256", oldSha);
        j.put("to_sha256", r.sha256());
        try {
            JsonText.writeAtomically(journalFile, j);
        } catch (IOException e) {
            LOG.warn("cannot write the plugin journal {}", journalFile, e);
        }
    }

    private static void restoreInterrupt(Pause pause) {
        if (pause.wasInterrupted()) {
            Thread.currentThread().interrupt();
        }
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }
}
