package io.printmaster.agent.packager;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Builds the official archives of a {@link ReleaseRole} (the agent's by default; {@code --role server} the server's)
 * from the role's assembled folder. For the agent ({@code target/printmaster-agent/}):
 * {@code printmaster-agent-v{version}-{os}-{arch}.tar.gz|zip} for every {@link Target}, each holding the single
 * folder {@code printmaster-agent-{version}/} with {@code bin/}, {@code lib/}, {@code bundle/}, {@code conf/},
 * {@code VERSION}, an empty {@code etc/} and that platform's service files, and {@code SHA256SUMS} beside them.
 *
 * The server's archives ({@code printmaster-server-v...}, folder {@code printmaster-server-{version}/}) hold
 * {@code bin/pm-server}, {@code bin/pm-server.cmd}, {@code lib/}, {@code bundle/}, {@code conf/}, {@code VERSION} and
 * {@code service/}: no {@code etc/}, and nothing else of the assembled folder (its {@code agent-releases/} stays out).
 *
 * <p>Usage: {@code AgentPackager [--role agent|server] --dist DIR --scripts DIR --service DIR --version V
 * --mtime ISO-8601 --out DIR [--windows-service-source FILE --work DIR]}. {@code --scripts} holds {@code pm-agent} and {@code pm-agent.cmd}; {@code --service}
 * holds the service files ({@code printmaster-agent.service}, {@code io.printmaster.agent.plist},
 * {@code printmaster-agent-service.xml}). A missing {@code --windows-service-exe} file leaves the Windows service
 * host out of the windows archive (the compiler was not there); see {@link WindowsServiceHost}.
 */
public final class AgentPackager {
    /** The official platforms and their archive format (the official archive layout, docs/release-feed.md). */
    public enum Target {
        LINUX_AMD64("linux", "amd64", "tar.gz", List.of("printmaster-agent.service")),
        LINUX_ARM64("linux", "arm64", "tar.gz", List.of("printmaster-agent.service")),
        DARWIN_ARM64("darwin", "arm64", "tar.gz", List.of("io.printmaster.agent.plist")),
        WINDOWS_AMD64("windows", "amd64", "zip", List.of("printmaster-agent-service.xml"));

        public final String os;
        public final String arch;
        public final String extension;
        final List<String> serviceFiles;

        Target(String os, String arch, String extension, List<String> serviceFiles) {
            this.os = os;
            this.arch = arch;
            this.extension = extension;
            this.serviceFiles = serviceFiles;
        }

        /** The agent's archive name; {@link ReleaseRole#fileName} for any role. */
        public String fileName(String version) {
            return ReleaseRole.AGENT.fileName(this, version);
        }
    }

    /** Files of the assembled folder that never ship: the class-data archive is tied to the build machine's JVM. */
    private static final List<String> MACHINE_SPECIFIC_SUFFIXES = List.of(".jsa");
    static final String WINDOWS_SERVICE_EXE = ReleaseRole.AGENT.windowsServiceExe();

    private final ReleaseRole role;
    private final Path dist;
    private final Path scripts;
    private final Path service;
    private final String version;
    private final Instant modified;
    private final Optional<Path> windowsServiceExe;

    public AgentPackager(Path dist, Path scripts, Path service, String version, Instant modified,
                         Optional<Path> windowsServiceExe) {
        this(ReleaseRole.AGENT, dist, scripts, service, version, modified, windowsServiceExe);
    }

    public AgentPackager(ReleaseRole role, Path dist, Path scripts, Path service, String version, Instant modified,
                         Optional<Path> windowsServiceExe) {
        this.role = role;
        this.dist = dist;
        this.scripts = scripts;
        this.service = service;
        this.version = version;
        this.modified = modified;
        this.windowsServiceExe = windowsServiceExe;
    }

    public String topFolder() {
        return role.topFolder(version);
    }

    /** Writes every archive and SHA256SUMS into {@code out}; returns the archives' paths by file name. */
    public Map<String, Path> writeAll(Path out) throws IOException {
        Files.createDirectories(out);
        Map<String, Path> written = new TreeMap<>();
        for (Target t : Target.values()) {
            Path archive = out.resolve(role.fileName(t, version));
            List<Entry> entries = entries(t);
            if (t.extension.equals("zip")) {
                OfficialArchives.writeZip(archive, entries, modified);
            } else {
                OfficialArchives.writeTarGz(archive, entries, modified);
            }
            written.put(archive.getFileName().toString(), archive);
        }
        StringBuilder sums = new StringBuilder();
        for (Map.Entry<String, Path> e : written.entrySet()) {
            sums.append(sha256(e.getValue())).append("  ").append(e.getKey()).append('\n');
        }
        Files.writeString(out.resolve("SHA256SUMS"), sums, StandardCharsets.UTF_8);
        return written;
    }

