package io.printmaster.agent.packager;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;

/**
 * The Java modules the agent needs, found from its jars, so a new dependency cannot silently miss its module:
 * <ul>
 *   <li>{@code jdeps} over the class files of every jar of {@code lib/} (the launcher class path) and {@code bundle/}
 *   (module descriptors left out: jdeps would resolve the jars as modules and stop at the first optional dependency
 *   that is not shipped);</li>
 *   <li>the JDK packages the bundles import ({@code Import-Package}, optional ones too): Felix resolves a bundle's
 *   {@code java.*}/{@code javax.*} imports against the packages of the running Java, so jetty-util's import of
 *   {@code java.awt} makes {@code java.desktop} mandatory even though no code path of the agent draws anything;</li>
 *   <li>{@link #ALWAYS}: modules only reached through service providers, which neither of the above sees.</li>
 * </ul>
 * jlink adds what these require in turn.
 */
final class RuntimeModules {
    /**
     * {@code jdk.crypto.ec}: the SunEC provider, Java 17's elliptic curves for TLS (ECDHE key exchange, ECDSA server
     * certificates) and Ed25519 (the {@code jdk} signing provider verifying release manifests);
     * {@code jdk.unsupported}: {@code sun.misc.Unsafe}, which libraries look up by reflection.
     */
    static final List<String> ALWAYS = List.of("jdk.crypto.ec", "jdk.unsupported");

    private RuntimeModules() {
    }

    /** The modules for the jars of {@code dist}'s {@code lib/} and {@code bundle/}, sorted. */
    static List<String> of(Path dist, Path work) throws IOException {
        List<Path> jars = jars(dist);
        Set<String> modules = new TreeSet<>(ALWAYS);
        modules.addAll(jdeps(jars, work));
        modules.addAll(importedJdkModules(jars));
        return List.copyOf(modules);
    }

    static List<Path> jars(Path dist) throws IOException {
        List<Path> jars = new ArrayList<>();
        for (String folder : List.of("lib", "bundle")) {
            Path dir = dist.resolve(folder);
            if (!Files.isDirectory(dir)) {
                throw new IOException("the agent folder " + dist + " has no " + folder + "/: build it first");
            }
            try (Stream<Path> files = Files.list(dir)) {
                files.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().forEach(jars::add);
            }
        }
        return jars;
    }

    /** jdeps {@code --print-module-deps} over the class files of {@code jars}, unpacked one folder per jar. */
    static Set<String> jdeps(List<Path> jars, Path work) throws IOException {
        Path classes = work.resolve("jdeps-classes");
        RuntimeImage.deleteTree(classes);
        List<String> args = new ArrayList<>(List.of("--ignore-missing-deps", "--print-module-deps"));
        int n = 0;
        for (Path jar : jars) {
            Path into = classes.resolve(String.valueOf(n++));
            if (unpackClasses(jar, into) > 0) {
                args.add(into.toString());
            }
        }
        if (args.size() == 2) {
            RuntimeImage.deleteTree(classes);
            return Set.of();
        }
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow(() -> new IOException(
                "this Java (" + System.getProperty("java.home") + ") has no jdeps: build with a JDK"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintWriter o = new PrintWriter(out, true, StandardCharsets.UTF_8);
             PrintWriter e = new PrintWriter(err, true, StandardCharsets.UTF_8)) {
            code = jdeps.run(o, e, args.toArray(String[]::new));
        }
        RuntimeImage.deleteTree(classes);
        String printed = out.toString(StandardCharsets.UTF_8).strip();
        if (code != 0 || printed.isEmpty()) {
            throw new IOException("jdeps failed (exit " + code + "): " + printed + err.toString(StandardCharsets.UTF_8));
        }
        // the answer is the last line: modules, comma-separated
        String[] lines = printed.split("\\R");
        Set<String> modules = new TreeSet<>();
        for (String m : lines[lines.length - 1].split(",")) {
            if (!m.isBlank()) {
                modules.add(m.strip());
            }
        }
        return modules;
    }

    private static int unpackClasses(Path jar, Path into) throws IOException {
        int count = 0;
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar), false)) {
            for (JarEntry e; (e = in.getNextJarEntry()) != null; ) {
                String name = e.getName();
                if (e.isDirectory() || !name.endsWith(".class") || name.endsWith("module-info.class")
                        || name.startsWith("META-INF/") || name.contains("..")) {
                    continue;
                }
                Path to = into.resolve(name);
                Files.createDirectories(to.getParent());
                Files.copy(in, to);
                count++;
            }
        }
        return count;
    }

    /** The JDK modules exporting a package that some jar's {@code Import-Package} names. */
    static Set<String> importedJdkModules(List<Path> jars) throws IOException {
        Map<String, String> moduleOfPackage = new HashMap<>();
        for (ModuleReference ref : ModuleFinder.ofSystem().findAll()) {
            ModuleDescriptor d = ref.descriptor();
            for (ModuleDescriptor.Exports e : d.exports()) {
                if (!e.isQualified()) {
                    moduleOfPackage.put(e.source(), d.name());
                }
            }
        }
        Set<String> modules = new TreeSet<>();
        for (Path jar : jars) {
            for (String pkg : importedPackages(jar)) {
                String module = moduleOfPackage.get(pkg);
                if (module != null) {
                    modules.add(module);
                }
            }
        }
        return modules;
    }

    static List<String> importedPackages(Path jar) throws IOException {
        Manifest mf;
        try (InputStream in = Files.newInputStream(jar); JarInputStream j = new JarInputStream(in, false)) {
            mf = j.getManifest();
        }
        String header = mf == null ? null : mf.getMainAttributes().getValue("Import-Package");
        List<String> packages = new ArrayList<>();
        if (header == null) {
            return packages;
        }
        // clauses are separated by commas outside quotes (version ranges hold commas inside quotes)
        StringBuilder clause = new StringBuilder();
        boolean quoted = false;
        for (char c : (header + ",").toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == ',' && !quoted) {
                for (String name : clause.toString().split(";")) {
                    // a clause may list several packages before its attributes: "a;b;version=..."
                    if (name.contains("=") || name.isBlank()) {
                        break;
                    }
                    packages.add(name.strip());
                }
                clause.setLength(0);
            } else {
                clause.append(c);
            }
        }
        return packages;
    }
}
