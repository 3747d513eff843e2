package io.printmaster.server.selfupdate.impl;

import io.printmaster.store.impl.DerbyDatabase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.apache.felix.framework.Felix;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;

/**
 * What the apply step's tests run on: a real Felix framework (its system bundle's context, with the launcher's
 * framework properties), a real Derby database, an install root with a running program and a staged slot.
 */
final class ApplyFixture implements AutoCloseable {
    final Path root;
    final Path data;
    final Path program;
    final DerbyDatabase db;
    final Felix felix;

    ApplyFixture(Path dir, String runningVersion) throws Exception {
        root = Files.createDirectories(dir.resolve("R"));
        data = Files.createDirectories(root.resolve("data"));
        program = root;
        Files.writeString(root.resolve("VERSION"), runningVersion + "\n");
        Files.createDirectories(root.resolve("lib"));
        Files.writeString(root.resolve("lib/launcher.jar"), "launcher");
        Files.createDirectories(root.resolve("bin"));
        Files.writeString(root.resolve("bin/pm-server"), "#!/bin/sh\n");
        Files.createDirectories(root.resolve("bundle"));
        bundle(root.resolve("bundle/io.example.a.jar"), "io.example.a", Map.of("db/alpha/V1.sql",
                "-- alpha v1\nCREATE TABLE ALPHA_ONE (ID INT NOT NULL PRIMARY KEY);\n"));
        db = new DerbyDatabase(data.resolve("db"), data.resolve("logs/derby.log"));
        db.migrate("alpha", io.printmaster.store.Migrations.fromClasspath(ApplyFixture.class, "it-alpha"));
        Map<String, Object> props = new HashMap<>();
        props.put(Constants.FRAMEWORK_STORAGE, dir.resolve("felix-cache").toString());
        props.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        props.put("pm.data.dir", data.toString());
        props.put("pm.home", root.toString());
        props.put("pm.program.dir", program.toString());
        props.put("pm.version", runningVersion);
        felix = new Felix(props);
        felix.start();
    }

    BundleContext context() {
        return felix.getBundleContext();
    }

    /** A staged slot R/versions/{@code version}: the running program, with {@code bundleEntries} in a bundle. */
    Path slot(String version, Map<String, String> bundleEntries, boolean newLauncher) throws IOException {
        Path slot = Files.createDirectories(root.resolve("versions").resolve(version));
        Files.createDirectories(slot.resolve("lib"));
        Files.writeString(slot.resolve("lib/launcher.jar"), newLauncher ? "launcher 2" : "launcher");
        Files.createDirectories(slot.resolve("bin"));
        Files.writeString(slot.resolve("bin/pm-server"), "#!/bin/sh\n");
        Files.writeString(slot.resolve("VERSION"), version + "\n");
        Files.createDirectories(slot.resolve("bundle"));
        bundle(slot.resolve("bundle/io.example.a.jar"), "io.example.a", bundleEntries);
        return slot;
    }

    static void bundle(Path jar, String symbolicName, Map<String, String> entries) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Bundle-SymbolicName", symbolicName);
        m.getMainAttributes().putValue("Bundle-Version", "1.0.0");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), m)) {
            for (Map.Entry<String, String> e : entries.entrySet()) {
                out.putNextEntry(new JarEntry(e.getKey()));
                out.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
        }
    }

    @Override
    public void close() throws Exception {
        felix.stop();
        felix.waitForStop(10_000);
        db.close(); // a second close (after a test closed it) does nothing
    }
}
