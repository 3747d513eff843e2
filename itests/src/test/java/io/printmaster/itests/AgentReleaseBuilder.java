package io.printmaster.itests;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.Attributes;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Makes agent releases of other versions out of the official archive the build wrote
 * ({@code platform-agent/distribution/target/releases/printmaster-agent-v{built}-linux-{arch}.tar.gz}): the top
 * folder becomes {@code printmaster-agent-X/}, {@code VERSION} holds X, every other entry keeps its bytes and mode.
 * A release with a broken health check also carries {@value #BROKEN_BUNDLE}, a valid bundle that imports a package
 * nobody exports: the agent starts, but that bundle never becomes active.
 *
 * <p>{@link Changes} says what else differs from the official archive, which decides how an agent updates to the
 * release (issue 6): a release whose only differences are {@code VERSION} and jars in {@code bundle/} has the
 * official archive's {@code runtime_sha256}, so an agent running the official program hot-swaps it;
 * {@link Changes#withNewRuntime()} adds {@value #RUNTIME_CHANGE_FILE} at the top (outside {@code bundle/} and {@code etc/}),
 * so the release needs a full install. {@link Changes#bundle} rewrites a bundle's jar with one extra entry,
 * {@value #CHANGE_MARKER} holding the version: a valid bundle (same manifest, same symbolic name and version) with a
 * new sha256.
 *
 * <p>{@link #publish} puts a release into a folder the way the release-feed guide asks for a {@code directory}
 * source: the archive copied in under a dot-name and renamed, and its line appended to {@code SHA256SUMS} (rewritten
 * whole and renamed, so a sync never reads half a file).
 */
final class AgentReleaseBuilder {
    static final String BROKEN_BUNDLE = "bundle/zz-broken-health.jar";
    static final String BROKEN_BUNDLE_SYMBOLIC_NAME = "io.printmaster.test.broken";
    /** The entry {@link Changes#bundle} adds to a changed bundle's jar; it holds the release's version. */
    static final String CHANGE_MARKER = "META-INF/printmaster-test-release.txt";
    /** The top-level file {@link Changes#withNewRuntime()} adds; it holds the release's version. */
    static final String RUNTIME_CHANGE_FILE = "RELEASE-NOTES.txt";
    private static final Pattern VERSION = Pattern.compile("[0-9A-Za-z][0-9A-Za-z._+-]*");

    private final Path official;
    private final String builtVersion;

    private AgentReleaseBuilder(Path official, String builtVersion) {
        this.official = official;
        this.builtVersion = builtVersion;
    }

    /** From the official Linux archive of this machine's arch in {@code pm.agent.releases}. */
    static AgentReleaseBuilder fromBuild() throws IOException {
        String releases = System.getProperty("pm.agent.releases");
        if (releases == null) {
            throw new IllegalStateException("system property pm.agent.releases is not set (run through Maven failsafe)");
        }
        String built = Files.readString(Path.of(System.getProperty("pm.agent.dist")).resolve("VERSION")).strip();
        Path archive = Path.of(releases).resolve(assetName(built));
        if (!Files.isRegularFile(archive)) {
            throw new IllegalStateException("the official agent archive is not built: " + archive);
        }
        return new AgentReleaseBuilder(archive, built);
    }

    static AgentReleaseBuilder from(Path officialArchive, String builtVersion) {
        return new AgentReleaseBuilder(officialArchive, builtVersion);
    }

    String builtVersion() {
        return builtVersion;
    }

    /** The archive this builder makes releases from (the official one, or the release given to {@link #from}). */
    Path base() {
        return official;
    }

    /** {@code amd64} or {@code arm64}, as release file names spell this machine's arch. */
    static String arch() {
        String a = System.getProperty("os.arch");
        return switch (a) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            default -> throw new IllegalStateException("no agent release for arch " + a);
        };
    }

    static String platform() {
        return "linux-" + arch();
    }

    static String assetName(String version) {
        return "printmaster-agent-v" + version + "-" + platform() + ".tar.gz";
    }

    /**
     * What a release changes besides its folder name and {@code VERSION}.
     *
     * @param bundles symbolic names of the bundles whose jars get {@value #CHANGE_MARKER} (each must be in the
     *                official archive)
     * @param brokenHealth adds {@value #BROKEN_BUNDLE}, a bundle that never resolves
     * @param newRuntime adds {@value #RUNTIME_CHANGE_FILE} at the top: the runtime changes, a full install is needed
     */
    record Changes(Set<String> bundles, boolean brokenHealth, boolean newRuntime) {
        /** Only the name and {@code VERSION}: the official archive under another version. */
        static final Changes NONE = new Changes(Set.of(), false, false);

        Changes {
            bundles = Set.copyOf(new TreeSet<>(bundles));
        }

        /** A hot-swappable release changing these bundles. */
        static Changes bundles(String... symbolicNames) {
            return NONE.bundle(symbolicNames);
        }

        /** A release that needs a full install (its runtime differs). */
        static Changes fullInstall() {
            return NONE.withNewRuntime();
        }

        Changes bundle(String... symbolicNames) {
            Set<String> all = new TreeSet<>(bundles);
            all.addAll(Arrays.asList(symbolicNames));
            return new Changes(all, brokenHealth, newRuntime);
        }

        Changes broken() {
            return new Changes(bundles, true, newRuntime);
        }

        Changes broken(boolean broken) {
            return new Changes(bundles, broken, newRuntime);
        }

        Changes withNewRuntime() {
            return new Changes(bundles, brokenHealth, true);
        }
    }

    /** Writes release {@code version} as {@code <folder>/printmaster-agent-v{version}-linux-<arch>.tar.gz}. */
    Path write(Path folder, String version, boolean brokenHealth) throws IOException {
        return write(folder, version, Changes.NONE.broken(brokenHealth));
    }

    /**
     * Writes release {@code version}, with {@code changes}, as
     * {@code <folder>/printmaster-agent-v{version}-linux-<arch>.tar.gz}.
     */
    Path write(Path folder, String version, Changes changes) throws IOException {
        if (!VERSION.matcher(version).matches()) {
            throw new IllegalArgumentException("not a version name: " + version);
        }
        List<TarGz.Entry> entries;
        try (InputStream in = Files.newInputStream(official)) {
            entries = TarGz.read(in);
        }
        String oldTop = "printmaster-agent-" + builtVersion + "/";
        String newTop = "printmaster-agent-" + version + "/";
        List<TarGz.Entry> out = new ArrayList<>();
        boolean sawVersion = false;
        Set<String> toChange = new TreeSet<>(changes.bundles());
        for (TarGz.Entry e : entries) {
            if (!e.name().startsWith(oldTop)) {
                throw new IOException(official + ": entry " + e.name() + " is outside " + oldTop);
            }
            String rest = e.name().substring(oldTop.length());
            if (rest.equals("VERSION")) {
                sawVersion = true;
                out.add(new TarGz.Entry(newTop + rest, (version + "\n").getBytes(StandardCharsets.UTF_8), e.mode(), false));
            } else if (isBundleJar(rest) && !e.directory() && toChange.remove(symbolicName(e.content()).orElse(""))) {
                out.add(new TarGz.Entry(newTop + rest, withMarker(e.content(), version), e.mode(), false));
            } else {
                out.add(new TarGz.Entry(newTop + rest, e.content(), e.mode(), e.directory()));
            }
        }
        if (!sawVersion) {
            throw new IOException(official + " has no " + oldTop + "VERSION");
        }
        if (!toChange.isEmpty()) {
            throw new IllegalArgumentException("no bundle " + toChange + " in " + official);
        }
        if (changes.brokenHealth()) {
            out.add(new TarGz.Entry(newTop + BROKEN_BUNDLE, unresolvableBundle(), 0644, false));
        }
        if (changes.newRuntime()) {
            out.add(new TarGz.Entry(newTop + RUNTIME_CHANGE_FILE, ("Test release " + version + "\n")
                    .getBytes(StandardCharsets.UTF_8), 0644, false));
        }
        Path target = folder.resolve(assetName(version));
        TarGz.write(target, out);
        return target;
    }

    /**
     * Writes the release into {@code folder} under a temporary name, renames it to its asset name and adds its line
     * to {@code SHA256SUMS}: what an operator does for a {@code directory} release source.
     */
    Path publish(Path folder, String version, boolean brokenHealth) throws IOException {
        return publish(folder, version, Changes.NONE.broken(brokenHealth));
    }

    /** {@link #publish(Path, String, boolean)} of a release with {@code changes}. */
    Path publish(Path folder, String version, Changes changes) throws IOException {
        Path scratch = Files.createTempDirectory("pm-release-" + version);
        Path built = write(scratch, version, changes);
        Path hidden = folder.resolve("." + built.getFileName() + ".part");
        Files.move(built, hidden, StandardCopyOption.REPLACE_EXISTING);
        Path visible = folder.resolve(built.getFileName());
        Path sums = folder.resolve("SHA256SUMS");
        String line = sha256(hidden) + "  " + visible.getFileName() + "\n";
        String before = Files.exists(sums) ? Files.readString(sums) : "";
        Path sumsTemp = folder.resolve(".SHA256SUMS.tmp");
        Files.writeString(sumsTemp, before + line);
        Files.move(sumsTemp, sums, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.move(hidden, visible, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.delete(scratch);
        return visible;
    }

    /** {@code bundle/<name>.jar} directly in {@code bundle/}, as the manifest's {@code bundles} list counts them. */
    private static boolean isBundleJar(String pathInTop) {
        return pathInTop.startsWith("bundle/") && pathInTop.endsWith(".jar") && pathInTop.indexOf('/', "bundle/".length()) < 0;
    }

    /** The jar's {@code Bundle-SymbolicName} without directives; empty when it has none. */
    static Optional<String> symbolicName(byte[] jar) throws IOException {
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar))) {
            Manifest m = in.getManifest();
            String name = m == null ? null : m.getMainAttributes().getValue("Bundle-SymbolicName");
            return name == null ? Optional.empty() : Optional.of(name.split(";", 2)[0].strip());
        }
    }

    /**
     * The jar with every entry kept in order (the manifest stays first) and {@value #CHANGE_MARKER} added at the end,
     * holding {@code version}: the same bundle, new bytes.
     */
    static byte[] withMarker(byte[] jar, String version) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(jar.length + 1024);
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(jar));
             ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                if (e.getName().equals(CHANGE_MARKER)) {
                    continue; // a jar changed before: one marker, this version's
                }
                ZipEntry copy = new ZipEntry(e.getName());
                if (e.getLastModifiedTime() != null) {
                    copy.setLastModifiedTime(e.getLastModifiedTime());
                }
                out.putNextEntry(copy);
                in.transferTo(out);
                out.closeEntry();
            }
            ZipEntry marker = new ZipEntry(CHANGE_MARKER);
            marker.setTime(0);
            out.putNextEntry(marker);
            out.write(("PrintMaster test release " + version + "\n").getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return bytes.toByteArray();
    }

    /**
     * The regular files of an agent archive written by this builder (or the official one), by path below the top
     * folder, as their bytes.
     */
    static Map<String, byte[]> files(Path archive) throws IOException {
        List<TarGz.Entry> entries;
        try (InputStream in = Files.newInputStream(archive)) {
            entries = TarGz.read(in);
        }
        Map<String, byte[]> out = new TreeMap<>();
        for (TarGz.Entry e : entries) {
            if (!e.directory()) {
                out.put(e.name().substring(e.name().indexOf('/') + 1), e.content());
            }
        }
        return out;
    }

    /** Symbolic name → sha256 of the bundle jars directly in the archive's {@code bundle/}. */
    static Map<String, String> bundleHashes(Path archive) throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (Map.Entry<String, byte[]> f : files(archive).entrySet()) {
            if (isBundleJar(f.getKey())) {
                Optional<String> name = symbolicName(f.getValue());
                if (name.isPresent()) {
                    out.put(name.get(), sha256(f.getValue()));
                }
            }
        }
        return out;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A bundle with a manifest only, importing a package nobody exports: it installs, but never resolves. */
    static byte[] unresolvableBundle() throws IOException {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", BROKEN_BUNDLE_SYMBOLIC_NAME);
        main.putValue("Bundle-Version", "1.0.0");
        main.putValue("Bundle-Name", "PrintMaster test: a bundle that never resolves");
        main.putValue("Import-Package", "io.printmaster.does.not.exist");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes, manifest)) {
            jar.flush();
        }
        return bytes.toByteArray();
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[65536];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
