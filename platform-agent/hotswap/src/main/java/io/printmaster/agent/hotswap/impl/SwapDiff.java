package io.printmaster.agent.hotswap.impl;

import io.printmaster.agent.hotswap.api.PlannedBundle;
import io.printmaster.agent.hotswap.api.SwapPlan;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * What a plan changes against what runs: bundles updated, installed and uninstalled, and the records of the set
 * before and after.
 *
 * @param running the program's bundles that run now, by symbolic name (a record whose bundle is gone is left out)
 * @param target the plan's bundles by symbolic name
 * @param changed running bundles whose bytes the plan replaces
 * @param added plan bundles that do not run
 * @param removed running bundles the plan drops
 * @param before the record of the running set
 * @param after the record once the plan runs
 */
record SwapDiff(Map<String, Bundle> running, Map<String, PlannedBundle> target, List<String> changed,
                List<String> added, List<String> removed, InstalledBundles before, InstalledBundles after) {

    static SwapDiff of(BundleContext system, InstalledBundles recorded, SwapPlan plan) {
        Map<String, Bundle> running = new TreeMap<>();
        Map<String, InstalledBundles.Entry> old = new TreeMap<>();
        recorded.bundles().forEach((name, entry) -> {
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
                refuseIfPlugin(system, p.symbolicName());
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
        String uuid = recorded.frameworkUuid();
        return new SwapDiff(running, target, List.copyOf(changed), List.copyOf(added), List.copyOf(removed),
                new InstalledBundles(uuid, recorded.release(), old),
                new InstalledBundles(uuid, plan.toVersion(), afterEntries));
    }

    /** Every bundle the swap changes, sorted. */
    List<String> touched() {
        TreeSet<String> all = new TreeSet<>(changed);
        all.addAll(added);
        all.addAll(removed);
        return List.copyOf(all);
    }

    /** A plan bundle that is installed, but not from the program's bundle/ folder (a plugin), is never swapped. */
    private static void refuseIfPlugin(BundleContext system, String name) {
        for (Bundle b : system.getBundles()) {
            if (name.equals(b.getSymbolicName()) && b.getBundleId() != 0) {
                throw new IllegalStateException("bundle " + name + " is installed from " + b.getLocation()
                        + ", not from the program's bundle/ folder: it is never swapped");
            }
        }
    }
}
