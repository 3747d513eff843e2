package io.printmaster.itests.hotswapfixture;

import java.util.Dictionary;
import java.util.Hashtable;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/**
 * The payload bundle's activator, driven by its manifest: {@code Payload-Generation} is published as the service
 * property {@code payload.code.generation} (which code runs), {@code Payload-Fail: throw} makes the start fail,
 * {@code Payload-Health: CRITICAL} registers a Felix health check {@code payload-check} with that status.
 */
public class PayloadActivator implements BundleActivator {
    /** The service property telling which generation's code registered it. */
    public static final String GENERATION = "payload.code.generation";

    @Override
    public void start(BundleContext context) {
        Dictionary<String, String> headers = context.getBundle().getHeaders("");
        if ("throw".equals(headers.get("Payload-Fail"))) {
            throw new IllegalStateException("the payload refuses to start");
        }
        String health = headers.get("Payload-Health");
        if (health != null) {
            PayloadHealthCheck.register(context, health);
        }
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(GENERATION, headers.get("Payload-Generation"));
        context.registerService(Object.class, new Object(), props);
    }

    @Override
    public void stop(BundleContext context) {
        // services go with the bundle
    }
}
