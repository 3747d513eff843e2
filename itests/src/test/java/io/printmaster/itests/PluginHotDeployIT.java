package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import io.printmaster.api.release.ReleasePage;
import io.printmaster.api.release.ReleaseSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

/**
 * A vendor's plugin jar dropped into {@code plugins/} of a running server is started and listed, replaced by a
 * newer build is updated in place, and deleted is uninstalled: no restart at any step. The timeouts are generous
 * on purpose; how fast it happens is measured by a benchmark, not here.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class PluginHotDeployIT {
    static final String PLUGIN = "io.printmaster.example.releasesource";
    private static final Duration WAIT = Duration.ofSeconds(15);

    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() {
        return OptionUtils.combine(ServerContainer.options(ServerContainer.newDataDir("plugins"), ServerContainer.freePort()),
                frameworkProperty("pm.admin.password").value("itest-" + UUID.randomUUID()));
    }

    @Test
    public void dropReplaceAndDeleteAPluginWhileTheServerRuns() throws Exception {
        Path built = Path.of(required("pm.example.plugin"));
        assertTrue("the example plugin is not built: " + built, Files.isRegularFile(built));
        Path dataDir = Path.of(required("pm.data.dir"));
        Path deployed = dataDir.resolve("plugins").resolve(PLUGIN + ".jar");
        ApiClient admin = ApiClient.anonymous(required("org.osgi.service.http.port"));
        admin.awaitHealthy();
        admin = admin.login(required("pm.admin.password"));
        assertTrue("no example plugin before the drop", listed(admin).isEmpty());

        // 1. drop: installed, started, its release source registered and listed
        String builtVersion = bundleVersion(built);
        moveInAtomically(built, dataDir, deployed, null);
        awaitReleaseSourceOf(builtVersion);
        assertListed(admin, builtVersion);
        assertServesReleases();

        // 1b. configure it through etc/, as its README says: applied without a restart
        Path cfg = dataDir.resolve("etc").resolve(PLUGIN + ".cfg");
        Path staging = Files.createTempFile(dataDir, "cfg-", ".tmp");
        Files.writeString(staging, "component=label-printer-driver\nversions=2.0.0, 2.1.0\npage_size=10\n");
        Files.move(staging, cfg, StandardCopyOption.ATOMIC_MOVE);
        Eventually.within(WAIT, () -> assertEquals(List.of("label-printer-driver-2.1.0.zip", "label-printer-driver-2.0.0.zip"),
                assetNames()));

        // 2. replace with a newer build of the same bundle: updated in place, service registered again
        moveInAtomically(built, dataDir, deployed, "9.9.9");
        awaitReleaseSourceOf("9.9.9");
        assertListed(admin, "9.9.9");
        assertServesReleases();
        assertEquals("one bundle of the plugin, updated rather than installed twice", 1, pluginBundles().size());

        // 3. delete: uninstalled, service gone, no longer listed
        Files.delete(deployed);
        ApiClient session = admin;
        Eventually.within(WAIT, () -> {
            assertEquals("plugin bundles left", List.of(), pluginBundles());
            assertEquals("release sources left", List.of(), releaseSources());
            assertEquals("still listed", List.of(), listed(session));
        });
    }

    private String required(String property) {
        String v = context.getProperty(property);
        assertNotNull("framework or system property " + property + " is not set", v);
        return v;
    }

    /**
     * Puts a copy of the plugin into {@code plugins/} the way an admin should: written completely under another
     * name outside the watched folder, then moved in with one rename, so the server never sees half a jar.
     *
     * @param newVersion when not null, the copy's manifest says this {@code Bundle-Version}: a newer build
     */
    private static void moveInAtomically(Path jar, Path dataDir, Path target, String newVersion) throws IOException {
        Path staging = Files.createTempFile(dataDir, "plugin-", ".tmp");
        if (newVersion == null) {
            Files.copy(jar, staging, StandardCopyOption.REPLACE_EXISTING);
        } else {
            withBundleVersion(jar, staging, newVersion);
        }
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Copies a bundle, changing only the Bundle-Version in its manifest. */
    private static void withBundleVersion(Path jar, Path out, String version) throws IOException {
        try (JarFile in = new JarFile(jar.toFile())) {
            Manifest manifest = new Manifest(in.getManifest());
            manifest.getMainAttributes().put(new Attributes.Name(Constants.BUNDLE_VERSION), version);
            try (OutputStream os = Files.newOutputStream(out); JarOutputStream jos = new JarOutputStream(os, manifest)) {
                Enumeration<JarEntry> entries = in.entries();
                while (entries.hasMoreElements()) {
                    JarEntry e = entries.nextElement();
                    if (e.getName().equals(JarFile.MANIFEST_NAME)) {
                        continue;
                    }
                    jos.putNextEntry(new JarEntry(e.getName()));
                    try (InputStream is = in.getInputStream(e)) {
                        is.transferTo(jos);
                    }
                    jos.closeEntry();
                }
            }
        }
    }

    private static String bundleVersion(Path jar) throws IOException {
        try (JarFile in = new JarFile(jar.toFile())) {
            return in.getManifest().getMainAttributes().getValue(Constants.BUNDLE_VERSION);
        }
    }

    private void awaitReleaseSourceOf(String version) throws Exception {
        Eventually.within(WAIT, () -> {
            List<Bundle> bundles = pluginBundles();
            assertEquals("plugin bundles", 1, bundles.size());
            Bundle b = bundles.get(0);
            assertEquals("version of the running plugin", version, b.getVersion().toString());
            assertEquals("state of the plugin bundle", Bundle.ACTIVE, b.getState());
            List<ServiceReference<?>> sources = releaseSources();
            assertEquals("release sources of the plugin", 1, sources.size());
            assertEquals(version, sources.get(0).getBundle().getVersion().toString());
        });
    }

    private List<Bundle> pluginBundles() {
        List<Bundle> out = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            if (PLUGIN.equals(b.getSymbolicName()) && b.getState() != Bundle.UNINSTALLED) {
                out.add(b);
            }
        }
        return out;
    }

    private List<ServiceReference<?>> releaseSources() throws Exception {
        ServiceReference<?>[] refs = context.getAllServiceReferences(ReleaseSource.class.getName(), null);
        List<ServiceReference<?>> out = new ArrayList<>();
        if (refs != null) {
            for (ServiceReference<?> r : refs) {
                if (r.getBundle() != null && PLUGIN.equals(r.getBundle().getSymbolicName())) {
                    out.add(r);
                }
            }
        }
        return out;
    }

    /** The assets the plugin's release source lists on its first page. */
    private List<String> assetNames() throws Exception {
        List<ServiceReference<?>> refs = releaseSources();
        assertEquals("release sources of the plugin", 1, refs.size());
        ReleaseSource source = (ReleaseSource) context.getService(refs.get(0));
        try {
            return source.releases(Optional.empty()).releases().stream()
                    .flatMap(r -> r.assets().stream()).map(a -> a.name()).toList();
        } finally {
            context.ungetService(refs.get(0));
        }
    }

    /** The release source works from inside the server: it lists the demo releases. */
    private void assertServesReleases() throws Exception {
        ServiceReference<?> ref = releaseSources().get(0);
        ReleaseSource source = (ReleaseSource) context.getService(ref);
        try {
            ReleasePage first = source.releases(Optional.empty());
            assertFalse("the example source lists releases", first.releases().isEmpty());
        } finally {
            context.ungetService(ref);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> listed(ApiClient admin) throws Exception {
        ApiClient.Response r = admin.get("/api/v1/plugins");
        assertEquals(r.body(), 200, r.status());
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> p : (List<Map<String, Object>>) r.json().get("plugins")) {
            if (PLUGIN.equals(p.get("bundle"))) {
                out.add(p);
            }
        }
        return out;
    }

    private static void assertListed(ApiClient admin, String version) throws Exception {
        List<Map<String, Object>> plugins = listed(admin);
        assertEquals("GET /api/v1/plugins lists the plugin once: " + plugins, 1, plugins.size());
        Map<String, Object> p = plugins.get(0);
        assertEquals(p.toString(), "release_source", p.get("type"));
        assertEquals(p.toString(), "Example release source", p.get("name"));
        assertEquals(p.toString(), version, p.get("bundle_version"));
        assertEquals(p.toString(), "ACTIVE", p.get("state"));
        assertEquals(p.toString(), Boolean.TRUE, p.get("from_plugins_folder"));
    }
}
