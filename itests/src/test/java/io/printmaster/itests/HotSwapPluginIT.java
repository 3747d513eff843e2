package io.printmaster.itests;

import static io.printmaster.itests.FixtureBundles.PAYLOAD;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.printmaster.agent.hotswap.api.BundleSwapper;
import io.printmaster.agent.hotswap.api.PluginReplacement;
import io.printmaster.agent.hotswap.api.SwapOutcome;
import io.printmaster.itests.FixtureBundles.Payload;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import javax.inject.Inject;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * A vendor plugin replaced behind the health gate in a real Felix, with the real Felix FileInstall watching
 * {@code <data>/plugins}: the payload fixture bundle, marked as the release stream {@code acme-payload}, is dropped in as
 * a plugin; the engine moves the new release's jar over it, FileInstall updates the bundle, the gate decides.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class HotSwapPluginIT {
    private static final String COMPONENT = "acme-payload";

    @Inject
    BundleContext context;

    private Path pluginFile;
    private Path v1;

    @Configuration
    public Option[] config() throws IOException {
        return HotSwapFixture.config("hotswap-plugin", false);
    }

    @Before
    public void installThePluginThroughFileInstall() throws Exception {
        HotSwapFixture.serverAnswers(context, 200);
        Path work = HotSwapFixture.work();
        v1 = FixtureBundles.withHeader(FixtureBundles.payload(work, 1, Payload.GOOD), work.resolve("plugin-v1.jar"),
                "PrintMaster-Component", COMPONENT);
        pluginFile = Path.of(context.getProperty("pm.data.dir"), "plugins", "acme-payload.jar");
        // The data folder outlives each method's framework (Pax Exam reads the configuration once), so the plugin of
        // the method before may be installed already: FileInstall must have taken this copy, not only that one,
        // before a test starts, or its update of the bundle lands in the middle of the test. The copy is moved in
        // whole, so FileInstall never reads half a jar.
        Path staged = Files.copy(v1, work.resolve("plugin-v1-staged.jar"), StandardCopyOption.REPLACE_EXISTING);
        Files.move(staged, pluginFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        long copiedAt = Files.getLastModifiedTime(pluginFile).toMillis();
        Eventually.within(Duration.ofSeconds(30), () -> {
            Bundle b = HotSwapFixture.find(context, PAYLOAD);
            assertNotNull("FileInstall installed the plugin", b);
            assertTrue("FileInstall installed or updated it from this copy", b.getLastModified() >= copiedAt);
            assertEquals("the plugin runs", Bundle.ACTIVE, b.getState());
            assertEquals("FileInstall installed the first release", "1.0.1", b.getVersion().toString());
            assertEquals("its component runs", List.of("1"), HotSwapFixture.payloadGenerations(context));
        });
    }

    @Test
    public void aNewReleaseOfAPluginReplacesItThroughFileInstallWithTheSameBundle() throws Exception {
        long id = HotSwapFixture.bundle(context, PAYLOAD).getBundleId();
        Path v2 = release(2, Payload.GOOD);

        SwapOutcome outcome = swapper().replacePlugin(replacement(v2, Duration.ofSeconds(30)));

        assertEquals(outcome.toString(), SwapOutcome.Result.SWAPPED, outcome.result());
        assertNull(outcome.failingCheck());
        assertEquals(List.of(PAYLOAD), outcome.changed());
        Bundle b = HotSwapFixture.bundle(context, PAYLOAD);
        assertEquals("updated in place", id, b.getBundleId());
        assertEquals("1.0.2", b.getVersion().toString());
        assertEquals(Bundle.ACTIVE, b.getState());
        assertEquals("the new code runs", List.of("2"), HotSwapFixture.payloadGenerations(context));
        assertArrayEquals("a restart installs the new release", Files.readAllBytes(v2), Files.readAllBytes(pluginFile));
        JsonNode journal = HotSwapFixture.readJson(context, "plugin-swap.json");
        assertEquals("done", journal.path("phase").asText());
        assertEquals("swapped", journal.path("result").asText());
        HotSwapFixture.assertEveryBundleActive(context);
    }

    @Test
    public void aPluginReleaseWhoseActivatorThrowsIsPutBackAndTheOldOneRunsAgain() throws Exception {
        Path broken = release(2, Payload.THROWS);

        SwapOutcome outcome = swapper().replacePlugin(replacement(broken, Duration.ofSeconds(10)));

        assertEquals(outcome.toString(), SwapOutcome.Result.ROLLED_BACK, outcome.result());
        assertTrue(outcome.failingCheck(), outcome.failingCheck().contains("bundle " + PAYLOAD + " 1.0.2"));
        Bundle b = HotSwapFixture.bundle(context, PAYLOAD);
        assertEquals("1.0.1", b.getVersion().toString());
        assertEquals(Bundle.ACTIVE, b.getState());
        assertEquals("the old code runs again", List.of("1"), HotSwapFixture.payloadGenerations(context));
        assertArrayEquals("a restart installs the old release", Files.readAllBytes(v1), Files.readAllBytes(pluginFile));
        assertEquals("rolled_back", HotSwapFixture.readJson(context, "plugin-swap.json").path("result").asText());
    }

    @Test
    public void aJarOfAnotherBundleIsRefusedBeforeAnythingChanges() throws Exception {
        Path other = FixtureBundles.caller(HotSwapFixture.work(), 7);
        try {
            swapper().replacePlugin(new PluginReplacement(COMPONENT, "1.0.1", "1.0.7", pluginFile, other,
                    FixtureBundles.sha256(other), backup(), Duration.ofSeconds(5)));
            fail("refused");
        } catch (IllegalStateException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("holds bundle " + FixtureBundles.CALLER));
        }
        assertArrayEquals("nothing changed", Files.readAllBytes(v1), Files.readAllBytes(pluginFile));
        assertEquals(List.of("1"), HotSwapFixture.payloadGenerations(context));
    }

    private Path release(int generation, Payload kind) {
        Path work = HotSwapFixture.work();
        return FixtureBundles.withHeader(FixtureBundles.payload(work, generation, kind),
                work.resolve("plugin-v" + generation + "-" + kind + ".jar"), "PrintMaster-Component", COMPONENT);
    }

    private PluginReplacement replacement(Path jar, Duration timeout) {
        return new PluginReplacement(COMPONENT, "1.0.1", "1.0.2", pluginFile, jar, FixtureBundles.sha256(jar), backup(),
                timeout);
    }

    private Path backup() {
        return Path.of(context.getProperty("pm.data.dir"), "update", "plugin-backup", "acme-payload.jar");
    }

    private BundleSwapper swapper() throws Exception {
        Eventually.within(Duration.ofSeconds(20), () -> assertNotNull("BundleSwapper service",
                context.getServiceReference(BundleSwapper.class)));
        return context.getService(context.getServiceReference(BundleSwapper.class));
    }
}
