package io.printmaster.agent.hotswap.impl;

import io.printmaster.agent.files.Digests;
import io.printmaster.agent.hotswap.api.PlannedBundle;
import io.printmaster.agent.hotswap.api.SwapOutcome;
import io.printmaster.agent.hotswap.api.SwapOutcome.Result;
import io.printmaster.agent.hotswap.api.SwapPlan;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.wiring.FrameworkWiring;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The swap itself: compare, change, refresh, start, gate; on failure the same in reverse with the previous bytes.
 *
 * <p>Runs entirely on the system bundle's context and on classes loaded before the first bundle changes (see
 * {@link HotSwapComponent}): the engine's own bundle, or the caller's, may be replaced while this runs, which
 * invalidates their bundle contexts and, after the refresh, their class loaders for classes not loaded yet.
 */
final class SwapEngine {
    private static final Logger LOG = LoggerFactory.getLogger(SwapEngine.class);
    /** A refresh that has not finished after this long is treated as failed. */
    private static final long REFRESH_TIMEOUT_MILLIS = 60_000;

    private final BundleContext system;
    private final Path installedFile;
    private final Path journalFile;
    private final String frameworkUuid;
    private final HealthGate gate;
    private final ReentrantLock lock;
    private final CrashPoints crashPoints;

    SwapEngine(BundleContext system, Path updateDir, String frameworkUuid, HealthGate gate, ReentrantLock lock,
            CrashPoints crashPoints) {
        this.system = system;
        this.installedFile = updateDir.resolve("installed-bundles.json");
        this.journalFile = updateDir.resolve("hotswap.json");
        this.frameworkUuid = frameworkUuid;
        this.gate = gate;
        this.lock = lock;
        this.crashPoints = crashPoints;
    }

