package io.printmaster.itests;

import static io.printmaster.itests.FixtureBundles.CALLER;
import static io.printmaster.itests.FixtureBundles.PAYLOAD;
import static io.printmaster.itests.HotSwapFixture.HOTSWAP;
import static io.printmaster.itests.HotSwapFixture.WORKER;
import static io.printmaster.itests.HotSwapFixture.bundle;
import static io.printmaster.itests.HotSwapFixture.work;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.printmaster.itests.FixtureBundles.Payload;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;

/**
 * The caller of {@code BundleSwapper.swap} is a bundle of the plan (as the update worker is when it updates itself),
 * and the release also replaces the hot-swap engine's own bundle and the real update worker: the swap completes, the
 * new revisions run, and the new engine swaps again.
 *
 * <p>The swap is asked for through the fixture caller bundle's {@code Function} service with plain maps and lists:
 * this probe must not wire to the hot-swap API, or replacing the engine's bundle would refresh (restart) the probe in
 * the middle of the test.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HotSwapSelfIT {
    private static final long HEALTHY_WITHIN_MILLIS = 30_000;

    @Inject
    BundleContext context;

    @Inject
    ServiceComponentRuntime scr;

    @Configuration
    public Option[] config() throws IOException {
        return HotSwapFixture.config("hotswap-self");
    }

    @Test
    public void theCallerOfSwapAndTheEngineItselfCanBeInThePlan() throws Exception {
        HotSwapFixture.serverAnswers(context, 200);
        Eventually.within(Duration.ofSeconds(20), () -> assertTrue("the engine's component is active",
                HotSwapFixture.componentSatisfied(scr, "io.printmaster.agent.hotswap.impl.HotSwapComponent")));
        Map<String, Long> idsBefore = HotSwapFixture.bundleIds(context);
        Path caller2 = FixtureBundles.caller(work(), 2);
        Path hotswap2 = FixtureBundles.withHeader(HotSwapFixture.programJar(context, HOTSWAP),
                work().resolve("hotswap-2.jar"), "X-Itest-Generation", "2");
        Path worker2 = FixtureBundles.withHeader(HotSwapFixture.programJar(context, WORKER),
                work().resolve("worker-2.jar"), "X-Itest-Generation", "2");
        Map<String, Path> release2 = Map.of(CALLER, caller2, HOTSWAP, hotswap2, WORKER, worker2);

        Map<String, Object> answer = swapThroughCaller("1", release2, "1.0.0", "2.0.0");

        assertEquals(answer.toString(), "SWAPPED", answer.get("result"));
        assertEquals(List.of(HOTSWAP, WORKER, CALLER), answer.get("changed"));
        System.out.println("hot swap of the engine, the worker and the caller: " + answer.get("swap_millis")
                + " ms, bundles down " + answer.get("downtime_millis") + " ms");
        assertEquals("updated in place", idsBefore, HotSwapFixture.bundleIds(context));
        assertEquals("2", bundle(context, CALLER).getHeaders("").get("Payload-Generation"));
        assertEquals("2", bundle(context, HOTSWAP).getHeaders("").get("X-Itest-Generation"));
        assertEquals("2", bundle(context, WORKER).getHeaders("").get("X-Itest-Generation"));
        HotSwapFixture.assertEveryBundleActive(context);
        Eventually.within(Duration.ofSeconds(10), () -> assertTrue("the new engine's component is active",
                HotSwapFixture.componentSatisfied(scr, "io.printmaster.agent.hotswap.impl.HotSwapComponent")));
        JsonNode journal = HotSwapFixture.readJson(context, "hotswap.json");
        assertEquals("done", journal.path("phase").asText());
        assertEquals(List.of(HOTSWAP, WORKER, CALLER), HotSwapFixture.differences(journal));

        // the new revisions (caller and engine) swap again, from the set the old engine recorded
        Map<String, Path> release3 = new HashMap<>(release2);
        release3.put(PAYLOAD, FixtureBundles.payload(work(), 2, Payload.GOOD));
        Map<String, Object> again = swapThroughCaller("2", release3, "2.0.0", "3.0.0");
        assertEquals(again.toString(), "SWAPPED", again.get("result"));
        assertEquals(List.of(PAYLOAD), again.get("changed"));
        assertEquals(List.of("2"), HotSwapFixture.payloadGenerations(context));
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private Map<String, Object> swapThroughCaller(String callerGeneration, Map<String, Path> release, String from,
            String to) throws Exception {
        Collection<ServiceReference<Function>> refs = context.getServiceReferences(Function.class,
                "(&(swap.caller=true)(payload.generation=" + callerGeneration + "))");
        assertEquals("the swap caller's service", 1, refs.size());
        Function<Map<String, Object>, Map<String, Object>> call = context.getService(refs.iterator().next());
        Map<String, Object> request = new HashMap<>();
        request.put("from", from);
        request.put("to", to);
        request.put("timeout_millis", HEALTHY_WITHIN_MILLIS);
        request.put("bundles", HotSwapFixture.plannedBundles(context, release, List.of()));
        return call.apply(request);
    }
}
