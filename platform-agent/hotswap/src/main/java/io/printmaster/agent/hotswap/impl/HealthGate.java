package io.printmaster.agent.hotswap.impl;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.component.runtime.dto.UnsatisfiedReferenceDTO;

/**
 * The checks a set of bundles must pass after a swap (or a rollback), in order, each within what is left of the
 * deadline: every bundle active (fragments resolved); every Declarative Services component satisfied before the swap
 * satisfied again; every Felix Health Check OK or WARN; the server answers a check-in (the Felix Health Checks tagged
 * {@code printmaster.server-reachable}, which the enrollment bundle registers; no reflection, no class names).
 *
 * <p>Everything is looked up through the system bundle's context, fresh at each use: the engine's own bundle and the
 * services it uses may just have been replaced.
 */
final class HealthGate {
    /** A check-in gets at least this long, even when the deadline is closer: the server may just be slow. */
    private static final long MIN_CHECK_IN_MILLIS = 5_000;

    private final BundleContext system;
    private final HealthChecks healthChecks;

    /**
     * What the gate found.
     *
     * @param bundlesActiveAtNanos {@code System.nanoTime()} when every bundle was active; 0 when they never were
     */
    record Verdict(Optional<String> failingCheck, long bundlesActiveAtNanos) {
    }

    HealthGate(BundleContext system, boolean healthChecksInstalled) {
        this.system = system;
        this.healthChecks = healthChecksInstalled ? new HealthChecks(system) : null;
    }

    /** The Felix Health Checks failing now (by name); empty without the HC API. */
    java.util.Set<String> failingHealthChecks(long timeoutMillis) {
        return healthChecks == null ? java.util.Set.of() : healthChecks.failingNames(timeoutMillis);
    }

