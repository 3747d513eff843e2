package io.printmaster.itests.hotswapfixture;

import java.util.Dictionary;
import java.util.Hashtable;
import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.osgi.framework.BundleContext;

/** A plugin-style Felix health check answering the status its bundle's manifest names. */
public class PayloadHealthCheck implements HealthCheck {
    private final Result.Status status;

    PayloadHealthCheck(Result.Status status) {
        this.status = status;
    }

    static void register(BundleContext context, String status) {
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(HealthCheck.NAME, "payload-check");
        props.put(HealthCheck.TAGS, new String[] {"payload"});
        context.registerService(HealthCheck.class, new PayloadHealthCheck(Result.Status.valueOf(status)), props);
    }

    @Override
    public Result execute() {
        return new Result(status, "the payload's queue is " + (status == Result.Status.OK ? "fine" : "stuck"));
    }
}