    SwapOutcome swap(SwapPlan plan) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            return swapLocked(plan);
        } finally {
            lock.unlock();
        }
    }

    private SwapOutcome swapLocked(SwapPlan plan) throws InterruptedException {
        long started = System.nanoTime();
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        InstalledBundles before;
        try {
            before = InstalledBundles.read(installedFile, frameworkUuid).orElseThrow(() -> new IllegalStateException(
                    "no record of the installed bundles of this framework in " + installedFile));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + installedFile + ": " + e.getMessage(), e);
        }

        // What runs, by symbolic name (only the program's bundles; a record whose bundle is gone is left out).
        Map<String, Bundle> running = new TreeMap<>();
        Map<String, InstalledBundles.Entry> old = new TreeMap<>();
        before.bundles().forEach((name, entry) -> {
            Bundle b = system.getBundle(entry.location());
            if (b != null && b.getState() != Bundle.UNINSTALLED) {
                running.put(name, b);
                old.put(name, entry);
            }
        });
        Map<String, PlannedBundle> target = new TreeMap<>();
        plan.target().forEach(p -> target.put(p.symbolicName(), p));

        List<String> changed = new ArrayList<>();
        List<String> added = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        for (PlannedBundle p : target.values()) {
            InstalledBundles.Entry e = old.get(p.symbolicName());
            if (e == null) {
                refuseIfPlugin(p.symbolicName());
                added.add(p.symbolicName());
            } else if (!e.sha256().equals(p.sha256())) {
                changed.add(p.symbolicName());
            }
        }
        for (String name : old.keySet()) {
            if (!target.containsKey(name)) {
                removed.add(name);
            }
        }
        List<String> touched = new ArrayList<>(new TreeSet<>(concat(changed, added, removed)));

        // The record after the swap. Unchanged bundles keep their bytes and location, but their backup becomes the
        // release's copy (the new version slot), so the slot of the old release can go without losing the rollback
        // source of the next swap.
        Map<String, InstalledBundles.Entry> afterEntries = new TreeMap<>(old);
        removed.forEach(afterEntries::remove);
        for (PlannedBundle p : target.values()) {
            InstalledBundles.Entry e = old.get(p.symbolicName());
            if (e != null && e.sha256().equals(p.sha256())) {
                if (Files.isRegularFile(p.jar())) {
                    afterEntries.put(p.symbolicName(), new InstalledBundles.Entry(e.sha256(), e.location(), p.jar()));
                }
            } else {
                String location = e != null ? e.location() : p.jar().toUri().toString();
                afterEntries.put(p.symbolicName(), new InstalledBundles.Entry(p.sha256(), location, p.jar()));
            }
        }
        InstalledBundles after = new InstalledBundles(frameworkUuid, plan.toVersion(), afterEntries);
        InstalledBundles oldSet = new InstalledBundles(frameworkUuid, before.release(), old);

        if (touched.isEmpty()) {
            LOG.info("hot swap {} → {}: every bundle is already the release's", plan.fromVersion(), plan.toVersion());
            record(after);
            return new SwapOutcome(Result.SWAPPED, null, List.of(), millisSince(started), 0);
        }

        // All bytes in memory before anything changes: the new ones checked against the plan, the old ones against the
        // record (they are the rollback).
        Map<String, byte[]> newBytes = new HashMap<>();
        for (String name : concat(changed, added)) {
            PlannedBundle p = target.get(name);
            newBytes.put(name, readChecked(p.jar(), p.sha256(), name, "the plan's jar"));
        }
        Map<String, byte[]> oldBytes = new HashMap<>();
        for (String name : concat(changed, removed)) {
            InstalledBundles.Entry e = old.get(name);
            oldBytes.put(name, readChecked(e.jar(), e.sha256(), name, "the running bundle's backup"));
        }
        Map<String, String> componentsBefore = gate.satisfiedComponents();
        // a check already failing does not fail the rollback: the old set is no worse than before
        java.util.Set<String> healthChecksFailingBefore = gate.failingHealthChecks(
                Math.min(plan.healthTimeout().toMillis(), 10_000));
        componentsBefore.values().removeIf(removed::contains);

        LOG.info("hot swap {} → {}: changing {} (updated {}, installed {}, uninstalled {})", plan.fromVersion(),
                plan.toVersion(), touched, changed, added, removed);
        Pause pause = new Pause();
        journal(plan, "swapping", oldSet, after, null);
        crashPoints.reached(CrashPoints.SWAPPING);
        long downStart = System.nanoTime();

        // Forward.
        Map<String, Bundle> current = new TreeMap<>(running);
        Map<String, String> startFailures = new TreeMap<>();
        Optional<String> failing = Optional.empty();
        try {
            stopInReverseOrder(concat(changed, removed).stream().map(current::get).toList());
            for (String name : removed) {
                current.remove(name).uninstall();
            }
            for (String name : changed) {
                try {
                    current.get(name).update(new ByteArrayInputStream(newBytes.get(name)));
                } catch (BundleException e) {
                    throw new SwapStepException("bundle " + name + " could not be updated: " + e.getMessage());
                }
            }
            for (String name : added) {
                try {
                    current.put(name, system.installBundle(target.get(name).jar().toUri().toString(),
                            new ByteArrayInputStream(newBytes.get(name))));
                } catch (BundleException e) {
                    throw new SwapStepException("bundle " + name + " could not be installed: " + e.getMessage());
                }
            }
            refresh(concat(changed, removed).stream().map(running::get).toList(), pause);
            crashPoints.reached(CrashPoints.CHANGED);
            startInOrder(current, startFailures);
        } catch (SwapStepException | BundleException | RuntimeException e) {
            failing = Optional.of(e instanceof SwapStepException ? e.getMessage() : "swap step failed: " + e);
            LOG.warn("hot swap {} → {}: {}", plan.fromVersion(), plan.toVersion(), failing.get(), e);
        }
        long deadline = System.nanoTime() + plan.healthTimeout().toNanos();
        long downEnd = 0; // when every bundle of the plan was active again; 0: never
        if (failing.isEmpty()) {
            Map<String, Bundle> planBundles = new TreeMap<>(current);
            planBundles.keySet().retainAll(target.keySet());
            HealthGate.Verdict verdict = gate.check(planBundles, startFailures, componentsBefore, java.util.Set.of(),
                    deadline, true, pause);
            failing = verdict.failingCheck();
            downEnd = verdict.bundlesActiveAtNanos();
        }
        if (failing.isEmpty()) {
            record(after);
            journal(plan, "done", oldSet, after, "swapped");
            SwapOutcome outcome = new SwapOutcome(Result.SWAPPED, null, touched, millisSince(started),
                    TimeUnit.NANOSECONDS.toMillis(downEnd - downStart));
            LOG.info("hot swap {} → {}: swapped {} in {} ms (bundles down {} ms)", plan.fromVersion(), plan.toVersion(),
                    touched, outcome.swapMillis(), outcome.downtimeMillis());
            restoreInterrupt(pause);
            return outcome;
        }

        // Rollback: the previous bytes back, in reverse.
        LOG.warn("hot swap {} → {} failed the health gate ({}): rolling back", plan.fromVersion(), plan.toVersion(),
                failing.get());
        journal(plan, "rolling_back", oldSet, after, null);
        crashPoints.reached(CrashPoints.ROLLING_BACK);
        long rollbackDownStart = System.nanoTime();
        Optional<String> rollbackFailure = Optional.empty();
        Map<String, String> rollbackStartFailures = new TreeMap<>();
        Map<String, Bundle> restored = new TreeMap<>();
        long rollbackDownEnd = 0;
        try {
            List<Bundle> toStop = new ArrayList<>();
            for (String name : concat(changed, added)) {
                Bundle b = current.get(name);
                if (b != null && b.getState() != Bundle.UNINSTALLED) {
                    toStop.add(b);
                }
            }
            stopInReverseOrder(toStop);
            List<Bundle> toRefresh = new ArrayList<>();
            for (String name : added) {
                Bundle b = current.remove(name);
                if (b != null && b.getState() != Bundle.UNINSTALLED) {
                    b.uninstall();
                    toRefresh.add(b);
                }
            }
            for (String name : changed) {
                Bundle b = current.get(name);
                b.update(new ByteArrayInputStream(oldBytes.get(name)));
                toRefresh.add(b);
            }
            for (String name : removed) {
                current.put(name, system.installBundle(old.get(name).location(),
                        new ByteArrayInputStream(oldBytes.get(name))));
            }
            refresh(toRefresh, pause);
            restored.putAll(current);
            restored.keySet().retainAll(old.keySet());
            startInOrder(restored, rollbackStartFailures);
            HealthGate.Verdict verdict = gate.check(restored, rollbackStartFailures, componentsBefore,
                    healthChecksFailingBefore, System.nanoTime() + plan.healthTimeout().toNanos(), false, pause);
            rollbackFailure = verdict.failingCheck();
            rollbackDownEnd = verdict.bundlesActiveAtNanos();
        } catch (SwapStepException | BundleException | RuntimeException e) {
            rollbackFailure = Optional.of("rollback step failed: " + e);
            LOG.error("hot swap {} → {}: rollback step failed", plan.fromVersion(), plan.toVersion(), e);
        }
        record(oldSet);
        // down while the new set started (when it got as far as all active), then while the old one came back
        long downNanos = downEnd != 0 ? (downEnd - downStart) + (rollbackDownEnd != 0
                ? rollbackDownEnd - rollbackDownStart : System.nanoTime() - rollbackDownStart)
                : (rollbackDownEnd != 0 ? rollbackDownEnd : System.nanoTime()) - downStart;
        long downtime = TimeUnit.NANOSECONDS.toMillis(downNanos);
        SwapOutcome outcome;
        if (rollbackFailure.isEmpty()) {
            journal(plan, "done", oldSet, after, "rolled_back");
            outcome = new SwapOutcome(Result.ROLLED_BACK, failing.get(), touched, millisSince(started), downtime);
            LOG.warn("hot swap {} → {}: rolled back in {} ms: {}", plan.fromVersion(), plan.toVersion(),
                    outcome.swapMillis(), failing.get());
        } else {
            journal(plan, "rolling_back", oldSet, after, "rollback_failed");
            outcome = new SwapOutcome(Result.ROLLBACK_FAILED, failing.get() + "; rollback: " + rollbackFailure.get(),
                    touched, millisSince(started), downtime);
            LOG.error("hot swap {} → {}: ROLLBACK FAILED: {}", plan.fromVersion(), plan.toVersion(),
                    outcome.failingCheck());
        }
        restoreInterrupt(pause);
        return outcome;
    }

    /** A plan bundle that is installed, but not from the program's bundle/ folder (a plugin), is never swapped. */
    private void refuseIfPlugin(String name) {
        for (Bundle b : system.getBundles()) {
            if (name.equals(b.getSymbolicName()) && b.getBundleId() != 0) {
                throw new IllegalStateException("bundle " + name + " is installed from " + b.getLocation()
                        + ", not from the program's bundle/ folder: it is never swapped");
            }
        }
    }

    private static byte[] readChecked(Path jar, String sha256, String name, String what) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(jar);
        } catch (IOException e) {
            throw new IllegalStateException(what + " of " + name + " cannot be read (" + jar + "): " + e, e);
        }
        String actual = Digests.sha256Hex(bytes);
        if (!actual.equals(sha256)) {
            throw new IllegalStateException(what + " of " + name + " (" + jar + ") has SHA-256 " + actual + ", not "
                    + sha256);
        }
        try {
            Optional<String> bsn = InstalledBundles.symbolicName(bytes);
            if (!bsn.equals(Optional.of(name))) {
                throw new IllegalStateException(what + " of " + name + " (" + jar + ") holds bundle "
                        + bsn.orElse("(none)"));
            }
        } catch (IOException e) {
            throw new IllegalStateException(what + " of " + name + " (" + jar + ") is not a jar: " + e, e);
        }
        return bytes;
    }

    private static void stopInReverseOrder(List<Bundle> bundles) {
        List<Bundle> order = new ArrayList<>(bundles);
        order.sort(Comparator.comparingInt(SwapEngine::startOrder).reversed());
        for (Bundle b : order) {
            try {
                if (b.getState() != Bundle.UNINSTALLED) {
                    b.stop();
                }
            } catch (BundleException e) {
                LOG.warn("bundle {} did not stop cleanly: {}", b.getSymbolicName(), e.getMessage());
            }
        }
    }

    /** Starts every non-fragment bundle that is not active, in the launcher's order; failures are noted, not thrown. */
    private static void startInOrder(Map<String, Bundle> bundles, Map<String, String> failures) {
        List<Bundle> order = new ArrayList<>(bundles.values());
        order.sort(Comparator.comparingInt(SwapEngine::startOrder));
        for (Bundle b : order) {
            if (isFragment(b) || b.getState() == Bundle.ACTIVE || b.getState() == Bundle.UNINSTALLED) {
                continue;
            }
            try {
                b.start();
            } catch (BundleException | RuntimeException e) {
                String message = e.getMessage();
                if (e.getCause() != null && e.getCause() != e) {
                    message += " (" + e.getCause() + ")";
                }
                failures.put(b.getSymbolicName(), message);
            }
        }
    }

    /** Refreshes and waits for {@code PACKAGES_REFRESHED}: the old revisions are gone and dependents rewired. */
    private void refresh(List<Bundle> bundles, Pause pause) throws SwapStepException {
        if (bundles.isEmpty()) {
            return; // only installs: nothing to rewire
        }
        CountDownLatch done = new CountDownLatch(1);
        FrameworkListener listener = event -> {
            if (event.getType() == FrameworkEvent.PACKAGES_REFRESHED || event.getType() == FrameworkEvent.ERROR) {
                done.countDown();
            }
        };
        system.getBundle().adapt(FrameworkWiring.class).refreshBundles(bundles, listener);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REFRESH_TIMEOUT_MILLIS);
        while (true) {
            try {
                if (done.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    return;
                }
                throw new SwapStepException("the framework did not finish refreshing within "
                        + REFRESH_TIMEOUT_MILLIS / 1000 + " s");
            } catch (InterruptedException e) {
                pause.interrupted();
            }
        }
    }

    private void record(InstalledBundles set) {
        try {
            set.write(installedFile);
        } catch (IOException e) {
            LOG.warn("cannot record the installed bundles in {}", installedFile, e);
        }
    }

    /** The release the running program bundles are, from the record of this framework; empty when there is none. */
    Optional<String> runningRelease() {
        try {
            return InstalledBundles.read(installedFile, frameworkUuid).map(InstalledBundles::release);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot read {}: {}", installedFile, e.toString());
            return Optional.empty();
        }
    }

    private void journal(SwapPlan plan, String phase, InstalledBundles from, InstalledBundles to, String result) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("from_version", plan.fromVersion());
        j.put("to_version", plan.toVersion());
        j.put("phase", phase);
        if (result != null) {
            j.put("result", result);
        }
        j.put("from", from.hashes());
        j.put("to", to.hashes());
        try {
            JsonText.writeAtomically(journalFile, j);
        } catch (IOException e) {
            LOG.warn("cannot write the hot-swap journal {}", journalFile, e);
        }
    }

    /**
     * The launcher's start order (FelixLauncher.startOrder, which bundles cannot import): Configuration Admin, then
     * Declarative Services and the OSGi APIs, everything else, FileInstall last.
     */
    static int startOrder(Bundle b) {
        String name = String.valueOf(b.getSymbolicName());
        if (name.equals("org.apache.felix.configadmin")) {
            return 0;
        }
        if (name.startsWith("org.osgi.") || name.equals("org.apache.felix.scr")) {
            return 1;
        }
        if (name.equals("org.apache.felix.fileinstall")) {
            return 9;
        }
        return 5;
    }

    private static boolean isFragment(Bundle b) {
        return b.getHeaders("").get(Constants.FRAGMENT_HOST) != null;
    }

    private static void restoreInterrupt(Pause pause) {
        if (pause.wasInterrupted()) {
            Thread.currentThread().interrupt();
        }
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }

    @SafeVarargs
    private static List<String> concat(List<String>... lists) {
        List<String> all = new ArrayList<>();
        for (List<String> l : lists) {
            all.addAll(l);
        }
        return all;
    }

    /** A step of the swap failed; the message is the failing check. */
    static final class SwapStepException extends Exception {
        private static final long serialVersionUID = 1L;

        SwapStepException(String message) {
            super(message);
        }
    }
}
