package io.printmaster.agent.worker.impl;

import io.printmaster.agent.enrollment.api.CheckIn;
import io.printmaster.agent.enrollment.api.Enrollment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleListener;
import org.osgi.framework.Constants;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * The health check of a freshly started version: every bundle is active (fragments resolved) and the server
 * answers a check-in made with this agent's credential. Waits for both up to the timeout, woken by bundle events
 * rather than polling, since bundles are still starting when the worker begins. A program bundle that cannot resolve
 * fails the check at once: the launcher installs every program bundle before it starts any, so nothing that could
 * satisfy it is still to come (a slow start is waited for; a missing requirement is not).
 */
final class BundleHealthProbe implements ProcessControl.HealthProbe {
    private final BundleContext context;
    private final Enrollment enrollment;
    private final Duration timeout;
    private final String programBundles;

    BundleHealthProbe(BundleContext context, Enrollment enrollment, Duration timeout, Path programDir) {
        this.context = context;
        this.enrollment = enrollment;
        this.timeout = timeout;
        this.programBundles = programDir.resolve("bundle").toUri().toString();
    }

    @Override
    public Optional<String> failingCheck() throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Object changed = new Object();
        BundleListener listener = e -> {
            synchronized (changed) {
                changed.notifyAll();
            }
        };
        context.addBundleListener(listener);
        try {
            Optional<Inactive> inactive;
            synchronized (changed) {
                while ((inactive = inactiveBundle()).isPresent()) {
                    long left = deadline - System.nanoTime();
                    if (inactive.get().unresolvable()) {
                        return Optional.of(inactive.get().problem());
                    }
                    if (left <= 0) {
                        return Optional.of(inactive.get().problem() + " after " + timeout.toSeconds() + " s");
                    }
                    // bounded: a bundle event can fire between the check and the wait
                    changed.wait(Math.max(1, Math.min(1000, left / 1_000_000)));
                }
            }
        } finally {
            context.removeBundleListener(listener);
        }
        long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
        Optional<CheckIn> c = enrollment.checkInNow(Duration.ofMillis(Math.max(left, 10_000)));
        if (c.isEmpty()) {
            return Optional.of("no check-in with the server finished (" + enrollment.state().message() + ")");
        }
        if (!c.get().succeeded()) {
            return Optional.of("the server check-in failed: " + c.get().problem().orElse("HTTP " + c.get().status()));
        }
        return Optional.empty();
    }

    /**
     * The first bundle not in its wanted state, and whether waiting can help: a program bundle that cannot resolve
     * now never will (see the class comment).
     */
    private record Inactive(String problem, boolean unresolvable) {
    }

    private Optional<Inactive> inactiveBundle() {
        for (Bundle b : context.getBundles()) {
            boolean fragment = b.getHeaders().get(Constants.FRAGMENT_HOST) != null;
            int wanted = fragment ? Bundle.RESOLVED : Bundle.ACTIVE;
            if (b.getState() != wanted) {
                boolean unresolvable = b.getState() == Bundle.INSTALLED && b.getLocation().startsWith(programBundles)
                        && !context.getBundle(0).adapt(FrameworkWiring.class).resolveBundles(List.of(b));
                return Optional.of(new Inactive("bundle " + b.getSymbolicName() + " " + b.getVersion()
                        + " is " + name(b.getState())
                        + (b.getState() == Bundle.INSTALLED ? " (its dependencies cannot be resolved)" : "")
                        + ", not " + name(wanted), unresolvable));
            }
        }
        return Optional.empty();
    }

    private static String name(int state) {
        return switch (state) {
            case Bundle.INSTALLED -> "installed";
            case Bundle.RESOLVED -> "resolved";
            case Bundle.STARTING -> "starting";
            case Bundle.STOPPING -> "stopping";
            case Bundle.ACTIVE -> "active";
            default -> "uninstalled";
        };
    }
}
