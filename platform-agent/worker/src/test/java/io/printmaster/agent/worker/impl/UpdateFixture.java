package io.printmaster.agent.worker.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.printmaster.agent.config.api.AgentSettings;
import io.printmaster.agent.config.api.Mode;
import io.printmaster.agent.config.api.PolicySource;
import io.printmaster.agent.enrollment.api.CheckIn;
import io.printmaster.agent.enrollment.api.EnrolledAgent;
import io.printmaster.agent.enrollment.api.Enrollment;
import io.printmaster.agent.enrollment.api.EnrollmentState;
import io.printmaster.agent.hotswap.api.BundleSwapper;
import io.printmaster.agent.hotswap.api.PluginReplacement;
import io.printmaster.agent.hotswap.api.SwapOutcome;
import io.printmaster.agent.hotswap.api.SwapPlan;
import io.printmaster.api.signing.KeyMaterial;
import io.printmaster.api.support.RuntimeFingerprint;
import io.printmaster.core.policy.MaintenanceWindowSettings;
import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.core.retry.Backoff;
import io.printmaster.signing.jdk.impl.JdkSigningProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A real agent installation on disk (base install 1.0.0 in {@code R}, fleet trust file), a real HTTP server on
 * loopback standing in for the update server's download and telemetry routes, real signed manifests and real
 * tar.gz releases; the parts that would end the test process (the restart, the halt) are recorded instead.
 */
