package io.printmaster.itests;

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
import java.util.HexFormat;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Pattern;

/**
 * Makes agent releases of other versions out of the official archive the build wrote
 * ({@code platform-agent/distribution/target/releases/printmaster-agent-v{built}-linux-{arch}.tar.gz}): the top
 * folder becomes {@code printmaster-agent-X/}, {@code VERSION} holds X, every other entry keeps its bytes and mode.
 * A release with a broken health check also carries {@value #BROKEN_BUNDLE}, a valid bundle that imports a package
 * nobody exports: the agent starts, but that bundle never becomes active.
 *
 * <p>{@link #publish} puts a release into a folder the way the release-feed guide asks for a {@code directory}
 * source: the archive copied in under a dot-name and renamed, and its line appended to {@code SHA256SUMS} (rewritten
 * whole and renamed, so a sync never reads half a file).
 */
final class AgentReleaseBuilder {
    static final String BROKEN_BUNDLE = "bundle/zz-broken-health.jar";
    static final String BROKEN_BUNDLE_SYMBOLIC_NAME = "io.printmaster.test.broken";
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

    /** Writes release {@code version} as {@code <folder>/printmaster-agent-v{version}-linux-<arch>.tar.gz}. */
    Path write(Path folder, String version, boolean brokenHealth) throws IOException {
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
        for (TarGz.Entry e : entries) {
            if (!e.name().startsWith(oldTop)) {
                throw new IOException(official + ": entry " + e.name() + " is outside " + oldTop);
            }
            String rest = e.name().substring(oldTop.length());
            if (rest.equals("VERSION")) {
                sawVersion = true;
                out.add(new TarGz.Entry(newTop + rest, (version + "\n").getBytes(StandardCharsets.UTF_8), e.mode(), false));
            } else {
                out.add(new TarGz.Entry(newTop + rest, e.content(), e.mode(), e.directory()));
            }
        }
        if (!sawVersion) {
            throw new IOException(official + " has no " + oldTop + "VERSION");
        }
        if (brokenHealth) {
            out.add(new TarGz.Entry(newTop + BROKEN_BUNDLE, unresolvableBundle(), 0644, false));
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
        Path scratch = Files.createTempDirectory("pm-release-" + version);
        Path built = write(scratch, version, brokenHealth);
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
