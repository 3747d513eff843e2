package io.printmaster.itests;

import io.printmaster.itests.hotswapfixture.BrokenComponent;
import io.printmaster.itests.hotswapfixture.PayloadActivator;
import io.printmaster.itests.hotswapfixture.PayloadComponent;
import io.printmaster.itests.hotswapfixture.PayloadHealthCheck;
import io.printmaster.itests.hotswapfixture.SwapCallerActivator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Bundles built on the fly for the hot-swap tests: a manifest and classes of {@code io.printmaster.itests.hotswapfixture}
 * read from the test classes (also inside the Pax Exam probe, which contains them).
 */
final class FixtureBundles {
    static final String PAYLOAD = "io.printmaster.itests.payload";
    static final String CALLER = "io.printmaster.itests.swapcaller";
    static final String PAYLOAD_COMPONENT = "io.printmaster.itests.payload.Component";
    static final String BROKEN = "io.printmaster.itests.broken";
    static final String BROKEN_COMPONENT = "io.printmaster.itests.broken.Component";

    private FixtureBundles() {
    }

    /** How a payload bundle behaves. */
    enum Payload {
        GOOD, THROWS, UNRESOLVABLE, HEALTH_CRITICAL, COMPONENT_UNSATISFIED
    }

    /** The payload bundle of {@code generation} (version {@code 1.0.<generation>}). */
    static Path payload(Path dir, int generation, Payload kind) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Bundle-SymbolicName", PAYLOAD);
        headers.put("Bundle-Version", "1.0." + generation);
        headers.put("Bundle-Activator", PayloadActivator.class.getName());
        String imports = "org.osgi.framework, org.apache.felix.hc.api";
        if (kind == Payload.UNRESOLVABLE) {
            imports += ", io.printmaster.itests.nosuchpackage";
        }
        headers.put("Import-Package", imports);
        headers.put("Service-Component", "OSGI-INF/payload.xml");
        headers.put("Payload-Generation", Integer.toString(generation));
        if (kind == Payload.THROWS) {
            headers.put("Payload-Fail", "throw");
        }
        if (kind == Payload.HEALTH_CRITICAL) {
            headers.put("Payload-Health", "CRITICAL");
        } else {
            headers.put("Payload-Health", "OK");
        }
        String reference = kind == Payload.COMPONENT_UNSATISFIED
                ? "  <reference name=\"missing\" interface=\"io.printmaster.itests.hotswapfixture.NoSuchService\""
                        + " cardinality=\"1..1\" policy=\"static\"/>\n"
                : "";
        String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<scr:component xmlns:scr=\"http://www.osgi.org/xmlns/scr/v1.3.0\" name=\"" + PAYLOAD_COMPONENT
                + "\" immediate=\"true\">\n" + reference
                + "  <implementation class=\"" + PayloadComponent.class.getName() + "\"/>\n</scr:component>\n";
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("OSGI-INF/payload.xml", xml.getBytes(StandardCharsets.UTF_8));
        addClass(entries, PayloadActivator.class);
        addClass(entries, PayloadHealthCheck.class);
        addClass(entries, PayloadComponent.class);
        return write(dir.resolve(PAYLOAD + "-" + generation + "-" + kind + ".jar"), headers, entries);
    }

    /** A bundle with one immediate component whose activate method throws ({@link BrokenComponent}). */
    static Path brokenComponent(Path dir) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Bundle-SymbolicName", BROKEN);
        headers.put("Bundle-Version", "1.0.0");
        headers.put("Service-Component", "OSGI-INF/broken.xml");
        String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<scr:component xmlns:scr=\"http://www.osgi.org/xmlns/scr/v1.3.0\" name=\"" + BROKEN_COMPONENT
                + "\" immediate=\"true\" activate=\"activate\">\n"
                + "  <implementation class=\"" + BrokenComponent.class.getName() + "\"/>\n</scr:component>\n";
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("OSGI-INF/broken.xml", xml.getBytes(StandardCharsets.UTF_8));
        addClass(entries, BrokenComponent.class);
        return write(dir.resolve(BROKEN + ".jar"), headers, entries);
    }

    /** The bundle that calls {@code BundleSwapper.swap} from its own code. */
    static Path caller(Path dir, int generation) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Bundle-SymbolicName", CALLER);
        headers.put("Bundle-Version", "1.0." + generation);
        headers.put("Bundle-Activator", SwapCallerActivator.class.getName());
        headers.put("Import-Package", "org.osgi.framework, io.printmaster.agent.hotswap.api");
        headers.put("Payload-Generation", Integer.toString(generation));
        Map<String, byte[]> entries = new LinkedHashMap<>();
        addClass(entries, SwapCallerActivator.class);
        return write(dir.resolve(CALLER + "-" + generation + ".jar"), headers, entries);
    }

    /** A copy of {@code jar} with one more manifest header: a changed bundle (other bytes), same code. */
    static Path withHeader(Path jar, Path out, String name, String value) {
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            Manifest manifest = new Manifest(in.getManifest());
            manifest.getMainAttributes().putValue(name, value);
            try (JarOutputStream o = new JarOutputStream(Files.newOutputStream(out), manifest)) {
                for (JarEntry e; (e = in.getNextJarEntry()) != null;) {
                    o.putNextEntry(new JarEntry(e.getName()));
                    in.transferTo(o);
                    o.closeEntry();
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String sha256(Path file) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code Bundle-SymbolicName} (without directives) and {@code Bundle-Version} of a jar. */
    static String[] nameAndVersion(Path jar) {
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            Attributes a = in.getManifest().getMainAttributes();
            String name = a.getValue("Bundle-SymbolicName").split(";")[0].trim();
            String version = a.getValue("Bundle-Version");
            return new String[] {name, version == null ? "0.0.0" : version};
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void addClass(Map<String, byte[]> entries, Class<?> type) {
        String path = type.getName().replace('.', '/') + ".class";
        try (InputStream in = FixtureBundles.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("class file not found: " + path);
            }
            entries.put(path, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path write(Path jar, Map<String, String> headers, Map<String, byte[]> entries) {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().putValue("Bundle-ManifestVersion", "2");
        headers.forEach((k, v) -> manifest.getMainAttributes().putValue(k, v));
        try {
            Files.createDirectories(jar.getParent());
            try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, manifest)) {
                for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                    j.putNextEntry(new JarEntry(e.getKey()));
                    j.write(e.getValue());
                    j.closeEntry();
                }
            }
            return jar;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] bytes(Path p) {
        try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            Files.copy(p, out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
