package io.printmaster.agent.hotswap.impl;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import io.printmaster.agent.update.api.HealthCheckTags;
import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.apache.felix.hc.api.ResultLog;
import org.apache.felix.hc.api.execution.HealthCheckExecutionOptions;
import org.apache.felix.hc.api.execution.HealthCheckExecutionResult;
import org.apache.felix.hc.api.execution.HealthCheckExecutor;
import org.apache.felix.hc.api.execution.HealthCheckSelector;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * Runs the registered Apache Felix Health Checks of one {@link Kind} once: through {@link HealthCheckExecutor} (healthcheck.core) when it
 * runs, which applies the checks' own timeouts and caching rules; otherwise by calling each {@link HealthCheck}
 * directly with a timeout. Only loaded when the Felix HC API is installed (the import is optional).
 */
final class HealthChecks {
    /** How the gate's server check failures begin, whatever the check or its timeout says. */
    static final String SERVER_FAILED = "server check-in failed:";

    private final BundleContext system;

    HealthChecks(BundleContext system) {
        this.system = system;
    }

    /** Which checks a run takes: by the tag {@link HealthCheckTags#SERVER_REACHABLE}, or all the others. */
    enum Kind {
        /** Every check but the server's. */
        GENERAL,
        /** The checks tagged {@link HealthCheckTags#SERVER_REACHABLE}. */
        SERVER_REACHABLE;

        boolean takes(ServiceReference<?> ref) {
            return serverTagged(ref.getProperty(HealthCheck.TAGS)) == (this == SERVER_REACHABLE);
        }

        /** Whether an {@code hc.tags} value (a string, an array or a collection of them) names the server tag. */
        static boolean serverTagged(Object tags) {
            if (tags instanceof String s) {
                return s.strip().equals(HealthCheckTags.SERVER_REACHABLE);
            }
            if (tags instanceof String[] all) {
                for (String t : all) {
                    if (t != null && t.strip().equals(HealthCheckTags.SERVER_REACHABLE)) {
                        return true;
                    }
                }
            }
            if (tags instanceof java.util.Collection<?> all) {
                for (Object t : all) {
                    if (t != null && String.valueOf(t).strip().equals(HealthCheckTags.SERVER_REACHABLE)) {
                        return true;
                    }
                }
            }
            return false;
        }
    }

    /** How many checks of {@code kind} are registered now. */
    int count(Kind kind) {
        int n = 0;
        for (ServiceReference<?> ref : references()) {
            if (kind.takes(ref)) {
                n++;
            }
        }
        return n;
    }

    /** Loads the API classes now, while the API bundle's class loader is certainly valid. */
    static void preload() {
        List.of(HealthCheck.class, Result.class, Result.Status.class, ResultLog.class, ResultLog.Entry.class,
                HealthCheckExecutor.class, HealthCheckSelector.class, HealthCheckExecutionOptions.class,
                HealthCheckExecutionResult.class).forEach(Class::getName);
    }

    /** The names of the general checks that are neither OK nor WARN now. */
    java.util.Set<String> failingNames(long timeoutMillis) {
        java.util.Set<String> names = new java.util.TreeSet<>();
        run(Kind.GENERAL, timeoutMillis, (name, failure) -> {
            names.add(name);
            return false;
        });
        return names;
    }

    /**
     * The first check that is neither OK nor WARN, described; empty when all pass (or none is registered). Checks
     * named in {@code ignored} do not count.
     */
    Optional<String> firstFailing(Kind kind, long timeoutMillis, java.util.Set<String> ignored) {
        String[] first = new String[1];
        run(kind, timeoutMillis, (name, failure) -> {
            if (ignored.contains(name)) {
                return false;
            }
            first[0] = failure;
            return true;
        });
        return Optional.ofNullable(first[0]);
    }

    /** Receives each failing check; answers true to stop. */
    private interface FailureSink {
        boolean failed(String name, String failure);
    }

