package io.printmaster.itests;

import static io.printmaster.itests.FixtureBundles.CALLER;
import static io.printmaster.itests.FixtureBundles.PAYLOAD;
import static io.printmaster.itests.FixtureBundles.PAYLOAD_COMPONENT;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.agent.enrollment.api.CheckIn;
import io.printmaster.agent.enrollment.api.EnrolledAgent;
import io.printmaster.agent.enrollment.api.Enrollment;
import io.printmaster.agent.enrollment.api.EnrollmentState;
import io.printmaster.agent.hotswap.api.BundleSwapper;
import io.printmaster.agent.hotswap.api.PlannedBundle;
import io.printmaster.agent.hotswap.api.SwapOutcome;
import io.printmaster.agent.hotswap.api.SwapPlan;
import io.printmaster.itests.FixtureBundles.Payload;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * The hot-swap engine in a real Felix running the agent distribution's bundles from a program dir (a copy of the
 * distribution plus two fixture bundles: the "payload" and a bundle that calls the swapper from its own code, see
 * {@link HotSwapFixture}). Each test gets a fresh framework. The server check of the gate meets a stub enrollment
 * (ranked above the real one, which has no server here) that answers the check-in as the test tells it. Replacing
 * the engine's own bundle and the swap's caller: {@link HotSwapSelfIT}.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class HotSwapIT {
    private static final Duration HEALTHY_WITHIN = Duration.ofSeconds(30);
    /** Failing checks wait for the whole timeout before the rollback: short, the failure is certain. */
    private static final Duration FAILS_WITHIN = Duration.ofSeconds(3);

    @Inject
    BundleContext context;

    @Inject
    ServiceComponentRuntime scr;

    @Configuration
    public Option[] config() throws IOException {
        return HotSwapFixture.config("hotswap");
    }

    @Test
    public void oneChangedBundleIsSwappedInTheRunningFramework() throws Exception {
        serverAnswers(200);
        Map<String, Long> idsBefore = bundleIds();
        long pid = ProcessHandle.current().pid();
        Path v1 = programJar(PAYLOAD);
        Path v2 = FixtureBundles.payload(work(), 2, Payload.GOOD);

        SwapOutcome outcome = swapper().swap(plan(Map.of(PAYLOAD, v2), HEALTHY_WITHIN));

        assertEquals(outcome.toString(), SwapOutcome.Result.SWAPPED, outcome.result());
        assertNull(outcome.failingCheck());
        assertEquals(List.of(PAYLOAD), outcome.changed());
        System.out.println("hot swap of one bundle: " + outcome.swapMillis() + " ms, payload down "
                + outcome.downtimeMillis() + " ms");
        // same process, same bundles: the payload was updated in place, nothing else was reinstalled
        assertEquals(pid, ProcessHandle.current().pid());
        assertEquals(idsBefore, bundleIds());
        Bundle payload = bundle(PAYLOAD);
        assertEquals(Bundle.ACTIVE, payload.getState());
        assertEquals("1.0.2", payload.getVersion().toString());
        assertEquals("the new code runs", List.of("2"), payloadGenerations());
        assertEveryBundleActive();

        JsonNode installed = readJson("installed-bundles.json").path("bundles");
        assertEquals(FixtureBundles.sha256(v2), installed.path(PAYLOAD).path("sha256").asText());
        JsonNode journal = readJson("hotswap.json");
        assertEquals("done", journal.path("phase").asText());
        assertEquals("swapped", journal.path("result").asText());
        assertEquals(FixtureBundles.sha256(v1), journal.path("from").path(PAYLOAD).asText());
        assertEquals(FixtureBundles.sha256(v2), journal.path("to").path(PAYLOAD).asText());
        assertEquals("only the payload differs between the sets", List.of(PAYLOAD), differences(journal));
    }

    @Test
    public void aNewBundleWhoseActivatorThrowsIsRolledBack() throws Exception {
        assertRolledBack(Payload.THROWS, "bundle " + PAYLOAD + " 1.0.2 is resolved, not active: ");
    }

    @Test
    public void aNewBundleWhoseImportCannotResolveIsRolledBack() throws Exception {
        assertRolledBack(Payload.UNRESOLVABLE, "bundle " + PAYLOAD + " 1.0.2 is installed");
    }

    @Test
    public void aNewBundleWhoseHealthCheckIsCriticalIsRolledBack() throws Exception {
        // the Felix Health Check executor (healthcheck.core) runs in the agent and executes the plugin's check
        Eventually.within(Duration.ofSeconds(20), () -> assertNotNull("HealthCheckExecutor",
                context.getServiceReference("org.apache.felix.hc.api.execution.HealthCheckExecutor")));
        assertRolledBack(Payload.HEALTH_CRITICAL, "health check 'payload-check' CRITICAL: the payload's queue is stuck");
    }

    @Test
    public void aComponentSatisfiedBeforeAndUnsatisfiedAfterFailsTheGate() throws Exception {
        assertTrue("the payload component is satisfied before", componentSatisfied(PAYLOAD_COMPONENT));
        assertRolledBack(Payload.COMPONENT_UNSATISFIED,
                "component " + PAYLOAD_COMPONENT + " is unsatisfied (missing reference 'missing')");
        Eventually.within(Duration.ofSeconds(10), () -> assertTrue("satisfied again after the rollback",
                componentSatisfied(PAYLOAD_COMPONENT)));
    }

    @Test
    public void aServerThatCannotBeReachedAfterTheSwapRollsItBack() throws Exception {
        serverAnswers(0);
        Path v2 = FixtureBundles.payload(work(), 2, Payload.GOOD);
        SwapOutcome outcome = swapper().swap(plan(Map.of(PAYLOAD, v2), FAILS_WITHIN));
        assertEquals(outcome.toString(), SwapOutcome.Result.ROLLED_BACK, outcome.result());
        assertEquals("server check-in failed: connection refused (stub)", outcome.failingCheck());
        assertEquals("1.0.1", bundle(PAYLOAD).getVersion().toString());
        assertEquals(List.of("1"), payloadGenerations());
    }

    /**
     * A health check failing before the swap fails the new set's gate (every check must pass), but not the
     * rollback's: the old set is no worse than it was.
     */
    @Test
    public void aHealthCheckFailingBeforeTheSwapFailsTheSwapButNotTheRollback() throws Exception {
        serverAnswers(200);
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(org.apache.felix.hc.api.HealthCheck.NAME, "printer-queue");
        context.registerService(org.apache.felix.hc.api.HealthCheck.class, () -> new org.apache.felix.hc.api.Result(
                org.apache.felix.hc.api.Result.Status.CRITICAL, "3 jobs stuck"), props);
        Path v2 = FixtureBundles.payload(work(), 2, Payload.GOOD);

        SwapOutcome outcome = swapper().swap(plan(Map.of(PAYLOAD, v2), FAILS_WITHIN));

        assertEquals(outcome.toString(), SwapOutcome.Result.ROLLED_BACK, outcome.result());
        assertEquals("health check 'printer-queue' CRITICAL: 3 jobs stuck", outcome.failingCheck());
        assertEquals(List.of("1"), payloadGenerations());
    }

    /** Bundles the release adds are installed, those it drops uninstalled; a rollback reverses both. */
    @Test
    public void bundlesAddedAndRemovedByARelease() throws Exception {
        serverAnswers(200);
        String extra = "io.printmaster.itests.extra";
        Path extraJar = FixtureBundles.withHeader(FixtureBundles.caller(work(), 7), work().resolve("extra.jar"),
                "Bundle-SymbolicName", extra);
        long callerId = bundle(CALLER).getBundleId();
        Path throwing = FixtureBundles.payload(work(), 2, Payload.THROWS);

        // first a release that also breaks the payload: everything back as it was
        SwapOutcome failed = swapper().swap(plan(Map.of(extra, extraJar, PAYLOAD, throwing), List.of(CALLER),
                FAILS_WITHIN));
        assertEquals(failed.toString(), SwapOutcome.Result.ROLLED_BACK, failed.result());
        assertEquals(List.of(extra, PAYLOAD, CALLER), failed.changed());
        assertNull("the added bundle is gone again", find(extra));
        assertEquals(Bundle.ACTIVE, bundle(CALLER).getState());
        assertEquals("the removed bundle is back", CALLER, bundle(CALLER).getSymbolicName());
        assertEquals(List.of("1"), payloadGenerations());
        assertEveryBundleActive();

        // then the good one
        SwapOutcome outcome = swapper().swap(plan(Map.of(extra, extraJar), List.of(CALLER), HEALTHY_WITHIN));
        assertEquals(outcome.toString(), SwapOutcome.Result.SWAPPED, outcome.result());
        assertEquals(List.of(extra, CALLER), outcome.changed());
        assertNull(find(CALLER));
        assertEquals(Bundle.ACTIVE, bundle(extra).getState());
        assertNotEquals(callerId, bundle(extra).getBundleId());
        JsonNode installed = readJson("installed-bundles.json").path("bundles");
        assertTrue(installed.has(extra));
        assertTrue(!installed.has(CALLER));
    }

    private void assertRolledBack(Payload kind, String failing) throws Exception {
        serverAnswers(200);
        Map<String, Long> idsBefore = bundleIds();
        Path v1 = programJar(PAYLOAD);
        Path bad = FixtureBundles.payload(work(), 2, kind);

        SwapOutcome outcome = swapper().swap(plan(Map.of(PAYLOAD, bad), FAILS_WITHIN));

        assertEquals(outcome.toString(), SwapOutcome.Result.ROLLED_BACK, outcome.result());
        assertTrue(outcome.failingCheck(), outcome.failingCheck().startsWith(failing));
        assertEquals(List.of(PAYLOAD), outcome.changed());
        System.out.println("rollback (" + kind + "): " + outcome.swapMillis() + " ms, payload down "
                + outcome.downtimeMillis() + " ms: " + outcome.failingCheck());
        Bundle payload = bundle(PAYLOAD);
        assertEquals(Bundle.ACTIVE, payload.getState());
        assertEquals("the old bundle again", "1.0.1", payload.getVersion().toString());
        assertEquals("the old code runs", List.of("1"), payloadGenerations());
        assertEquals(idsBefore, bundleIds());
        assertEveryBundleActive();

        JsonNode installed = readJson("installed-bundles.json").path("bundles");
        assertEquals("the old bytes", FixtureBundles.sha256(v1), installed.path(PAYLOAD).path("sha256").asText());
        JsonNode journal = readJson("hotswap.json");
        assertEquals("done", journal.path("phase").asText());
        assertEquals("rolled_back", journal.path("result").asText());
        assertEquals(FixtureBundles.sha256(v1), journal.path("from").path(PAYLOAD).asText());
        assertEquals(FixtureBundles.sha256(bad), journal.path("to").path(PAYLOAD).asText());
    }

    // --- the plan: the program dir's jars with some replaced, added or dropped

    private SwapPlan plan(Map<String, Path> replaced, Duration timeout) throws IOException {
        return plan(replaced, List.of(), timeout);
    }

    private SwapPlan plan(Map<String, Path> replacedOrAdded, List<String> dropped, Duration timeout)
            throws IOException {
        List<PlannedBundle> target = new ArrayList<>();
        for (List<String> b : HotSwapFixture.plannedBundles(context, replacedOrAdded, dropped)) {
            target.add(new PlannedBundle(b.get(0), b.get(1), b.get(2), Path.of(b.get(3))));
        }
        return new SwapPlan("1.0.0", "2.0.0", target, timeout);
    }

    private Path programJar(String symbolicName) throws IOException {
        return HotSwapFixture.programJar(context, symbolicName);
    }

    private static Path work() {
        return HotSwapFixture.work();
    }

    private BundleSwapper swapper() throws Exception {
        Eventually.within(Duration.ofSeconds(20), () -> assertNotNull("BundleSwapper service",
                context.getServiceReference(BundleSwapper.class)));
        return context.getService(context.getServiceReference(BundleSwapper.class));
    }

    private Map<String, Long> bundleIds() {
        return HotSwapFixture.bundleIds(context);
    }

    private Bundle find(String symbolicName) {
        return HotSwapFixture.find(context, symbolicName);
    }

    private Bundle bundle(String symbolicName) {
        return HotSwapFixture.bundle(context, symbolicName);
    }

    private List<String> payloadGenerations() throws Exception {
        return HotSwapFixture.payloadGenerations(context);
    }

    private void assertEveryBundleActive() {
        HotSwapFixture.assertEveryBundleActive(context);
    }

    private boolean componentSatisfied(String name) {
        return HotSwapFixture.componentSatisfied(scr, name);
    }

    private JsonNode readJson(String name) {
        return HotSwapFixture.readJson(context, name);
    }

    private static List<String> differences(JsonNode journal) {
        return HotSwapFixture.differences(journal);
    }

    private void serverAnswers(int status) {
        HotSwapFixture.serverAnswers(context, status);
    }
}
