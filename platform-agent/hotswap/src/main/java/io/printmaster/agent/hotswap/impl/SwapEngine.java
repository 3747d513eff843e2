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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The swap itself: compare ({@link SwapDiff}), run the steps (stop, uninstall, update, install, refresh, start), gate;
 * on failure the completed steps undone in reverse ({@link SwapSteps}), then the previous set's gate.
 *
 * <p>Runs entirely on the system bundle's context and on classes loaded before the first bundle changes (see
 * {@link HotSwapComponent}): the engine's own bundle, or the caller's, may be replaced while this runs, which
 * invalidates their bundle contexts and, after the refresh, their class loaders for classes not loaded yet.
 */
final class SwapEngine {
    private static final Logger LOG = LoggerFactory.getLogger(SwapEngine.class);

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
        InstalledBundles recorded;
        try {
            recorded = InstalledBundles.read(installedFile, frameworkUuid).orElseThrow(() -> new IllegalStateException(
                    "no record of the installed bundles of this framework in " + installedFile));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + installedFile + ": " + e.getMessage(), e);
        }
        SwapDiff d = SwapDiff.of(system, recorded, plan);
        List<String> touched = d.touched();
        if (touched.isEmpty()) {
            LOG.info("hot swap {} → {}: every bundle is already the release's", plan.fromVersion(), plan.toVersion());
            record(d.after());
            return new SwapOutcome(Result.SWAPPED, null, List.of(), millisSince(started), 0);
        }

        // All bytes in memory before anything changes: the new ones checked against the plan, the old ones against the
        // record (they are the rollback).
        Map<String, byte[]> newBytes = new HashMap<>();
        for (String name : concat(d.changed(), d.added())) {
            PlannedBundle p = d.target().get(name);
            newBytes.put(name, readChecked(p.jar(), p.sha256(), name, "the plan's jar"));
        }
        Map<String, byte[]> oldBytes = new HashMap<>();
        for (String name : concat(d.changed(), d.removed())) {
            InstalledBundles.Entry e = d.before().bundles().get(name);
            oldBytes.put(name, readChecked(e.jar(), e.sha256(), name, "the running bundle's backup"));
        }
        Map<String, String> componentsBefore = gate.satisfiedComponents();
        // a check already failing does not fail the rollback: the old set is no worse than before
        Set<String> healthChecksFailingBefore = gate.failingHealthChecks(
                Math.min(plan.healthTimeout().toMillis(), 10_000));
        componentsBefore.values().removeIf(d.removed()::contains);

        LOG.info("hot swap {} → {}: changing {} (updated {}, installed {}, uninstalled {})", plan.fromVersion(),
                plan.toVersion(), touched, d.changed(), d.added(), d.removed());
        Pause pause = new Pause();
        Swap swap = new Swap(d, newBytes, oldBytes, pause);
        List<SwapStep> steps = swap.steps(); // built before anything changes: every lambda is linked now
        journal(plan, "swapping", d, null);
        crashPoints.reached(CrashPoints.SWAPPING);
        long downStart = System.nanoTime();

        Optional<String> failing = swap.done.apply(steps);
        long deadline = System.nanoTime() + plan.healthTimeout().toNanos();
        long downEnd = 0; // when every bundle of the plan was active again; 0: never
        if (failing.isEmpty()) {
            Map<String, Bundle> planBundles = new TreeMap<>(swap.current);
            planBundles.keySet().retainAll(d.target().keySet());
            HealthGate.Verdict verdict = gate.check(planBundles, swap.startFailures, componentsBefore, Set.of(),
                    deadline, true, pause);
            failing = verdict.failingCheck();
            downEnd = verdict.bundlesActiveAtNanos();
        }
        if (failing.isEmpty()) {
            record(d.after());
            journal(plan, "done", d, "swapped");
            SwapOutcome outcome = new SwapOutcome(Result.SWAPPED, null, touched, millisSince(started),
                    TimeUnit.NANOSECONDS.toMillis(downEnd - downStart));
            LOG.info("hot swap {} → {}: swapped {} in {} ms (bundles down {} ms)", plan.fromVersion(), plan.toVersion(),
                    touched, outcome.swapMillis(), outcome.downtimeMillis());
            restoreInterrupt(pause);
            return outcome;
        }

        swap.startedNanos = started;
        swap.downStartNanos = downStart;
        swap.downEndNanos = downEnd;
        SwapOutcome outcome = rollBack(plan, swap, failing.get(), componentsBefore, healthChecksFailingBefore);
        restoreInterrupt(pause);
        return outcome;
    }

    /** The completed steps undone, last first, and the previous set's gate. */
    private SwapOutcome rollBack(SwapPlan plan, Swap swap, String failing, Map<String, String> componentsBefore,
            Set<String> healthChecksFailingBefore) {
        long started = swap.startedNanos;
        long downStart = swap.downStartNanos;
        long downEnd = swap.downEndNanos;
        SwapDiff d = swap.diff;
        List<String> touched = d.touched();
        LOG.warn("hot swap {} → {} failed the health gate ({}): rolling back {}", plan.fromVersion(), plan.toVersion(),
                failing, swap.done.completedNames());
        journal(plan, "rolling_back", d, null);
        crashPoints.reached(CrashPoints.ROLLING_BACK);
        long rollbackDownStart = System.nanoTime();
        long rollbackDownEnd = 0;
        Optional<String> rollbackFailure;
        List<String> undoFailures = swap.done.undo();
        if (undoFailures.isEmpty()) {
            HealthGate.Verdict verdict = gate.check(swap.previousSet(), swap.rollbackStartFailures, componentsBefore,
                    healthChecksFailingBefore, System.nanoTime() + plan.healthTimeout().toNanos(), false, swap.pause);
            rollbackFailure = verdict.failingCheck();
            rollbackDownEnd = verdict.bundlesActiveAtNanos();
        } else {
            rollbackFailure = Optional.of("rollback step failed: " + String.join("; ", undoFailures));
        }
        record(d.before());
        // down while the new set started (when it got as far as all active), then while the old one came back
        long downNanos = downEnd != 0 ? (downEnd - downStart) + (rollbackDownEnd != 0
                ? rollbackDownEnd - rollbackDownStart : System.nanoTime() - rollbackDownStart)
                : (rollbackDownEnd != 0 ? rollbackDownEnd : System.nanoTime()) - downStart;
        long downtime = TimeUnit.NANOSECONDS.toMillis(downNanos);
        SwapOutcome outcome;
        if (rollbackFailure.isEmpty()) {
            journal(plan, "done", d, "rolled_back");
            outcome = new SwapOutcome(Result.ROLLED_BACK, failing, touched, millisSince(started), downtime);
            LOG.warn("hot swap {} → {}: rolled back in {} ms: {}", plan.fromVersion(), plan.toVersion(),
                    outcome.swapMillis(), failing);
        } else {
            journal(plan, "rolling_back", d, "rollback_failed");
            outcome = new SwapOutcome(Result.ROLLBACK_FAILED, failing + "; rollback: " + rollbackFailure.get(),
                    touched, millisSince(started), downtime);
            LOG.error("hot swap {} → {}: ROLLBACK FAILED: {}", plan.fromVersion(), plan.toVersion(),
                    outcome.failingCheck());
        }
        return outcome;
    }

    /**
     * One swap's bundles and its steps. Each step does one thing and knows how to put it back; the rollback is
     * {@link SwapSteps#undo} of the ones that completed. The first step's undo brings the previous set up again
     * (refresh what the other undos changed, start in the launcher's order), so it runs last.
     */
    private final class Swap {
        final SwapDiff diff;
        final Map<String, byte[]> newBytes;
        final Map<String, byte[]> oldBytes;
        final Pause pause;
        final SwapSteps done = new SwapSteps();
        /** The bundles that run (or ran) under each symbolic name as the steps go. */
        final Map<String, Bundle> current;
        final Map<String, String> startFailures = new TreeMap<>();
        final Map<String, String> rollbackStartFailures = new TreeMap<>();
        /** What the undos changed, to refresh before the previous set starts again. */
        final Set<Bundle> undone = new LinkedHashSet<>();
        // System.nanoTime() when the swap started, when its bundles went down, when the new set was all active (0: never)
        long startedNanos;
        long downStartNanos;
        long downEndNanos;

        Swap(SwapDiff diff, Map<String, byte[]> newBytes, Map<String, byte[]> oldBytes, Pause pause) {
            this.diff = diff;
            this.newBytes = newBytes;
            this.oldBytes = oldBytes;
            this.pause = pause;
            this.current = new TreeMap<>(diff.running());
        }

        List<SwapStep> steps() {
            List<SwapStep> steps = new ArrayList<>();
            steps.add(new SwapStep("stop the bundles it updates or uninstalls",
                    () -> BundleOps.stopInReverseOrder(bundles(concat(diff.changed(), diff.removed()))),
                    this::startPreviousSet));
            for (String name : diff.removed()) {
                // out of the running set only once the uninstall worked: a failed one stays in the set the rollback
                // starts again (and needs no undo, as the step did not complete)
                steps.add(new SwapStep("uninstall bundle " + name, () -> {
                    current.get(name).uninstall();
                    current.remove(name);
                },
                        () -> current.put(name, system.installBundle(diff.before().bundles().get(name).location(),
                                new ByteArrayInputStream(oldBytes.get(name))))));
            }
            for (String name : diff.changed()) {
                steps.add(new SwapStep("update bundle " + name, () -> {
                    try {
                        current.get(name).update(new ByteArrayInputStream(newBytes.get(name)));
                    } catch (BundleException e) {
                        throw new SwapStep.SwapStepException("bundle " + name + " could not be updated: "
                                + e.getMessage());
                    }
                }, () -> {
                    Bundle b = current.get(name);
                    b.update(new ByteArrayInputStream(oldBytes.get(name)));
                    undone.add(b);
                }));
            }
            for (String name : diff.added()) {
                steps.add(new SwapStep("install bundle " + name, () -> {
                    try {
                        current.put(name, system.installBundle(diff.target().get(name).jar().toUri().toString(),
                                new ByteArrayInputStream(newBytes.get(name))));
                    } catch (BundleException e) {
                        throw new SwapStep.SwapStepException("bundle " + name + " could not be installed: "
                                + e.getMessage());
                    }
                }, () -> {
                    Bundle b = current.remove(name);
                    if (b != null && b.getState() != Bundle.UNINSTALLED) {
                        b.uninstall();
                        undone.add(b);
                    }
                }));
            }
            // refreshed again by the first step's undo, after the other undos
            steps.add(SwapStep.once("refresh", () -> BundleOps.refresh(system,
                    concat(diff.changed(), diff.removed()).stream().map(diff.running()::get).toList(), pause)));
            steps.add(SwapStep.once("crash point " + CrashPoints.CHANGED,
                    () -> crashPoints.reached(CrashPoints.CHANGED)));
            steps.add(new SwapStep("start the new set", () -> BundleOps.startInOrder(current, startFailures),
                    () -> BundleOps.stopInReverseOrder(bundles(concat(diff.changed(), diff.added())))));
            return steps;
        }

        /** The running bundles of {@code names} (those still installed). */
        private List<Bundle> bundles(List<String> names) {
            List<Bundle> found = new ArrayList<>();
            for (String name : names) {
                Bundle b = current.get(name);
                if (b != null && b.getState() != Bundle.UNINSTALLED) {
                    found.add(b);
                }
            }
            return found;
        }

        /** The previous set as it runs after the undos. */
        Map<String, Bundle> previousSet() {
            Map<String, Bundle> restored = new TreeMap<>(current);
            restored.keySet().retainAll(diff.before().bundles().keySet());
            return restored;
        }

        private void startPreviousSet() throws SwapStep.SwapStepException {
            BundleOps.refresh(system, undone, pause);
            BundleOps.startInOrder(previousSet(), rollbackStartFailures);
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

    private void journal(SwapPlan plan, String phase, SwapDiff d, String result) {
        InstalledBundles from = d.before();
        InstalledBundles to = d.after();
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
}
