package io.printmaster.agent.worker.impl;

import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceRegistration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The services the worker registers by hand, and the wake-up call across worker revisions. */
final class WorkerServices {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerServices.class);
    /** The service property of the worker's wake-up service ({@link Runnable}). */
    static final String WAKE_PROPERTY = "io.printmaster.agent.worker.wake";

    private WorkerServices() {
    }

    /** The update loop's Felix Health Check; null when the HC API is not installed. */
    static ServiceRegistration<?> registerLoopHealth(BundleContext context, SupervisedLoop loop) {
        try {
            java.util.Hashtable<String, Object> props = new java.util.Hashtable<>();
            props.put(org.apache.felix.hc.api.HealthCheck.NAME, UpdateLoopHealthCheck.NAME);
            props.put(org.apache.felix.hc.api.HealthCheck.TAGS, new String[] {UpdateLoopHealthCheck.TAG});
            return context.registerService(org.apache.felix.hc.api.HealthCheck.class.getName(),
                    new UpdateLoopHealthCheck(loop), props);
        } catch (NoClassDefFoundError e) {
            LOG.warn("Apache Felix Health Checks are not installed: the update loop's health is only in the log");
            return null;
        }
    }

    /** Wakes the worker that runs now (this one, or the revision that replaced it) to report a finished swap. */
    static void wakeWorkers(BundleContext system) {
        try {
            var refs = system.getServiceReferences(Runnable.class, "(" + WAKE_PROPERTY + "=true)");
            for (var ref : refs) {
                Runnable r = system.getService(ref);
                if (r != null) {
                    try {
                        r.run();
                    } finally {
                        system.ungetService(ref);
                    }
                }
            }
        } catch (InvalidSyntaxException | IllegalStateException e) {
            LOG.warn("cannot wake the update worker to report the hot swap ({}); it reports it within a minute",
                    e.toString());
        }
    }
}
