package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.agent.enrollment.api.CheckIn;
import io.printmaster.agent.enrollment.api.EnrolledAgent;
import io.printmaster.agent.enrollment.api.Enrollment;
import io.printmaster.agent.enrollment.api.EnrollmentState;
import io.printmaster.itests.FixtureBundles.Payload;
import io.printmaster.itests.hotswapfixture.PayloadActivator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * What the hot-swap tests share: a program dir (a copy of the agent distribution plus the payload and swap-caller
 * fixture bundles), plans built from it, and looks at what runs. Uses no type of the hot-swap API, so a test that
 * replaces the hot-swap bundle does not get the probe refreshed with it.
 */
final class HotSwapFixture {
    static final String HOTSWAP = "io.printmaster.agent.hotswap";
    static final String WORKER = "io.printmaster.agent.worker";

    private HotSwapFixture() {
    }

    static Option[] config(String name) throws IOException {
        return config(name, true);
    }

    /** @param payloadInProgram false: the payload is not a program bundle (a test installs it as a plugin) */
    static Option[] config(String name, boolean payloadInProgram) throws IOException {
        Path program = Files.createTempDirectory("pm-itest-" + name + "-program");
        Path bundles = Files.createDirectories(program.resolve("bundle"));
        for (Path jar : ServerContainer.bundles(ServerContainer.agentDistribution())) {
            Files.copy(jar, bundles.resolve(jar.getFileName()));
        }
        if (payloadInProgram) {
            FixtureBundles.payload(bundles, 1, Payload.GOOD);
        }
        FixtureBundles.caller(bundles, 1);
        Files.writeString(program.resolve("VERSION"), "1.0.0");
        return OptionUtils.combine(ServerContainer.options(program, "agent", ServerContainer.newDataDir(name),
                ServerContainer.freePort()), systemProperty("pm.itest.work").value(
                        Files.createTempDirectory("pm-itest-" + name + "-work").toString()));
    }

    /**
     * The program dir's jars with some replaced or added and some dropped, as {@code [symbolic name, version, sha256,
     * jar]} sorted by symbolic name.
     */
    static List<List<String>> plannedBundles(BundleContext context, Map<String, Path> replacedOrAdded,
            List<String> dropped) throws IOException {
        Map<String, Path> jars = new TreeMap<>();
        try (Stream<Path> s = Files.list(program(context).resolve("bundle"))) {
            s.filter(p -> p.toString().endsWith(".jar")).forEach(p -> jars.put(FixtureBundles.nameAndVersion(p)[0], p));
        }
        jars.putAll(replacedOrAdded);
        dropped.forEach(jars::remove);
        List<List<String>> target = new ArrayList<>();
        jars.forEach((name, jar) -> target.add(List.of(name, FixtureBundles.nameAndVersion(jar)[1],
                FixtureBundles.sha256(jar), jar.toString())));
        return target;
    }

    static Path programJar(BundleContext context, String symbolicName) throws IOException {
        try (Stream<Path> s = Files.list(program(context).resolve("bundle"))) {
            return s.filter(p -> p.toString().endsWith(".jar"))
                    .filter(p -> FixtureBundles.nameAndVersion(p)[0].equals(symbolicName)).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + symbolicName + " in the program dir"));
        }
    }

    static Path program(BundleContext context) {
        return Path.of(context.getProperty("pm.program.dir"));
    }

    static Path work() {
        return Path.of(System.getProperty("pm.itest.work"));
    }

    static Map<String, Long> bundleIds(BundleContext context) {
        Map<String, Long> ids = new TreeMap<>();
        for (Bundle b : context.getBundles()) {
            ids.put(b.getSymbolicName(), b.getBundleId());
        }
        return ids;
    }

    static Bundle find(BundleContext context, String symbolicName) {
        for (Bundle b : context.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        return null;
    }

    static Bundle bundle(BundleContext context, String symbolicName) {
        Bundle b = find(context, symbolicName);
        assertNotNull("bundle " + symbolicName, b);
        return b;
    }

    /** The generations of the payload code that registered its service (one when exactly one payload runs). */
    static List<String> payloadGenerations(BundleContext context) throws Exception {
        List<String> generations = new ArrayList<>();
        String generation = PayloadActivator.GENERATION;
        ServiceReference<?>[] refs = context.getAllServiceReferences(null, "(" + generation + "=*)");
        for (ServiceReference<?> r : refs == null ? new ServiceReference<?>[0] : refs) {
            generations.add(String.valueOf(r.getProperty(generation)));
        }
        return generations;
    }

    static void assertEveryBundleActive(BundleContext context) {
        List<String> notActive = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            boolean fragment = b.getHeaders("").get(Constants.FRAGMENT_HOST) != null;
            if (!fragment && b.getState() != Bundle.ACTIVE) {
                notActive.add(b.getSymbolicName() + " state " + b.getState());
            }
        }
        assertEquals("bundles not active", List.of(), notActive);
    }

    static boolean componentSatisfied(ServiceComponentRuntime scr, String name) {
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
            if (d.name.equals(name)) {
                for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                    if (c.state == ComponentConfigurationDTO.ACTIVE || c.state == ComponentConfigurationDTO.SATISFIED) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** {@code <data>/update/<name>}. */
    static JsonNode readJson(BundleContext context, String name) {
        try {
            return new ObjectMapper().readTree(Path.of(context.getProperty("pm.data.dir"), "update", name).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Symbolic names whose sha256 differs between the journal's {@code from} and {@code to} sets. */
    static List<String> differences(JsonNode journal) {
        List<String> names = new ArrayList<>();
        journal.path("to").fieldNames().forEachRemaining(n -> {
            if (!journal.path("to").path(n).equals(journal.path("from").path(n))) {
                names.add(n);
            }
        });
        journal.path("from").fieldNames().forEachRemaining(n -> {
            if (!journal.path("to").has(n)) {
                names.add(n);
            }
        });
        return names;
    }

    /**
     * Registers a stub enrollment, ranked above the real one (which has no server here), answering check-ins with
     * {@code status} (0: the server cannot be reached).
     */
    static void serverAnswers(BundleContext context, int status) {
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(Constants.SERVICE_RANKING, Integer.MAX_VALUE);
        context.registerService(Enrollment.class, new StubEnrollment(status), props);
    }

    private static final class StubEnrollment implements Enrollment {
        private final int status;

        StubEnrollment(int status) {
            this.status = status;
        }

        @Override
        public Optional<EnrolledAgent> current() {
            return Optional.empty();
        }

        @Override
        public Optional<String> credential() {
            return Optional.empty();
        }

        @Override
        public Optional<CheckIn> lastCheckIn() {
            return Optional.empty();
        }

        @Override
        public EnrollmentState state() {
            return new EnrollmentState(EnrollmentState.Phase.ENROLLED, "stub", Instant.now());
        }

        @Override
        public Optional<CheckIn> checkInNow(Duration timeout) {
            return Optional.of(new CheckIn(Instant.now(), status, Optional.empty(),
                    status == 200 ? Optional.empty() : Optional.of("connection refused (stub)")));
        }
    }
}
