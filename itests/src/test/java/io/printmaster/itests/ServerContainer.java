package io.printmaster.itests;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemPackages;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.ops4j.pax.exam.Option;

/**
 * Pax Exam options that make a real Felix run exactly the bundles of a built distribution (the server's unless told
 * otherwise), from its own {@code bundle/} folder, on its own data directory and a free loopback port, the way the
 * launcher would.
 */
final class ServerContainer {
    private ServerContainer() {
    }

    /** The built server distribution. */
    static Path distribution() {
        return distributionFromProperty("pm.server.dist");
    }

    /** The built agent distribution. */
    static Path agentDistribution() {
        return distributionFromProperty("pm.agent.dist");
    }

    private static Path distributionFromProperty(String property) {
        String dist = System.getProperty(property);
        if (dist == null) {
            throw new IllegalStateException("system property " + property + " is not set (run through Maven failsafe)");
        }
        return Path.of(dist).toAbsolutePath().normalize();
    }

    /** The server distribution's bundles. */
    static Option[] options(Path dataDir, int port) {
        return options(distribution(), "server", dataDir, port);
    }

    /**
     * The bundles of {@code distribution}'s {@code bundle/} folder, installed from where they are (their locations
     * are the files there, as the launcher's are), with the framework properties the launcher sets for
     * {@code role}.
     */
    static Option[] options(Path distribution, String role, Path dataDir, int port) {
        List<Option> options = new ArrayList<>();
        options.add(cleanCaches(true));
        options.add(junitBundles());
        // SLF4J 2 from the test class path, exported as 2.x for our bundles and as 1.7 for Pax Exam's own
        // bundles (the 1.x logger API is unchanged in 2.x)
        options.add(systemPackages("org.slf4j;version=2.0.17", "org.slf4j.spi;version=2.0.17",
                "org.slf4j.event;version=2.0.17", "org.slf4j.helpers;version=2.0.17",
                "org.slf4j;version=1.7.36", "org.slf4j.spi;version=1.7.36", "org.slf4j.helpers;version=1.7.36"));
        options.add(frameworkProperty("pm.data.dir").value(dataDir.toString()));
        options.add(frameworkProperty("pm.role").value(role));
        options.add(frameworkProperty("pm.home").value(distribution.toString()));
        options.add(frameworkProperty("pm.program.dir").value(distribution.toString()));
        options.add(frameworkProperty("pm.version").value("0.0.0-itest"));
        options.add(frameworkProperty("pm.start.millis").value(Long.toString(System.currentTimeMillis())));
        options.add(frameworkProperty("org.osgi.service.http.port").value(Integer.toString(port)));
        options.add(frameworkProperty("org.apache.felix.http.host").value("127.0.0.1"));
        options.add(frameworkProperty("felix.fileinstall.dir").value(dataDir.resolve("etc") + "," + dataDir.resolve("plugins")));
        options.add(frameworkProperty("felix.fileinstall.poll").value("200"));
        options.add(frameworkProperty("felix.fileinstall.noInitialDelay").value("true"));
        // as the launcher sets them (FelixLauncher): FileInstall never writes configurations back into etc/ (its
        // write-back truncates and rewrites the file in place, and left the test's release source file empty, so the
        // source ran with no path), and Configuration Admin keeps configurations in memory only
        options.add(frameworkProperty("felix.fileinstall.enableConfigSave").value("false"));
        options.add(frameworkProperty("felix.cm.pm").value("memory"));
        options.add(systemProperty("derby.stream.error.file").value(dataDir.resolve("derby.log").toString()));
        options.add(systemProperty("pm.itest.port").value(Integer.toString(port)));
        options.add(systemProperty("pm.itest.data").value(dataDir.toString()));
        if ("server".equals(role)) {
            // the PostgreSQL run of the integration tests: a fresh database per container (ItDatabase)
            String database = ItDatabase.fresh();
            if (database != null) {
                options.add(frameworkProperty("pm.database.url").value(database));
            }
        }
        for (Path jar : bundles(distribution)) {
            options.add(bundle(jar.toUri().toString()));
        }
        return options.toArray(Option[]::new);
    }

    /** The server distribution's bundle jars. */
    static List<Path> bundles() {
        return bundles(distribution());
    }

    /** The jars of a distribution's {@code bundle/} folder, sorted by file name. */
    static List<Path> bundles(Path distribution) {
        Path dir = distribution.resolve("bundle");
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> jars = s.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
            if (jars.isEmpty()) {
                throw new IllegalStateException("no bundles in " + dir + ": is the distribution built?");
            }
            return jars;
        } catch (IOException e) {
            throw new UncheckedIOException("the distribution is not built: " + dir, e);
        }
    }

    static Path newDataDir(String name) {
        try {
            Path dir = Files.createTempDirectory("pm-itest-" + name);
            Files.createDirectories(dir.resolve("etc"));
            Files.createDirectories(dir.resolve("plugins"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static File file(Path p) {
        return p.toFile();
    }
}
