package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dependency rules of docs/architecture.md, checked on what is shipped: the manifests of the bundles in the built server and
 * agent distributions and of the plugin jars. A rule broken in code shows up here as the import or export that
 * breaks it.
 */
class ArchitectureIT {
    private static final String OURS = "io.printmaster.";
    private static final String API = "io.printmaster.api";

    /** A bundle as its manifest describes it. */
    record BundleInfo(Path jar, String symbolicName, Map<String, Map<String, String>> exports,
                      Map<String, Map<String, String>> imports, String dynamicImports) {
        boolean ours() {
            return symbolicName.startsWith(OURS);
        }

        /** Imported packages of ours, less those it exports itself (bnd imports what it exports, for substitution). */
        Set<String> importsOfOurs() {
            Set<String> out = new TreeSet<>();
            for (String p : imports.keySet()) {
                if (p.startsWith(OURS) && !exports.containsKey(p)) {
                    out.add(p);
                }
            }
            return out;
        }

        @Override
        public String toString() {
            return symbolicName + " (" + jar.getFileName() + ")";
        }
    }

    static List<BundleInfo> server;
    static List<BundleInfo> agent;
    static List<BundleInfo> plugins;

    @BeforeAll
    static void readManifests() throws IOException {
        server = bundlesIn(ServerContainer.distribution().resolve("bundle"));
        agent = bundlesIn(ServerContainer.agentDistribution().resolve("bundle"));
        plugins = pluginBundles();
    }