    /** The entries of one platform's archive, in archive order. */
    List<Entry> entries(Target target) throws IOException {
        Map<String, Entry> byPath = new LinkedHashMap<>();
        String top = topFolder();
        add(byPath, Entry.directory(top));
        for (String folder : List.of("lib", "bundle", "conf")) {
            Path dir = dist.resolve(folder);
            if (!Files.isDirectory(dir)) {
                throw new IOException("the " + role.component + " folder " + dist + " has no " + folder + "/: build it first");
            }
            addTree(byPath, dir, top + "/" + folder);
        }
        add(byPath, Entry.file(top + "/VERSION", existing(dist.resolve("VERSION")), Entry.FILE_MODE));
        if (role.shipsEtcFolder) {
            add(byPath, Entry.directory(top + "/etc")); // the fleet files land here (docs/api.md#installers); empty in official archives
        }
        add(byPath, Entry.directory(top + "/bin"));
        String script = role.script();
        add(byPath, Entry.file(top + "/bin/" + script, existing(scripts.resolve(script)), Entry.EXECUTABLE_MODE));
        add(byPath, Entry.file(top + "/bin/" + script + ".cmd", existing(scripts.resolve(script + ".cmd")), Entry.EXECUTABLE_MODE));
        if (target == Target.WINDOWS_AMD64 && windowsServiceExe.isPresent() && Files.isRegularFile(windowsServiceExe.get())) {
            add(byPath, Entry.file(top + "/bin/" + role.windowsServiceExe(), windowsServiceExe.get(), Entry.EXECUTABLE_MODE));
        }
        add(byPath, Entry.directory(top + "/service"));
        for (String file : role.serviceFiles(target)) {
            add(byPath, Entry.file(top + "/service/" + file, existing(service.resolve(file)), Entry.FILE_MODE));
        }
        List<Entry> entries = new ArrayList<>(byPath.values());
        entries.sort(null);
        return entries;
    }

    private static void addTree(Map<String, Entry> byPath, Path dir, String prefix) throws IOException {
        add(byPath, Entry.directory(prefix));
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.filter(p -> !p.equals(dir)).sorted().toList()) {
                String name = dir.relativize(p).toString().replace(java.io.File.separatorChar, '/');
                if (Files.isSymbolicLink(p)) {
                    throw new IOException(p + " is a symbolic link: the official archives hold files and folders only");
                }
                if (Files.isDirectory(p)) {
                    add(byPath, Entry.directory(prefix + "/" + name));
                } else if (MACHINE_SPECIFIC_SUFFIXES.stream().noneMatch(name::endsWith)) {
                    add(byPath, Entry.file(prefix + "/" + name, p, Entry.FILE_MODE));
                }
            }
        }
    }

    private static void add(Map<String, Entry> byPath, Entry e) {
        if (byPath.putIfAbsent(e.path(), e) != null) {
            throw new IllegalArgumentException("two files for " + e.path());
        }
    }

    private static Path existing(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("missing " + file);
        }
        return file;
    }

    static String sha256(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("usage: AgentPackager [--role agent|server] --dist DIR --scripts DIR --service DIR "
                        + "--version V --mtime ISO-8601 --out DIR [--windows-service-source FILE --work DIR]; at '" + args[i] + "'");
            }
            opts.put(args[i].substring(2), args[++i]);
        }
        Instant mtime;
        try {
            mtime = Instant.parse(required(opts, "mtime"));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("--mtime: '" + opts.get("mtime") + "' is not an ISO-8601 instant such as "
                    + "2025-01-01T00:00:00Z", e);
        }
        ReleaseRole role = ReleaseRole.parse(opts.getOrDefault("role", ReleaseRole.AGENT.component));
        Optional<Path> exe = Optional.empty();
        if (opts.containsKey("windows-service-source")) {
            Path work = Path.of(required(opts, "work"));
            exe = new WindowsServiceHost(Path.of(opts.get("windows-service-source")))
                    .compile(work.resolve(role.windowsServiceExe()), role.serviceHostDefines);
        }
        AgentPackager packager = new AgentPackager(role, Path.of(required(opts, "dist")), Path.of(required(opts, "scripts")),
                Path.of(required(opts, "service")), required(opts, "version"), mtime, exe);
        Map<String, Path> written = packager.writeAll(Path.of(required(opts, "out")));
        System.out.println("[" + role.component + "-packager] wrote " + String.join(", ", written.keySet()) + " and SHA256SUMS in "
                + opts.get("out"));
    }

    private static String required(Map<String, String> opts, String name) {
        String v = opts.get(name);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return v;
    }

}