    /** Components (name → bundle symbolic name) that are satisfied or active now. */
    Map<String, String> satisfiedComponents() {
        Map<String, String> satisfied = new TreeMap<>();
        ServiceReference<?> ref = best(system, ServiceComponentRuntime.class.getName());
        if (ref == null) {
            return satisfied;
        }
        ServiceComponentRuntime scr = scr(ref);
        try {
            if (scr == null) {
                return satisfied;
            }
            for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
                if (!scr.isComponentEnabled(d)) {
                    continue;
                }
                for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                    if (c.state == ComponentConfigurationDTO.ACTIVE || c.state == ComponentConfigurationDTO.SATISFIED) {
                        satisfied.put(d.name, d.bundle.symbolicName);
                    }
                }
            }
        } finally {
            system.ungetService(ref);
        }
        return satisfied;
    }

    /**
     * Runs the gate.
     *
     * @param bundles the set that must run, by symbolic name
     * @param startFailures why a bundle did not start (symbolic name → message), to name in the failing check
     * @param componentsBefore the components that must be satisfied again
     * @param ignoredHealthChecks health checks that do not count (after a rollback: those failing before the swap)
     * @param checkServer whether the server check-in is part of this gate (not after a rollback)
     */
    Verdict check(Map<String, Bundle> bundles, Map<String, String> startFailures, Map<String, String> componentsBefore,
            java.util.Set<String> ignoredHealthChecks, long deadlineNanos, boolean checkServer, Pause pause) {
        Optional<String> inactive;
        while ((inactive = inactiveBundle(bundles.values(), startFailures, deadlineNanos)).isPresent()) {
            if (System.nanoTime() >= deadlineNanos || inactive.get().startsWith("!")) {
                return new Verdict(Optional.of(inactive.get().replaceFirst("^!", "")), 0);
            }
            pause.millis(20);
        }
        long activeAt = System.nanoTime();

        Optional<String> component;
        while ((component = unsatisfiedComponent(componentsBefore)).isPresent()) {
            if (System.nanoTime() >= deadlineNanos) {
                return new Verdict(component, activeAt);
            }
            pause.millis(50);
        }

        if (healthChecks != null) {
            Optional<String> failing;
            while ((failing = healthChecks.firstFailing(HealthChecks.Kind.GENERAL,
                    Math.max(100, millisLeft(deadlineNanos)), ignoredHealthChecks)).isPresent()) {
                if (Thread.interrupted()) {
                    pause.interrupted();
                }
                if (System.nanoTime() >= deadlineNanos) {
                    return new Verdict(failing, activeAt);
                }
                pause.millis(Math.min(250, Math.max(1, millisLeft(deadlineNanos))));
            }
        }

        if (checkServer) {
            Optional<String> server = serverCheck(Math.max(MIN_CHECK_IN_MILLIS, millisLeft(deadlineNanos)), pause);
            if (server.isPresent()) {
                return new Verdict(server, activeAt);
            }
        }
        return new Verdict(Optional.empty(), activeAt);
    }

    private static long millisLeft(long deadlineNanos) {
        return TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
    }

    /**
     * The first bundle not where it must be. Prefixed with "!" when waiting cannot help: a bundle whose start failed or
     * that cannot resolve stays so.
     */
    private static Optional<String> inactiveBundle(Collection<Bundle> bundles, Map<String, String> startFailures,
            long deadlineNanos) {
        for (Bundle b : bundles) {
            boolean fragment = b.getHeaders("").get(Constants.FRAGMENT_HOST) != null;
            int state = b.getState();
            if (fragment ? (state & (Bundle.RESOLVED | Bundle.ACTIVE)) != 0 : state == Bundle.ACTIVE) {
                continue;
            }
            String name = b.getSymbolicName() + " " + b.getVersion();
            String why = startFailures.get(b.getSymbolicName());
            boolean final_ = state == Bundle.UNINSTALLED || why != null
                    || (!fragment && state == Bundle.RESOLVED) || state == Bundle.INSTALLED;
            return Optional.of((final_ ? "!" : "") + "bundle " + name + " is " + stateName(state) + ", not "
                    + (fragment ? "resolved" : "active") + (why != null ? ": " + why : ""));
        }
        return Optional.empty();
    }

    private Optional<String> unsatisfiedComponent(Map<String, String> before) {
        if (before.isEmpty()) {
            return Optional.empty();
        }
        ServiceReference<?> ref = best(system, ServiceComponentRuntime.class.getName());
        ServiceComponentRuntime scr = ref == null ? null : scr(ref);
        if (scr == null) {
            return Optional.of("component " + before.keySet().iterator().next()
                    + " is unsatisfied: Declarative Services (ServiceComponentRuntime) is not running");
        }
        try {
            Map<String, String> problems = new TreeMap<>();
            Map<String, Boolean> satisfied = new TreeMap<>();
            for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
                if (!before.containsKey(d.name) || !scr.isComponentEnabled(d)) {
                    continue;
                }
                for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                    if (c.state == ComponentConfigurationDTO.ACTIVE || c.state == ComponentConfigurationDTO.SATISFIED) {
                        satisfied.put(d.name, true);
                    } else {
                        problems.putIfAbsent(d.name, describe(c));
                    }
                }
            }
            for (String name : before.keySet()) {
                if (!satisfied.containsKey(name)) {
                    String why = problems.get(name);
                    return Optional.of("component " + name + " is " + (why != null ? why : "gone (no enabled "
                            + "component of that name in bundle " + before.get(name) + ")"));
                }
            }
            return Optional.empty();
        } finally {
            system.ungetService(ref);
        }
    }

    private static String describe(ComponentConfigurationDTO c) {
        return switch (c.state) {
            case ComponentConfigurationDTO.UNSATISFIED_REFERENCE -> {
                StringBuilder s = new StringBuilder("unsatisfied");
                if (c.unsatisfiedReferences != null && c.unsatisfiedReferences.length > 0) {
                    s.append(" (missing reference");
                    for (UnsatisfiedReferenceDTO r : c.unsatisfiedReferences) {
                        s.append(" '").append(r.name).append("'");
                    }
                    s.append(')');
                }
                yield s.toString();
            }
            case ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION -> "unsatisfied (its configuration is missing)";
            case ComponentConfigurationDTO.FAILED_ACTIVATION -> "unsatisfied (activation failed: " + c.failure + ")";
            default -> "unsatisfied (state " + c.state + ")";
        };
    }

    /**
     * The Felix Health Checks tagged {@link io.printmaster.agent.update.api.HealthCheckTags#SERVER_REACHABLE} (the
     * enrollment bundle registers one): run last, each failure reported as {@code server check-in failed: …}. None
     * registered fails the gate: without its check the agent cannot show it still reaches its server.
     */
    private Optional<String> serverCheck(long timeoutMillis, Pause pause) {
        if (healthChecks == null) {
            return Optional.of(HealthChecks.SERVER_FAILED + " the Felix Health Check API is not installed, so no "
                    + "server-reachable check can run");
        }
        if (healthChecks.count(HealthChecks.Kind.SERVER_REACHABLE) == 0) {
            return Optional.of(HealthChecks.SERVER_FAILED + " no server-reachable health check runs (the enrollment "
                    + "bundle is not active)");
        }
        Optional<String> failing = healthChecks.firstFailing(HealthChecks.Kind.SERVER_REACHABLE, timeoutMillis,
                java.util.Set.of());
        if (Thread.interrupted()) {
            pause.interrupted();
        }
        return failing;
    }

    private ServiceComponentRuntime scr(ServiceReference<?> ref) {
        Object service = system.getService(ref);
        return service instanceof ServiceComponentRuntime s ? s : null;
    }

    /**
     * The highest-ranked service of {@code className}, whatever class space it belongs to. The system bundle's
     * {@code getServiceReference} would apply the class-space check against the launcher's class path, which may
     * hold other copies of our APIs (it does in tests); the gate checks types itself.
     */
    static ServiceReference<?> best(BundleContext context, String className) {
        ServiceReference<?>[] refs;
        try {
            refs = context.getAllServiceReferences(className, null);
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        if (refs == null || refs.length == 0) {
            return null;
        }
        ServiceReference<?> best = refs[0];
        for (ServiceReference<?> r : refs) {
            if (r.compareTo(best) > 0) {
                best = r;
            }
        }
        return best;
    }

    static String stateName(int state) {
        return switch (state) {
            case Bundle.INSTALLED -> "installed (its dependencies cannot be resolved)";
            case Bundle.RESOLVED -> "resolved";
            case Bundle.STARTING -> "starting";
            case Bundle.STOPPING -> "stopping";
            case Bundle.ACTIVE -> "active";
            default -> "uninstalled";
        };
    }

    /** Unused reference kept for the preload list. */
    static final Class<?>[] USED_TYPES = {ServiceComponentRuntime.class, ComponentDescriptionDTO.class,
            ComponentConfigurationDTO.class, UnsatisfiedReferenceDTO.class};
}
