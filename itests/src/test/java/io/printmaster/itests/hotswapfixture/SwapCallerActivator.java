package io.printmaster.itests.hotswapfixture;

import io.printmaster.agent.hotswap.api.BundleSwapper;
import io.printmaster.agent.hotswap.api.PlannedBundle;
import io.printmaster.agent.hotswap.api.SwapOutcome;
import io.printmaster.agent.hotswap.api.SwapPlan;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * A bundle that calls {@link BundleSwapper#swap} from its own code, as the update worker does, with a plan that may
 * replace this very bundle. Offered to the test as a {@code Function} of plain maps and lists ({@code swap.caller=true})
 * so that the test probe never wires to the hot-swap API (a refresh of that bundle would otherwise refresh the probe).
 *
 * <p>What it does after {@code swap} returns runs on a class loader the refresh discarded: every class needed then is
 * loaded in {@link #start} (the same rule applies to the real worker).
 */
public class SwapCallerActivator implements BundleActivator {

    @Override
    public void start(BundleContext context) {
        // loaded now: after a swap that replaces this bundle, its old class loader cannot load anything new
        List.of(SwapOutcome.class, SwapOutcome.Result.class, SwapPlan.class, PlannedBundle.class, BundleSwapper.class,
                HashMap.class, ArrayList.class).forEach(Class::getName);
        SwapOutcome.Result.values();
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("swap.caller", "true");
        props.put("payload.generation", String.valueOf(context.getBundle().getHeaders("").get("Payload-Generation")));
        Function<Map<String, Object>, Map<String, Object>> call = request -> swap(context, request);
        context.registerService(Function.class, call, props);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> swap(BundleContext context, Map<String, Object> request) {
        List<PlannedBundle> target = new ArrayList<>();
        for (List<String> b : (List<List<String>>) request.get("bundles")) {
            target.add(new PlannedBundle(b.get(0), b.get(1), b.get(2), Path.of(b.get(3))));
        }
        SwapPlan plan = new SwapPlan((String) request.get("from"), (String) request.get("to"), target,
                Duration.ofMillis((Long) request.get("timeout_millis")));
        ServiceReference<BundleSwapper> ref = context.getServiceReference(BundleSwapper.class);
        BundleSwapper swapper = context.getService(ref);
        SwapOutcome outcome;
        try {
            outcome = swapper.swap(plan);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        // no ungetService: this bundle's context died with its old revision
        Map<String, Object> answer = new HashMap<>();
        answer.put("result", outcome.result().name());
        answer.put("failing_check", outcome.failingCheck());
        answer.put("changed", new ArrayList<>(outcome.changed()));
        answer.put("swap_millis", outcome.swapMillis());
        answer.put("downtime_millis", outcome.downtimeMillis());
        return answer;
    }

    @Override
    public void stop(BundleContext context) {
        // the service goes with the bundle
    }
}