final class UpdateFixture implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");
    static final String DOWNLOAD_PATH = "/api/v1/agents/update/download/agent/";
    static final String BUNDLE_PATH = "/api/v1/agents/update/bundle/";
    static final String FRAMEWORK_UUID = "framework-uuid-1";

    final Path root;
    final Path data;
    final JdkSigningProvider jdk = new JdkSigningProvider();
    final KeyMaterial key;
    final HttpServer server;
    final Map<String, byte[]> served = new java.util.concurrent.ConcurrentHashMap<>();
    final List<JsonNode> telemetry = new CopyOnWriteArrayList<>();
    final AtomicInteger downloadRequests = new AtomicInteger();
    final List<String> rangeHeaders = new CopyOnWriteArrayList<>();
    final List<String> restarts = new CopyOnWriteArrayList<>();

    volatile AgentSettings settings;
    volatile CheckIn nextCheckIn;
    volatile UpdateFailure restartFailure;
    volatile Optional<String> unhealthy = Optional.empty();
    volatile long freeBytes = Long.MAX_VALUE;
    volatile Runnable halt = () -> { };
    volatile String crashAt = "";
    long releaseCounter = 3;
    /** The hot-swap engine stand-in (the real one needs a framework: HotSwapIT, AgentHotSwapIT); null: none runs. */
    volatile RecordingSwapper swapper;
    final List<String> bundleRequests = new CopyOnWriteArrayList<>();
    final AtomicInteger wakes = new AtomicInteger();
    /** The run ids the runs' check-ins carried, in order (null: a check-in without one). */
    final List<String> checkInRunIds = new CopyOnWriteArrayList<>();
    /** The rollout the next offers name ({@code rollout_id}); null: none. */
    volatile String offerRolloutId;
    /** Members added to the next manifests signed (downgrade, rollout_id, …). */
    volatile Map<String, Object> manifestExtras = Map.of();
    /** What a run's second and later check-ins answer (the rollout re-checks); null: the same as the first. */
    volatile java.util.function.Supplier<Optional<CheckIn>> recheck;
    /** When positive, downloads are sent in 20 pieces this many milliseconds apart (a slow link). */
    volatile long trickleMillis;
    /** How often a run re-checks a rollout's offer. */
    volatile Duration rolloutRecheck = UpdateRunner.DEFAULT_ROLLOUT_RECHECK;

    /** Records the plans it is given and answers {@code outcome} (or throws {@code cannotBegin}). */
    static final class RecordingSwapper implements BundleSwapper {
        final List<SwapPlan> plans = new CopyOnWriteArrayList<>();
        volatile SwapOutcome outcome = new SwapOutcome(SwapOutcome.Result.SWAPPED, null,
                List.of("io.printmaster.agent.worker"), 120, 40);
        volatile RuntimeException cannotBegin;

        @Override
        public SwapOutcome swap(SwapPlan plan) {
            if (cannotBegin != null) {
                throw cannotBegin;
            }
            plans.add(plan);
            return outcome;
        }

        final List<PluginReplacement> replacements = new CopyOnWriteArrayList<>();

        /** Does to the files what the engine does (FileInstall's part, the bundle update, is not there). */
        @Override
        public SwapOutcome replacePlugin(PluginReplacement r) {
            if (cannotBegin != null) {
                throw cannotBegin;
            }
            replacements.add(r);
            try {
                Files.createDirectories(r.backup().getParent());
                Files.copy(r.pluginFile(), r.backup(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                Files.copy(r.newJar(), r.pluginFile(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                if (outcome.result() != SwapOutcome.Result.SWAPPED) {
                    Files.copy(r.backup(), r.pluginFile(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return outcome;
        }
    }

    UpdateFixture(Path root) throws Exception {
        this.root = root;
        this.data = root.resolve("data");
        this.key = jdk.generateKeyPair();
        writeProgram(root, "1.0.0");
        Files.createDirectories(root.resolve("etc"));
        Files.write(root.resolve("etc/trust.json"), trustJson());
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/v1/agents/update/download/", ex -> {
            downloadRequests.incrementAndGet();
            String range = ex.getRequestHeaders().getFirst("Range");
            if (range != null) {
                rangeHeaders.add(range);
            }
            byte[] body = served.get(ex.getRequestURI().getPath());
            if (body == null) {
                ex.sendResponseHeaders(404, -1);
                ex.close();
                return;
            }
            int from = 0;
            if (range != null && range.startsWith("bytes=")) {
                from = Integer.parseInt(range.substring(6, range.indexOf('-')));
                ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
                ex.sendResponseHeaders(206, body.length - from);
            } else {
                ex.sendResponseHeaders(200, body.length);
            }
            try (OutputStream out = ex.getResponseBody()) {
                if (trickleMillis > 0) {
                    int piece = Math.max(16, body.length / 20);
                    for (int i = from; i < body.length; i += piece) {
                        out.write(body, i, Math.min(piece, body.length - i));
                        out.flush();
                        try {
                            Thread.sleep(trickleMillis);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                } else {
                    out.write(body, from, body.length - from);
                }
            } catch (IOException e) {
                // the client stopped reading (a simulated crash)
            }
        });
        server.createContext(BUNDLE_PATH, ex -> {
            bundleRequests.add(ex.getRequestURI().getPath());
            byte[] body = served.get(ex.getRequestURI().getPath());
            if (body == null) {
                ex.sendResponseHeaders(404, -1);
                ex.close();
                return;
            }
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        server.createContext(TelemetrySender.PATH, ex -> {
            JsonNode body = JSON.readTree(ex.getRequestBody());
            body.path("events").forEach(telemetry::add);
            ex.sendResponseHeaders(202, -1);
            ex.close();
        });
        server.start();
        settings = settings(PolicySource.FLEET, Optional.of(UpdatePolicy.defaults()));
    }

    URI serverUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** A runner as the agent running {@code version} from {@code programDir} would build it. */
    UpdateRunner runner(String version, Path programDir) {
        InstallLayout layout = new InstallLayout(root, programDir, data);
        HttpClient http = HttpClient.newHttpClient();
        AgentHost host = new AgentHost(layout, new WorkerFiles(layout.updateDir()), dir -> freeBytes,
                Clock.fixed(NOW, ZoneOffset.UTC), "linux", "amd64", () -> version);
        return new UpdateRunner(host, new ServerLink(enrollment(), () -> settings,
                new TelemetrySender(enrollment(), http, TelemetrySender.policyAllows(() -> settings))),
                new ReleaseTools(new ManifestVerifier(jdk),
                        new ResumableDownload(http, Backoff.of(Duration.ofMillis(1), Duration.ofMillis(2), 2),
                                Duration.ofSeconds(10), d -> { }),
                        new ArchiveStager()),
                new ProcessControl(() -> {
                    if (restartFailure != null) {
                        throw restartFailure;
                    }
                    restarts.add(version);
                }, () -> unhealthy, new FaultInjection(crashAt, () -> halt.run())),
                swapper == null ? null : new HotSwapSupport(true, () -> Optional.ofNullable(swapper),
                        FRAMEWORK_UUID, Duration.ofSeconds(30), wakes::incrementAndGet), rolloutRecheck);
    }

    UpdateRunner base() {
        return runner("1.0.0", root);
    }

    /** What {@code bin/pm-agent} does at a start: an unconfirmed trial is abandoned, a new trial is booted. */
    String trampoline() throws IOException {
        Path versions = root.resolve("versions");
        if (Files.exists(versions.resolve("booting"))) {
            Files.move(versions.resolve("booting"), versions.resolve("abandoned"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        if (Files.exists(versions.resolve("trial"))) {
            Files.move(versions.resolve("trial"), versions.resolve("booting"));
            return Files.readString(versions.resolve("booting")).strip();
        }
        return Files.exists(versions.resolve("current")) ? Files.readString(versions.resolve("current")).strip() : "1.0.0";
    }

    Path programOf(String version) {
        return version.equals("1.0.0") && !Files.exists(root.resolve("versions/1.0.0")) ? root
                : root.resolve("versions").resolve(version);
    }

    /** Publishes {@code version} on the server and makes the next check-in offer it. */
    byte[] offer(String version, String declaredVersion) throws Exception {
        byte[] archive = release(version, declaredVersion);
        offerBytes(version, archive, archive);
        return archive;
    }

    /** Offers {@code signedBytes}' hash in the manifest, and serves {@code servedBytes}. */
    void offerBytes(String version, byte[] signedBytes, byte[] servedBytes) throws Exception {
        String path = DOWNLOAD_PATH + version + "/linux-amd64";
        served.put(path, servedBytes);
        Map<String, Object> m = new TreeMap<>(Map.ofEntries(
                Map.entry("manifest_version", 1), Map.entry("component", "agent"), Map.entry("version", version),
                Map.entry("platform", "linux"), Map.entry("arch", "amd64"), Map.entry("channel", "stable"),
                Map.entry("format", "tar.gz"), Map.entry("sha256", sha256(signedBytes)),
                Map.entry("size_bytes", signedBytes.length), Map.entry("release_counter", releaseCounter),
                Map.entry("generated_at", "2026-11-20T12:00:00Z"), Map.entry("expires_at", "2026-12-20T12:00:00Z"),
                Map.entry("key_id", keyId(key))));
        m.putAll(manifestExtras);
        byte[] manifest = JSON.writeValueAsBytes(m);
        offerManifest(version, manifest, Base64.getEncoder().encodeToString(jdk.sign(key.privateKey(), manifest)));
    }

    /**
     * Offers {@code version} as a release whose runtime is the running {@code program}'s and whose bundles are
     * {@code bundles} (path → bytes); {@code served} overrides what the bundle route sends for a path.
     */
    void offerHotSwap(String version, Path program, Map<String, byte[]> bundles, Map<String, byte[]> servedInstead)
            throws Exception {
        byte[] archive = release(version, version);
        served.put(DOWNLOAD_PATH + version + "/linux-amd64", archive);
        List<Map<String, Object>> list = new ArrayList<>();
        for (Map.Entry<String, byte[]> b : new TreeMap<>(bundles).entrySet()) {
            String name = b.getKey().substring("bundle/".length(), b.getKey().length() - ".jar".length());
            String sha = sha256(b.getValue());
            list.add(Map.of("path", b.getKey(), "symbolic_name", name, "version", version, "sha256", sha,
                    "size_bytes", b.getValue().length));
            served.put(BUNDLE_PATH + version + "/linux-amd64/" + sha, servedInstead.getOrDefault(b.getKey(), b.getValue()));
        }
        Map<String, Object> m = new TreeMap<>(Map.ofEntries(
                Map.entry("manifest_version", 1), Map.entry("component", "agent"), Map.entry("version", version),
                Map.entry("platform", "linux"), Map.entry("arch", "amd64"), Map.entry("channel", "stable"),
                Map.entry("format", "tar.gz"), Map.entry("sha256", sha256(archive)),
                Map.entry("size_bytes", archive.length), Map.entry("release_counter", releaseCounter),
                Map.entry("generated_at", "2026-11-20T12:00:00Z"), Map.entry("expires_at", "2026-12-20T12:00:00Z"),
                Map.entry("key_id", keyId(key)), Map.entry("bundles", list),
                Map.entry("runtime_sha256", RuntimeFingerprint.ofProgramFolder(program)),
                Map.entry("restart_required", false)));
        m.putAll(manifestExtras);
        byte[] manifest = JSON.writeValueAsBytes(m);
        offerManifest(version, manifest, Base64.getEncoder().encodeToString(jdk.sign(key.privateKey(), manifest)));
    }

    /** Makes the next check-in offer nothing for the agent and {@code jar} as release {@code version} of a plugin. */
    void offerPlugin(String component, String version, byte[] jar) throws Exception {
        String path = DOWNLOAD_PATH.replace("/agent/", "/" + component + "/") + version + "/linux-amd64";
        served.put(path, jar);
        Map<String, Object> m = new TreeMap<>(Map.ofEntries(
                Map.entry("manifest_version", 1), Map.entry("component", component), Map.entry("version", version),
                Map.entry("platform", "linux"), Map.entry("arch", "amd64"), Map.entry("channel", "stable"),
                Map.entry("format", "jar"), Map.entry("sha256", sha256(jar)),
                Map.entry("size_bytes", jar.length), Map.entry("release_counter", releaseCounter),
                Map.entry("generated_at", "2026-11-20T12:00:00Z"), Map.entry("expires_at", "2026-12-20T12:00:00Z"),
                Map.entry("key_id", keyId(key)), Map.entry("bundles", List.of())));
        byte[] manifest = JSON.writeValueAsBytes(m);
        ObjectNode answer = JSON.createObjectNode();
        answer.put("agent_id", "agent-1").put("update_available", false).put("latest_version", "1.0.0");
        ObjectNode offer = answer.putArray("plugin_updates").addObject();
        offer.put("component", component).put("version", version).put("format", "jar")
                .put("manifest_base64", Base64.getEncoder().encodeToString(manifest))
                .put("signature", Base64.getEncoder().encodeToString(jdk.sign(key.privateKey(), manifest)))
                .put("download_url", path + "?format=jar");
        answer.putArray("commands");
        nextCheckIn = new CheckIn(NOW, 200, Optional.of(answer), Optional.empty());
    }

    /** A plugin jar: a bundle manifest naming its release stream, and one entry so versions differ in bytes. */
    static byte[] pluginJar(String symbolicName, String component, String version) throws IOException {
        java.util.jar.Manifest mf = new java.util.jar.Manifest();
        mf.getMainAttributes().put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().putValue("Bundle-ManifestVersion", "2");
        mf.getMainAttributes().putValue("Bundle-SymbolicName", symbolicName);
        mf.getMainAttributes().putValue("Bundle-Version", version);
        mf.getMainAttributes().putValue("PrintMaster-Component", component);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (java.util.jar.JarOutputStream jar = new java.util.jar.JarOutputStream(bytes, mf)) {
            jar.putNextEntry(new java.util.zip.ZipEntry("release.txt"));
            jar.write(version.getBytes(StandardCharsets.UTF_8));
            jar.closeEntry();
        }
        return bytes.toByteArray();
    }

    void offerManifest(String version, byte[] manifest, String signature) {
        ObjectNode answer = JSON.createObjectNode();
        answer.put("agent_id", "agent-1").put("fleet_id", "fleet-a").put("update_available", true)
                .put("latest_version", version);
        ObjectNode update = answer.putObject("update");
        update.put("version", version).put("format", "tar.gz")
                .put("manifest_base64", Base64.getEncoder().encodeToString(manifest)).put("signature", signature)
                .put("download_url", DOWNLOAD_PATH + version + "/linux-amd64?format=tar.gz");
        if (offerRolloutId != null) {
            update.put("rollout_id", offerRolloutId);
        }
        answer.putArray("commands");
        nextCheckIn = new CheckIn(NOW, 200, Optional.of(answer), Optional.empty());
    }

    void offerNothing() {
        ObjectNode answer = JSON.createObjectNode();
        answer.put("agent_id", "agent-1").put("update_available", false).put("latest_version", "1.0.0");
        nextCheckIn = new CheckIn(NOW, 200, Optional.of(answer), Optional.empty());
    }

    List<String> statuses() {
        List<String> out = new ArrayList<>();
        telemetry.forEach(e -> out.add(e.path("status").asText()));
        return out;
    }

    JsonNode lastTelemetry() {
        return telemetry.get(telemetry.size() - 1);
    }

    Optional<String> pointer(String name) throws IOException {
        Path p = root.resolve("versions").resolve(name);
        return Files.exists(p) ? Optional.of(Files.readString(p).strip()) : Optional.empty();
    }

    static AgentSettings settings(PolicySource source, Optional<UpdatePolicy> policy) {
        return new AgentSettings(Optional.of("agent-1"), Optional.of(URI.create("http://127.0.0.1")),
                Optional.of("fleet-a"), Optional.of("pmj_x"), source == PolicySource.DISABLED ? Mode.DISABLED
                : Mode.INHERIT, false, source, policy, List.of());
    }

    static UpdatePolicy windowClosedAtNoon() {
        MaintenanceWindowSettings d = MaintenanceWindowSettings.defaults();
        return new UpdatePolicy(7, "minor", false, null, true, new MaintenanceWindowSettings(true, 2, 0, 4, 0, "UTC",
                List.of(0, 1, 2, 3, 4, 5, 6)), UpdatePolicy.defaults().rolloutControl());
    }

    private Enrollment enrollment() {
        return new Enrollment() {
            @Override
            public Optional<EnrolledAgent> current() {
                return Optional.of(new EnrolledAgent("agent-1", "fleet-a", serverUrl(), NOW));
            }

            @Override
            public Optional<String> credential() {
                return Optional.of("pma_test");
            }

            @Override
            public Optional<CheckIn> lastCheckIn() {
                return Optional.ofNullable(nextCheckIn);
            }

            @Override
            public EnrollmentState state() {
                return new EnrollmentState(EnrollmentState.Phase.ENROLLED, "enrolled", NOW);
            }

            @Override
            public Optional<CheckIn> checkInNow(Duration timeout) {
                checkInRunIds.add("(none)");
                return Optional.ofNullable(nextCheckIn);
            }

            @Override
            public Optional<CheckIn> checkInNow(Duration timeout, String runId) {
                boolean again = checkInRunIds.contains(runId);
                checkInRunIds.add(runId);
                java.util.function.Supplier<Optional<CheckIn>> r = recheck;
                return again && r != null ? r.get() : Optional.ofNullable(nextCheckIn);
            }
        };
    }

    /** A program tree as the distribution lays it out. */
    static void writeProgram(Path dir, String version) throws IOException {
        Files.createDirectories(dir.resolve("bin"));
        Files.createDirectories(dir.resolve("lib"));
        Files.createDirectories(dir.resolve("bundle"));
        Path sh = Files.writeString(dir.resolve("bin/pm-agent"), "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(sh, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(dir.resolve("bin/pm-agent.cmd"), "@echo off\r\n");
        Files.writeString(dir.resolve("lib/launcher.jar"), "launcher " + version);
        Files.writeString(dir.resolve("bundle/io.printmaster.agent.worker.jar"), "bundle " + version);
        Files.writeString(dir.resolve("VERSION"), version);
    }

    /** An official release archive: one top folder, the program tree, {@code VERSION} = {@code declared}. */
    static byte[] release(String version, String declared) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
            String top = "printmaster-agent-" + version + "/";
            dir(tar, top);
            dir(tar, top + "bin/");
            file(tar, top + "bin/pm-agent", "#!/bin/sh\nexit 0\n", 0755);
            file(tar, top + "bin/pm-agent.cmd", "@echo off\r\n", 0644);
            dir(tar, top + "lib/");
            // incompressible, so the download takes several reads and a crash can land halfway
            byte[] random = new byte[256 * 1024];
            new java.util.Random(version.hashCode()).nextBytes(random);
            file(tar, top + "lib/launcher.jar", random, 0644);
            dir(tar, top + "bundle/");
            file(tar, top + "bundle/io.printmaster.agent.worker.jar", "bundle " + version + "y".repeat(8192), 0644);
            file(tar, top + "VERSION", declared, 0644);
        }
        return bytes.toByteArray();
    }

    private static void dir(TarArchiveOutputStream tar, String name) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setMode(040755);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }

    private static void file(TarArchiveOutputStream tar, String name, String content, int mode) throws IOException {
        file(tar, name, content.getBytes(StandardCharsets.UTF_8), mode);
    }

    private static void file(TarArchiveOutputStream tar, String name, byte[] b, int mode) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setMode(0100000 | mode);
        e.setSize(b.length);
        tar.putArchiveEntry(e);
        tar.write(b);
        tar.closeArchiveEntry();
    }

    private byte[] trustJson() throws Exception {
        byte[] spki = new byte[44];
        System.arraycopy(HexFormat.of().parseHex("302a300506032b6570032100"), 0, spki, 0, 12);
        System.arraycopy(key.publicKey(), 0, spki, 12, 32);
        String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getEncoder().encodeToString(spki) + "\n-----END PUBLIC KEY-----\n";
        return JSON.writeValueAsBytes(Map.of("keys", List.of(Map.of("id", keyId(key), "algorithm", "Ed25519",
                "public_key_pem", pem, "active", true)), "rotations", List.of()));
    }

    static String keyId(KeyMaterial k) throws Exception {
        return sha256(k.publicKey()).substring(0, 16);
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