    private static List<BundleInfo> bundlesIn(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<BundleInfo> out = new ArrayList<>();
            for (Path jar : s.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
                out.add(read(jar));
            }
            return out;
        }
    }

    /**
     * Every plugin module's built bundle ({@code plugins-<kind>/<name>/target/*.jar}, the example plugin included),
     * and the plugins that live under {@code bundles/}: signing providers and service managers
     * ({@code bundles/signing-*}, {@code bundles/servicemanager-*}).
     */
    private static List<BundleInfo> pluginBundles() throws IOException {
        Path example = Path.of(System.getProperty("pm.example.plugin")).toAbsolutePath().normalize();
        Path workspace = Path.of(System.getProperty("pm.workspace")).toAbsolutePath().normalize();
        List<BundleInfo> out = new ArrayList<>();
        try (Stream<Path> kinds = Files.list(workspace)) {
            for (Path kind : kinds.filter(p -> p.getFileName().toString().startsWith("plugins-") && Files.isDirectory(p)).toList()) {
                try (Stream<Path> jars = Files.find(kind, 3, (p, a) -> a.isRegularFile()
                        && p.getParent().getFileName().toString().equals("target") && p.toString().endsWith(".jar"))) {
                    for (Path jar : jars.sorted().toList()) {
                        BundleInfo b = read(jar);
                        if (b.symbolicName() != null) {
                            out.add(b);
                        }
                    }
                }
            }
        }
        try (Stream<Path> modules = Files.list(workspace.resolve("bundles"))) {
            for (Path module : modules.filter(p -> p.getFileName().toString().startsWith("signing-")
                    || p.getFileName().toString().startsWith("servicemanager-")).sorted().toList()) {
                try (Stream<Path> jars = Files.list(module.resolve("target"))) {
                    for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
                        out.add(read(jar));
                    }
                }
            }
        }
        assertTrue(out.stream().anyMatch(b -> b.symbolicName().equals("io.printmaster.signing.bouncycastle")),
                "the signing providers count as plugins: " + out);
        assertTrue(out.stream().anyMatch(b -> b.jar().toAbsolutePath().normalize().equals(example)),
                "the example plugin " + example + " is built and found among " + out);
        return out;
    }

    private static BundleInfo read(Path jar) throws IOException {
        try (JarFile f = new JarFile(jar.toFile())) {
            Manifest m = f.getManifest();
            assertNotNull(m, jar + " has no manifest");
            Attributes a = m.getMainAttributes();
            String bsn = a.getValue("Bundle-SymbolicName");
            bsn = bsn == null ? null : bsn.split(";")[0].trim();
            return new BundleInfo(jar, bsn, Headers.parse(a.getValue("Export-Package")),
                    Headers.parse(a.getValue("Import-Package")), a.getValue("DynamicImport-Package"));
        }
    }

    private static List<BundleInfo> allOfOurs() {
        List<BundleInfo> all = new ArrayList<>();
        for (List<BundleInfo> group : List.of(server, agent, plugins)) {
            group.stream().filter(BundleInfo::ours).forEach(all::add);
        }
        return all;
    }

    @Test
    void theDistributionsHoldOurBundles() {
        assertTrue(server.stream().filter(BundleInfo::ours).count() >= 5, "server bundles: " + server);
        assertTrue(agent.stream().filter(BundleInfo::ours).count() >= 4, "agent bundles: " + agent);
        assertTrue(server.stream().anyMatch(b -> b.symbolicName().equals(API)), "the server ships the API");
        assertTrue(agent.stream().anyMatch(b -> b.symbolicName().equals(API)), "the agent ships the API");
    }

    @Test
    void noBundleExportsAnImplementationPackage() {
        List<String> violations = new ArrayList<>();
        for (BundleInfo b : allOfOurs()) {
            for (String p : b.exports().keySet()) {
                if (p.endsWith(".impl") || p.contains(".impl.")) {
                    violations.add(b + " exports " + p);
                }
            }
        }
        assertEquals(List.of(), violations, "implementation packages must stay private");
    }

    @Test
    void everyExportedPackageOfOursHasAVersion() {
        List<String> violations = new ArrayList<>();
        for (BundleInfo b : allOfOurs()) {
            b.exports().forEach((p, attrs) -> {
                if (p.startsWith(OURS) && (attrs.get("version") == null || attrs.get("version").isBlank())) {
                    violations.add(b + " exports " + p + " without a version");
                }
            });
        }
        assertEquals(List.of(), violations, "exported packages need @Version in their package-info.java");
    }

    @Test
    void theApiImportsNothingOfOurs() {
        int seen = 0;
        for (BundleInfo b : allOfOurs()) {
            if (b.symbolicName().equals(API)) {
                seen++;
                assertEquals(Set.of(), b.importsOfOurs(), b + " must depend on nothing of ours");
                assertTrue(b.exports().keySet().stream().allMatch(p -> p.equals(API) || p.startsWith(API + ".")),
                        b + " exports only io.printmaster.api packages: " + b.exports().keySet());
            }
        }
        assertTrue(seen > 0, "the API bundle is in the distributions");
    }

    @Test
    void pluginsImportOnlyTheApiOfOurs() {
        List<String> violations = new ArrayList<>();
        for (BundleInfo b : plugins) {
            for (String p : b.importsOfOurs()) {
                if (!p.equals(API) && !p.startsWith(API + ".")) {
                    violations.add(b + " imports " + p);
                }
            }
            if (b.dynamicImports() != null) {
                violations.add(b + " has DynamicImport-Package: " + b.dynamicImports() + ", which hides what it uses");
            }
        }
        assertEquals(List.of(), violations, "plugins depend only on the API");
    }

    /**
     * The one exception: the server's self-update swaps its bundles with the agent's hot-swap engine (shared, not
     * copied), which comes with the agent bundle it needs (file helpers, RunningRelease). The selfupdate bundle imports
     * the engine's API and RunningRelease, optionally.
     */
    static final java.util.Set<String> SHARED_HOT_SWAP = java.util.Set.of("io.printmaster.agent.hotswap",
            "io.printmaster.agent.config");
    static final java.util.Set<String> SHARED_HOT_SWAP_API = java.util.Set.of("io.printmaster.agent.hotswap.api",
            "io.printmaster.agent.update.api");

    @Test
    void serverAndAgentNeverDependOnEachOther() {
        List<String> violations = new ArrayList<>();
        for (BundleInfo b : server) {
            if (SHARED_HOT_SWAP.contains(b.symbolicName())) {
                continue; // the agent's hot-swap engine and its config bundle, shipped in the server as they are
            }
            b.imports().keySet().stream().filter(p -> p.startsWith("io.printmaster.agent."))
                    .filter(p -> !SHARED_HOT_SWAP_API.contains(p))
                    .forEach(p -> violations.add("server bundle " + b + " imports " + p));
        }
        for (BundleInfo b : agent) {
            b.imports().keySet().stream().filter(p -> p.startsWith("io.printmaster.server."))
                    .forEach(p -> violations.add("agent bundle " + b + " imports " + p));
        }
        assertEquals(List.of(), violations);
    }

    @Test
    void nothingShippedImportsAPluginsPackages() {
        Map<String, BundleInfo> pluginExports = new LinkedHashMap<>();
        for (BundleInfo p : plugins) {
            p.exports().keySet().forEach(pkg -> pluginExports.put(pkg, p));
        }
        List<String> violations = new ArrayList<>();
        for (List<BundleInfo> dist : List.of(server, agent)) {
            for (BundleInfo b : dist) {
                for (String pkg : b.imports().keySet()) {
                    if (pluginExports.containsKey(pkg)) {
                        violations.add(b + " imports " + pkg + " of plugin " + pluginExports.get(pkg));
                    }
                }
            }
        }
        assertEquals(List.of(), violations, "the platform finds plugins as services, never by their classes");
    }

    /**
     * Bundles that serve the server alone: its own modules, what needs the database (Derby, the store with its connection
     * pool and the PostgreSQL driver, the security
     * bundle with accounts and sessions), the plugins only the server runs (release sources, installer formats) and
     * the BouncyCastle signing provider with its library. An agent stays small and exposes less.
     */
    private static final List<String> SERVER_ONLY_PREFIXES = List.of("io.printmaster.server.",
            "io.printmaster.releasesource.", "io.printmaster.installer.");
    private static final Set<String> SERVER_ONLY_BUNDLES = Set.of("io.printmaster.lib.derby", "io.printmaster.store",
            "io.printmaster.security", "io.printmaster.signing.bouncycastle", "bcprov", "com.zaxxer.HikariCP",
            "org.postgresql.jdbc");

    static boolean serverOnly(String symbolicName) {
        return SERVER_ONLY_BUNDLES.contains(symbolicName)
                || SERVER_ONLY_PREFIXES.stream().anyMatch(symbolicName::startsWith);
    }

    @Test
    void theAgentShipsNoServerOnlyBundle() {
        assertTrue(server.stream().anyMatch(b -> serverOnly(b.symbolicName())), "the rule names real bundles");
        List<String> violations = agent.stream().filter(b -> serverOnly(b.symbolicName()))
                .map(b -> "agent distribution ships server-only bundle " + b).toList();
        assertEquals(List.of(), violations);
    }

    /**
     * Our bundles whose DynamicImport-Package is allowed, with the reason. Anything else must declare its imports:
     * a dynamic import hides a dependency from the resolver until the class is first loaded, in production.
     */
    private static final Map<String, String> DYNAMIC_IMPORT_ALLOWED = Map.of(
            "io.printmaster.lib.derby", "Derby (merged from its three jars) loads user classes by name: SQL functions"
                    + " and procedures, optional tools; derby.jar's own manifest has the same DynamicImport-Package: *");

    @Test
    void noBundleOfOursImportsDynamicallyBeyondTheAllowList() {
        List<String> violations = new ArrayList<>();
        Set<String> allowedSeen = new TreeSet<>();
        for (BundleInfo b : allOfOurs()) {
            if (b.dynamicImports() == null) {
                continue;
            }
            if (DYNAMIC_IMPORT_ALLOWED.containsKey(b.symbolicName())) {
                allowedSeen.add(b.symbolicName());
            } else {
                violations.add(b + " has DynamicImport-Package: " + b.dynamicImports());
            }
        }
        assertEquals(List.of(), violations, "declare imports in Import-Package (optional if need be)");
        assertEquals(DYNAMIC_IMPORT_ALLOWED.keySet(), allowedSeen,
                "an allow-list entry whose bundle no longer imports dynamically must go");
    }

    @Test
    void noImplementationPackageIsSplitAcrossBundles() throws IOException {
        Map<String, Set<String>> bundlesByPackage = new LinkedHashMap<>();
        for (BundleInfo b : allOfOurs()) {
            for (String pkg : classPackages(b.jar())) {
                if (pkg.endsWith(".impl") || pkg.contains(".impl.")) {
                    bundlesByPackage.computeIfAbsent(pkg, k -> new TreeSet<>()).add(b.symbolicName());
                }
            }
        }
        assertTrue(bundlesByPackage.size() > 10, "the rule sees our impl packages: " + bundlesByPackage.keySet());
        List<String> violations = new ArrayList<>();
        bundlesByPackage.forEach((pkg, owners) -> {
            if (owners.size() > 1) {
                violations.add(pkg + " is in " + owners);
            }
        });
        assertEquals(List.of(), violations,
                "a private package in two bundles is two different packages at runtime: one bundle's types are not"
                        + " the other's, and package-private access between them fails");
    }

    /** The packages that hold classes in a jar (its own entries, not embedded jars). */
    private static Set<String> classPackages(Path jar) throws IOException {
        Set<String> out = new TreeSet<>();
        try (JarFile f = new JarFile(jar.toFile())) {
            f.stream().map(e -> e.getName())
                    .filter(n -> n.endsWith(".class") && n.contains("/") && !n.startsWith("META-INF/"))
                    .forEach(n -> out.add(n.substring(0, n.lastIndexOf('/')).replace('/', '.')));
        }
        return out;
    }

    /**
     * Every bundle of ours that exports a package is semantically versioned against its last release: its module
     * runs bnd-baseline-maven-plugin, and the release's jar is in cnf/baseline-repo (failOnMissing makes a missing one
     * fail that module's build; this names the bundle whose module forgot the plugin). A bundle that did not exist at
     * that release has nothing to compare with until the next one adds its jar: cnf/baseline-repo/unreleased.txt
     * lists it meanwhile.
     */
    @Test
    void everyExportingBundleOfOursIsBaselined() throws IOException {
        Path workspace = Path.of(System.getProperty("pm.workspace")).toAbsolutePath().normalize();
        Map<String, Path> modulePoms = new LinkedHashMap<>();
        try (Stream<Path> s = Files.find(workspace, 4, (p, a) -> p.getFileName().toString().equals("pom.xml")
                && !p.toString().contains("/target/") && !p.toString().contains("/cnf/"))) {
            for (Path pom : s.toList()) {
                String text = Files.readString(pom);
                int parentEnd = text.indexOf("</parent>");
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("<artifactId>([^<]+)</artifactId>")
                        .matcher(text.substring(Math.max(parentEnd, 0)));
                if (m.find()) {
                    modulePoms.put(m.group(1), pom);
                }
            }
        }
        Set<String> exporting = new TreeSet<>();
        for (BundleInfo b : allOfOurs()) {
            if (!b.exports().isEmpty()) {
                exporting.add(b.symbolicName());
            }
        }
        assertTrue(exporting.contains(API), "the rule sees the exporting bundles: " + exporting);
        List<String> violations = new ArrayList<>();
        Set<String> unreleased = unreleasedBundles(workspace);
        for (String bsn : exporting) {
            if (unreleased.contains(bsn)) {
                // new since the last release: nothing to compare with until the next release puts its jar there
                if (Files.isDirectory(workspace.resolve("cnf/baseline-repo/io/printmaster").resolve(bsn))) {
                    violations.add(bsn + ": listed in cnf/baseline-repo/unreleased.txt but it has a released jar");
                }
                continue;
            }
            Path pom = modulePoms.get(bsn);
            if (pom == null) {
                violations.add(bsn + ": no module found");
                continue;
            }
            if (!Files.readString(pom).contains("<artifactId>bnd-baseline-maven-plugin</artifactId>")) {
                violations.add(bsn + ": " + workspace.relativize(pom) + " does not run bnd-baseline-maven-plugin");
            }
            Path released = workspace.resolve("cnf/baseline-repo/io/printmaster").resolve(bsn);
            if (!Files.isDirectory(released)) {
                violations.add(bsn + ": no released jar in " + workspace.relativize(released));
            }
        }
        assertEquals(List.of(), violations);
    }

    /** The bundles cnf/baseline-repo/unreleased.txt names: exporting bundles added after the last release. */
    private static Set<String> unreleasedBundles(Path workspace) throws IOException {
        Set<String> out = new TreeSet<>();
        for (String line : Files.readAllLines(workspace.resolve("cnf/baseline-repo/unreleased.txt"))) {
            String name = line.strip();
            if (!name.isEmpty() && !name.startsWith("#")) {
                out.add(name);
            }
        }
        return out;
    }

    /** OSGi manifest headers: {@code name;name;attr=value;dir:="a,b",next} (quoted parts may hold , and ;). */
    static final class Headers {
        private Headers() {
        }

        static Map<String, Map<String, String>> parse(String header) {
            Map<String, Map<String, String>> out = new LinkedHashMap<>();
            if (header == null || header.isBlank()) {
                return out;
            }
            for (String clause : split(header, ',')) {
                List<String> names = new ArrayList<>();
                Map<String, String> attrs = new LinkedHashMap<>();
                for (String part : split(clause, ';')) {
                    String p = part.trim();
                    int eq = p.indexOf('=');
                    if (eq < 0) {
                        names.add(p);
                        continue;
                    }
                    // a directive keeps its colon (uses:), an attribute has none (version)
                    String key = p.substring(0, eq);
                    String value = p.substring(eq + 1).trim();
                    if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                        value = value.substring(1, value.length() - 1);
                    }
                    attrs.put(key.trim(), value);
                }
                for (String n : names) {
                    out.put(n, attrs);
                }
            }
            return out;
        }

        private static List<String> split(String s, char separator) {
            List<String> parts = new ArrayList<>();
            StringBuilder current = new StringBuilder();
            boolean quoted = false;
            for (char c : s.toCharArray()) {
                if (c == '"') {
                    quoted = !quoted;
                }
                if (c == separator && !quoted) {
                    parts.add(current.toString());
                    current.setLength(0);
                } else {
                    current.append(c);
                }
            }
            if (!current.toString().isBlank()) {
                parts.add(current.toString());
            }
            return parts;
        }
    }

    @Test
    void headerParserReadsQuotedListsAndAttributes() {
        Map<String, Map<String, String>> h = Headers.parse(
                "a.b;version=\"1.0.0\";uses:=\"x.y,z\",c.d;e.f;version=\"[1.0,2)\",g");
        assertEquals(List.of("a.b", "c.d", "e.f", "g"), new ArrayList<>(h.keySet()));
        assertEquals("1.0.0", h.get("a.b").get("version"));
        assertEquals("x.y,z", h.get("a.b").get("uses:"));
        assertEquals("[1.0,2)", h.get("e.f").get("version"));
        assertEquals(Map.of(), h.get("g"));
    }
}
