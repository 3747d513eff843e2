package io.printmaster.agent.hotswap.impl;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.wiring.FrameworkWiring;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Stopping, starting and refreshing sets of bundles the way the launcher orders them. */
final class BundleOps {
    private static final Logger LOG = LoggerFactory.getLogger(BundleOps.class);
    /** A refresh that has not finished after this long is treated as failed. */
    private static final long REFRESH_TIMEOUT_MILLIS = 60_000;

    private BundleOps() {
    }

    static void stopInReverseOrder(Collection<Bundle> bundles) {
        List<Bundle> order = new ArrayList<>(bundles);
        order.sort(Comparator.comparingInt(BundleOps::startOrder).reversed());
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
    static void startInOrder(Map<String, Bundle> bundles, Map<String, String> failures) {
        List<Bundle> order = new ArrayList<>(bundles.values());
        order.sort(Comparator.comparingInt(BundleOps::startOrder));
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
    static void refresh(BundleContext system, Collection<Bundle> bundles, Pause pause)
            throws SwapStep.SwapStepException {
        if (bundles.isEmpty()) {
            return; // only installs: nothing to rewire
        }
        CountDownLatch done = new CountDownLatch(1);
        FrameworkListener listener = event -> {
            if (event.getType() == FrameworkEvent.PACKAGES_REFRESHED || event.getType() == FrameworkEvent.ERROR) {
                done.countDown();
            }
        };
        system.getBundle().adapt(FrameworkWiring.class).refreshBundles(List.copyOf(bundles), listener);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REFRESH_TIMEOUT_MILLIS);
        while (true) {
            try {
                if (done.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    return;
                }
                throw new SwapStep.SwapStepException("the framework did not finish refreshing within "
                        + REFRESH_TIMEOUT_MILLIS / 1000 + " s");
            } catch (InterruptedException e) {
                pause.interrupted();
            }
        }
    }

    /**
     * The launcher's start order (FelixLauncher.startOrder, which bundles cannot import; keep the two alike): the Log
     * Service, Configuration Admin, then Declarative Services and the OSGi APIs, everything else, FileInstall last.
     */
    static int startOrder(Bundle b) {
        String name = String.valueOf(b.getSymbolicName());
        if (name.equals("org.apache.felix.log")) {
            return -1;
        }
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

    static boolean isFragment(Bundle b) {
        return b.getHeaders("").get(Constants.FRAGMENT_HOST) != null;
    }
}