    private ServiceReference<?>[] references() {
        try {
            ServiceReference<?>[] refs = system.getAllServiceReferences(HealthCheck.class.getName(), null);
            return refs == null ? new ServiceReference<?>[0] : refs;
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private void run(Kind kind, long timeoutMillis, FailureSink sink) {
        List<ServiceReference<?>> refs = new ArrayList<>();
        for (ServiceReference<?> ref : references()) {
            if (kind.takes(ref)) {
                refs.add(ref);
            }
        }
        if (refs.isEmpty()) {
            return;
        }
        ServiceReference<?> executorRef = HealthGate.best(system, HealthCheckExecutor.class.getName());
        List<ServiceReference<?>> direct = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (ServiceReference<?> ref : refs) {
            Object name = ref.getProperty(HealthCheck.NAME);
            if (executorRef != null && name instanceof String s && !s.isBlank()) {
                names.add(s);
            } else {
                direct.add(ref);
            }
        }
        if (!names.isEmpty()) {
            Object service = system.getService(executorRef);
            try {
                if (service instanceof HealthCheckExecutor executor) {
                    HealthCheckExecutionOptions options = new HealthCheckExecutionOptions().setForceInstantExecution(true)
                            .setOverrideGlobalTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, timeoutMillis)));
                    for (HealthCheckExecutionResult r : executor.execute(
                            HealthCheckSelector.names(names.toArray(String[]::new)), options)) {
                        String name = r.getHealthCheckMetadata().getName();
                        Optional<String> failure = failure(kind, name, r.getHealthCheckResult());
                        if (failure.isPresent() && sink.failed(name, failure.get())) {
                            return;
                        }
                    }
                } else if (sink.failed("", described(kind, "health check executor is not usable (" + service + ")"))) {
                    return;
                }
            } finally {
                if (service != null) {
                    system.ungetService(executorRef);
                }
            }
        }
        for (ServiceReference<?> ref : direct) {
            Object service = system.getService(ref);
            if (!(service instanceof HealthCheck check)) {
                continue; // unregistered meanwhile, or another revision of the API: not ours to judge
            }
            String name = String.valueOf(ref.getProperty(HealthCheck.NAME) != null ? ref.getProperty(HealthCheck.NAME)
                    : "service " + ref.getProperty("service.id"));
            try {
                Result result = CompletableFuture.supplyAsync(check::execute).get(timeoutMillis, TimeUnit.MILLISECONDS);
                Optional<String> failure = failure(kind, name, result);
                if (failure.isPresent() && sink.failed(name, failure.get())) {
                    return;
                }
            } catch (TimeoutException e) {
                if (sink.failed(name, described(kind, "health check '" + name + "' did not answer within "
                        + timeoutMillis + " ms"))) {
                    return;
                }
            } catch (ExecutionException e) {
                if (sink.failed(name, described(kind, "health check '" + name + "' failed: " + e.getCause()))) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the caller's Pause records it
                if (sink.failed(name, described(kind, "health check '" + name + "' was interrupted"))) {
                    return;
                }
            } finally {
                system.ungetService(ref);
            }
        }
    }

    private static Optional<String> failure(Kind kind, String name, Result result) {
        if (result == null) {
            return Optional.of(described(kind, "health check '" + name + "' returned no result"));
        }
        Result.Status status = result.getStatus();
        if (status == Result.Status.OK || status == Result.Status.WARN) {
            return Optional.empty();
        }
        String message = null;
        for (ResultLog.Entry e : result) {
            if (e.getStatus() == status || message == null) {
                message = e.getMessage();
                if (e.getStatus() == status) {
                    break;
                }
            }
        }
        if (kind == Kind.SERVER_REACHABLE && message != null && message.startsWith(SERVER_FAILED)) {
            return Optional.of(message); // the check says what failed, in the gate's words
        }
        return Optional.of(described(kind, "health check '" + name + "' " + status
                + (message != null ? ": " + message : "")));
    }

    /** What the gate reports for a server check: always {@code server check-in failed: …}. */
    private static String described(Kind kind, String failure) {
        return kind == Kind.SERVER_REACHABLE && !failure.startsWith(SERVER_FAILED) ? SERVER_FAILED + " " + failure
                : failure;
    }
}
