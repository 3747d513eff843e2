package io.printmaster.agent.hotswap.impl;

import io.printmaster.agent.files.AtomicFiles;
import io.printmaster.agent.files.Digests;
import io.printmaster.agent.hotswap.api.PluginReplacement;
import io.printmaster.agent.hotswap.api.SwapOutcome;
import io.printmaster.agent.hotswap.api.SwapOutcome.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.osgi.framework.BundleException;
import org.osgi.framework.BundleListener;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.wiring.FrameworkWiring;
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
    /** How long FileInstall's refresh after its update may take to be seen. */
    private static final long REFRESH_WAIT_MILLIS = 10_000;

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
        if (!Digests.sha256Hex(newBytes).equals(r.sha256())) {
            throw new IllegalStateException(r.newJar() + " does not hold the bytes with SHA-256 " + r.sha256());
        }
        Bundle bundle = running(name, r.pluginFile()).orElseThrow(() -> new IllegalStateException("no running bundle "
                + name + " was installed from " + r.pluginFile()));
        String oldSha = Digests.sha256Hex(oldBytes);

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
        Map<String, String> startFailures = new java.util.TreeMap<>();
        Optional<String> failing = placeAndAwaitUpdate(bundle, r.pluginFile(), newBytes, pause, startFailures);
        long downEnd = 0;
        if (failing.isEmpty()) {
            HealthGate.Verdict verdict = gate.check(Map.of(name, bundle), startFailures, componentsBefore, Set.of(),
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
        Map<String, String> rollbackStartFailures = new java.util.TreeMap<>();
        Optional<String> rollbackFailure = placeAndAwaitUpdate(bundle, r.pluginFile(), oldBytes, pause,
                rollbackStartFailures);
        long rollbackEnd = 0;
        if (rollbackFailure.isEmpty()) {
            HealthGate.Verdict verdict = gate.check(Map.of(name, bundle), rollbackStartFailures, componentsBefore,
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
    private Optional<String> placeAndAwaitUpdate(Bundle bundle, Path pluginFile, byte[] bytes, Pause pause,
            Map<String, String> startFailures) {
        CountDownLatch updated = new CountDownLatch(1);
        CountDownLatch refreshed = new CountDownLatch(1);
        BundleListener listener = event -> {
            if (event.getBundle().getBundleId() == bundle.getBundleId() && event.getType() == BundleEvent.UPDATED) {
                updated.countDown();
            }
        };
        // FileInstall refreshes what it updated, then starts its bundles: the gate begins after that refresh
        FrameworkListener refresh = event -> {
            if (updated.getCount() == 0 && event.getType() == FrameworkEvent.PACKAGES_REFRESHED) {
                refreshed.countDown();
            }
        };
        system.addBundleListener(listener);
        system.addFrameworkListener(refresh);
        try {
            try {
                writeAtomically(pluginFile, bytes);
            } catch (IOException e) {
                return Optional.of("cannot write " + pluginFile + ": " + e);
            }
            if (!await(updated, FILEINSTALL_TIMEOUT_MILLIS, pause)) {
                return Optional.of("bundle " + bundle.getSymbolicName() + " was not updated from " + pluginFile
                        + " within " + FILEINSTALL_TIMEOUT_MILLIS / 1000 + " s (is Felix FileInstall running?)");
            }
            if (!await(refreshed, REFRESH_WAIT_MILLIS, pause)) {
                LOG.info("no refresh followed the update of {}; checking it as it is", bundle.getSymbolicName());
            }
        } finally {
            system.removeFrameworkListener(refresh);
            system.removeBundleListener(listener);
        }
        awaitStarted(bundle, startFailures, pause);
        return Optional.empty();
    }

    /**
     * Until the bundle is active, its start fails, or it cannot resolve (bounded): FileInstall starts it after its
     * refresh, and may still be refreshing or starting it now; starting it here too (a no-op when it runs) is what
     * names an activator's failure in the gate's verdict.
     */
    private void awaitStarted(Bundle bundle, Map<String, String> startFailures, Pause pause) {
        FrameworkWiring wiring = system.getBundle().adapt(FrameworkWiring.class);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REFRESH_WAIT_MILLIS);
        while (System.nanoTime() < deadline) {
            int state = bundle.getState();
            if (state == Bundle.ACTIVE || state == Bundle.UNINSTALLED) {
                return;
            }
            if (state == Bundle.INSTALLED && !wiring.resolveBundles(List.of(bundle))) {
                return; // cannot resolve: the gate names the missing requirement
            }
            if (bundle.getState() == Bundle.RESOLVED) {
                try {
                    bundle.start();
                } catch (BundleException | RuntimeException e) {
                    if (bundle.getState() == Bundle.RESOLVED) { // not a start raced by FileInstall's own
                        String message = e.getMessage();
                        if (e.getCause() != null && e.getCause() != e) {
                            message += " (" + e.getCause() + ")";
                        }
                        startFailures.put(bundle.getSymbolicName(), message);
                        return;
                    }
                }
            }
            pause.millis(20);
        }
    }

    /** Waits for a latch; an interrupt is remembered, not obeyed (the file has changed). */
    private static boolean await(CountDownLatch latch, long millis, Pause pause) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (true) {
            try {
                return latch.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                pause.interrupted();
            }
        }
    }

    /** Through a temp file in the folder's parent (outside the watched folder, same file system), forced, renamed. */
    private static void writeAtomically(Path target, byte[] bytes) throws IOException {
        AtomicFiles.write(target, bytes, target.toAbsolutePath().getParent().getParent(), null);
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
