package io.printmaster.agent.packager;

import io.printmaster.agent.packager.AgentPackager.Target;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The trimmed Java runtime an official archive carries as {@code runtime/}: a jlink image of the
 * {@linkplain RuntimeModules modules the agent needs}, made from one platform's JDK modules ({@code jmods/}) by the
 * jlink of the JDK running the build (jlink refuses modules of another feature version, and so does this class, with
 * the property to fix).
 *
 * <p>Which JDK serves which platform: {@code -Dpm.jdk.<platform>=<JDK folder>} (for instance
 * {@code -Dpm.jdk.linux-arm64=/opt/jdk-17-aarch64}); the build machine's own platform defaults to the JDK running the
 * build; {@code none} builds that platform without a runtime; a platform with no JDK gets none. Each image is cached
 * under the work folder with a fingerprint of its inputs (the jlink version, the jmods, the modules, the options), so
 * jlink runs once per platform until one of them changes; uncompressed, the jlink output is the same bytes for the
 * same inputs ({@link #JLINK_OPTIONS}) and the packager fixes the entry times, so archives with a runtime stay
 * reproducible.
 */
public final class RuntimeImage {
    /**
     * Small and without what a service does not use, and NOT compressed: Java 17's jlink compression plugins
     * ({@code --compress=1}, shared strings, and {@code 2}, zipped resources) give a different {@code lib/modules} from
     * run to run for the same inputs (seen with 17.0.15: two outputs alternating), which would make the archives
     * irreproducible and change the runtime fingerprint at every build, so that no release could be hot-swapped.
     * Uncompressed, the output is the same bytes every time, and the archive is gzipped as a whole anyway
     * (linux-amd64, 13 modules: 26.7 MB gzipped, against 25.6 MB with 1 and 33.1 MB with 2; 77 MB unpacked;
     * docs/benchmarks.md).
     */
    static final List<String> JLINK_OPTIONS = List.of("--strip-debug", "--no-header-files", "--no-man-pages",
            "--compress=0");
    /** The value of {@code pm.jdk.<platform>} that builds that platform's archive without a runtime. */
    static final String NONE = "none";

    /** The JDK a target's runtime is made from; {@code configured}: named by {@code pm.jdk.<platform>}. */
    record Jdk(Path home, boolean configured) {
    }

    /** A finished image: where it is, the Java version of its modules, and the modules asked for. */
    public record Built(Target target, Path image, String javaVersion, List<String> modules) {
    }

    private RuntimeImage() {
    }

    /** {@code linux-amd64}: the name of {@code pm.jdk.<platform>} and of the archive's platform suffix. */
    public static String platformName(Target t) {
        return t.os + "-" + t.arch;
    }

    /** The jmod "platform" each target's JDK must have (what {@code jmod describe java.base.jmod} says). */
    static String jmodPlatform(Target t) {
        return switch (t) {
            case LINUX_AMD64 -> "linux-amd64";
            case LINUX_ARM64 -> "linux-aarch64";
            case DARWIN_ARM64 -> "macos-aarch64";
            case WINDOWS_AMD64 -> "windows-amd64";
        };
    }

    /** The target this build machine is, when it is one of the official platforms. */
    static Optional<Target> host() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        boolean amd64 = arch.equals("amd64") || arch.equals("x86_64");
        boolean arm64 = arch.equals("aarch64") || arch.equals("arm64");
        if (os.startsWith("linux")) {
            return amd64 ? Optional.of(Target.LINUX_AMD64) : arm64 ? Optional.of(Target.LINUX_ARM64) : Optional.empty();
        }
        if (os.startsWith("mac")) {
            return arm64 ? Optional.of(Target.DARWIN_ARM64) : Optional.empty();
        }
        if (os.startsWith("windows")) {
            return amd64 ? Optional.of(Target.WINDOWS_AMD64) : Optional.empty();
        }
        return Optional.empty();
    }

    /**
     * The JDK folder of each target that gets a runtime.
     *
     * @param configured {@code linux-arm64} → the value of {@code pm.jdk.linux-arm64} (blank: not set)
     * @param buildJdk the JDK running the build: the default of the {@link #host() host}'s platform
     * @throws IllegalArgumentException for a name that is no official platform
     */
    static Map<Target, Jdk> jdks(Map<String, String> configured, Path buildJdk, Optional<Target> host) {
        Map<Target, Jdk> jdks = new EnumMap<>(Target.class);
        Map<String, Target> byName = new LinkedHashMap<>();
        for (Target t : Target.values()) {
            byName.put(platformName(t), t);
        }
        for (String name : configured.keySet()) {
            if (!byName.containsKey(name)) {
                throw new IllegalArgumentException("pm.jdk." + name + ": no such platform; the platforms are "
                        + String.join(", ", byName.keySet()));
            }
        }
        for (Target t : Target.values()) {
            String value = configured.getOrDefault(platformName(t), "").strip();
            if (value.equalsIgnoreCase(NONE)) {
                continue;
            }
            if (!value.isEmpty()) {
                jdks.put(t, new Jdk(Path.of(value), true));
            } else if (host.isPresent() && host.get() == t) {
                jdks.put(t, new Jdk(buildJdk, false));
            }
        }
        return jdks;
    }

    /**
     * Builds (or takes from the cache under {@code work}) the runtime of every target that has a JDK.
     *
     * @throws IOException when a configured JDK is unusable (no jmods, another feature version or platform): a
     *     property that asks for a runtime must not silently give an archive without one. The build's own JDK
     *     without {@code jmods/} (a JDK packaged without them, e.g. Debian without {@code openjdk-17-jmods}) is only
     *     a warning: that archive is built without a runtime.
     */
    static Map<Target, Built> buildAll(Path dist, Map<Target, Jdk> jdks, Path work, PrintStream log)
            throws IOException {
        Map<Target, Built> built = new EnumMap<>(Target.class);
        List<String> modules = null;
        for (Map.Entry<Target, Jdk> e : jdks.entrySet()) {
            Jdk jdk = e.getValue();
            if (!jdk.configured() && !Files.isRegularFile(jdk.home().resolve("jmods/java.base.jmod"))) {
                log.println("[WARNING] the build's JDK " + jdk.home() + " has no jmods/: the " + platformName(e.getKey())
                        + " agent archive is built WITHOUT runtime/ (Debian: install openjdk-17-jmods; or set -Dpm.jdk."
                        + platformName(e.getKey()) + ")");
                continue;
            }
            if (modules == null) {
                modules = cachedModules(dist, work, log);
            }
            built.put(e.getKey(), build(e.getKey(), jdk.home(), modules, work.resolve(platformName(e.getKey())), log));
        }
        return built;
    }

    /** The module list, computed again only when a jar of {@code lib/} or {@code bundle/} changed. */
    static List<String> cachedModules(Path dist, Path work, PrintStream log) throws IOException {
        StringBuilder inputs = new StringBuilder("modules 1\n").append(Runtime.version()).append('\n');
        for (Path jar : RuntimeModules.jars(dist)) {
            inputs.append(dist.relativize(jar)).append(' ').append(AgentPackager.sha256(jar)).append('\n');
        }
        String key = sha256(inputs.toString());
        Path cache = work.resolve("modules.txt");
        if (Files.isRegularFile(cache)) {
            List<String> lines = Files.readAllLines(cache, StandardCharsets.UTF_8);
            if (lines.size() == 2 && lines.get(0).equals(key)) {
                return List.of(lines.get(1).split(","));
            }
        }
        List<String> modules = RuntimeModules.of(dist, work);
        Files.createDirectories(work);
        Files.writeString(cache, key + "\n" + String.join(",", modules) + "\n", StandardCharsets.UTF_8);
        log.println("[agent-packager] the agent needs the Java modules " + String.join(", ", modules));
        return modules;
    }

    /** One target's image in {@code cacheDir}/image, made by jlink unless the cached one has the same inputs. */
    static Built build(Target target, Path jdk, List<String> modules, Path cacheDir, PrintStream log) throws IOException {
        String property = "pm.jdk." + platformName(target);
        Path jmods = jdk.resolve("jmods");
        Path javaBase = jmods.resolve("java.base.jmod");
        if (!Files.isRegularFile(javaBase)) {
            throw new IOException(property + ": " + jdk + " has no jmods/java.base.jmod; point it at a full JDK of "
                    + platformName(target) + " (the JDK folder that holds jmods/)");
        }
        String[] described = describeJavaBase(javaBase);
        String version = described[0];
        String platform = described[1];
        if (!platform.equals(jmodPlatform(target))) {
            throw new IOException(property + ": the JDK " + jdk + " is for " + platform + ", not "
                    + jmodPlatform(target));
        }
        Runtime.Version jlink = Runtime.version();
        Runtime.Version modulesVersion = Runtime.Version.parse(version);
        if (modulesVersion.feature() != jlink.feature() || modulesVersion.interim() != jlink.interim()) {
            throw new IOException(property + ": the JDK " + jdk + " holds Java " + version + " modules, but the build "
                    + "runs Java " + jlink + ", whose jlink makes images of Java " + jlink.feature() + " only: use a "
                    + "Java " + jlink.feature() + " JDK for " + platformName(target) + ", or build with that JDK's "
                    + "feature version");
        }

        StringBuilder inputs = new StringBuilder("runtime 1\n");
        inputs.append("jlink ").append(jlink).append('\n');
        inputs.append("options ").append(JLINK_OPTIONS).append('\n');
        inputs.append("modules ").append(modules).append('\n');
        try (Stream<Path> files = Files.list(jmods)) {
            for (Path f : files.sorted().toList()) {
                inputs.append(f.getFileName()).append(' ').append(Files.size(f)).append(' ')
                        .append(Files.getLastModifiedTime(f).toMillis()).append('\n');
            }
        }
        String key = sha256(inputs.toString());
        Path image = cacheDir.resolve("image");
        Path keyFile = cacheDir.resolve("inputs.sha256");
        if (Files.isDirectory(image) && Files.isRegularFile(keyFile)
                && Files.readString(keyFile, StandardCharsets.UTF_8).strip().equals(key)) {
            return new Built(target, image, version, modules);
        }
        Files.deleteIfExists(keyFile);
        deleteTree(image);
        Files.createDirectories(cacheDir);
        List<String> args = new ArrayList<>(List.of("--module-path", jmods.toString(), "--add-modules",
                String.join(",", modules)));
        args.addAll(JLINK_OPTIONS);
        args.addAll(List.of("--output", image.toString()));
        long started = System.nanoTime();
        run("jlink", args);
        flattenLinks(image);
        Files.writeString(keyFile, key + "\n", StandardCharsets.UTF_8);
        log.printf("[agent-packager] jlink made the %s runtime (Java %s, from %s) in %d s%n", platformName(target),
                version, jdk, (System.nanoTime() - started) / 1_000_000_000L);
        return new Built(target, image, version, modules);
    }

    /** {java.base version, jmod platform} as {@code jmod describe} reports them. */
    static String[] describeJavaBase(Path javaBaseJmod) throws IOException {
        String out = run("jmod", List.of("describe", javaBaseJmod.toString()));
        String version = null;
        String platform = null;
        for (String line : out.split("\\R")) {
            if (line.startsWith("java.base@")) {
                version = line.substring("java.base@".length()).strip();
            } else if (line.startsWith("platform ")) {
                platform = line.substring("platform ".length()).strip();
            }
        }
        if (version == null || platform == null) {
            throw new IOException("jmod describe " + javaBaseJmod + " names no version or platform:\n" + out);
        }
        return new String[] {version, platform};
    }

    /**
     * Runs a JDK tool of the JDK running the build as its own process, not in this JVM through
     * {@code java.util.spi.ToolProvider}: jlink run twice in one JVM writes a different {@code lib/modules} the second
     * time (state it keeps between runs), which would make the archives, and the runtime fingerprint, differ from
     * build to build.
     */
    private static String run(String tool, List<String> args) throws IOException {
        boolean windows = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");
        Path executable = Path.of(System.getProperty("java.home"), "bin", windows ? tool + ".exe" : tool);
        if (!Files.isExecutable(executable)) {
            throw new IOException("this Java (" + System.getProperty("java.home") + ") has no " + tool
                    + ": build with a full JDK");
        }
        List<String> command = new ArrayList<>();
        command.add(executable.toString());
        command.addAll(args);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String text;
        try (InputStream out = process.getInputStream()) {
            text = new String(out.readAllBytes(), StandardCharsets.UTF_8);
        }
        int code;
        try {
            code = process.waitFor();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException(tool + " was interrupted", e);
        }
        if (code != 0) {
            throw new IOException(tool + " " + String.join(" ", args) + " failed (exit " + code + "):\n" + text);
        }
        return text;
    }

    /**
     * Replaces each symbolic link of the image by a copy of the file it points to. jlink links the legal notices of
     * one module to another's on POSIX; the official archives hold files and folders only (a link is a way out of
     * the install folder when unpacked), and a copy has the same bytes, so the runtime fingerprint does not change.
     */
    static void flattenLinks(Path image) throws IOException {
        Path real = image.toRealPath();
        List<Path> links;
        try (Stream<Path> all = Files.walk(image)) {
            links = all.filter(Files::isSymbolicLink).toList();
        }
        for (Path link : links) {
            Path target = link.toRealPath();
            if (!target.startsWith(real) || !Files.isRegularFile(target)) {
                throw new IOException("the jlink image links " + link + " to " + target + ", outside the image or not "
                        + "a file");
            }
            Path copy = link.resolveSibling("." + link.getFileName() + ".copy");
            Files.copy(target, copy, StandardCopyOption.REPLACE_EXISTING);
            Files.move(copy, link, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * The archive entries of an image under {@code prefix} (e.g. {@code printmaster-agent-1.0.0/runtime}): folders,
     * and files with mode 755 when executable in the image (the launcher in {@code bin/}, {@code lib/jspawnhelper},
     * which starts every child process of the agent) or in {@code bin/}, 644 otherwise.
     */
    static List<Entry> entries(Path image, String prefix) throws IOException {
        List<Entry> entries = new ArrayList<>();
        entries.add(Entry.directory(prefix));
        try (Stream<Path> all = Files.walk(image)) {
            for (Path p : all.filter(p -> !p.equals(image)).sorted().toList()) {
                String name = image.relativize(p).toString().replace(java.io.File.separatorChar, '/');
                if (Files.isSymbolicLink(p)) {
                    throw new IOException(p + " is a symbolic link: the official archives hold files and folders only");
                }
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    entries.add(Entry.directory(prefix + "/" + name));
                } else {
                    boolean executable = name.startsWith("bin/") || ownerExecutable(p);
                    entries.add(Entry.file(prefix + "/" + name, p, executable ? Entry.EXECUTABLE_MODE : Entry.FILE_MODE));
                }
            }
        }
        return entries;
    }

    private static boolean ownerExecutable(Path p) throws IOException {
        PosixFileAttributeView posix = Files.getFileAttributeView(p, PosixFileAttributeView.class);
        return posix != null && posix.readAttributes().permissions().contains(PosixFilePermission.OWNER_EXECUTE);
    }

    /** The line the build prints for one archive: whether it carries a runtime, and how to give it one. */
    static String describe(String archive, Target target, Built built) {
        if (built != null) {
            return "[agent-packager] " + archive + ": WITH runtime/ (Java " + built.javaVersion() + ", jlink, "
                    + built.modules().size() + " modules asked for)";
        }
        return "[agent-packager] " + archive + ": without runtime/ (needs an installed Java 17+; to bundle one, build "
                + "with -Dpm.jdk." + platformName(target) + "=<a Java " + Runtime.version().feature() + " JDK of "
                + platformName(target) + ">)";
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
