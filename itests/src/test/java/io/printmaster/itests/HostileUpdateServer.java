package io.printmaster.itests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stand-in for the update server that an attacker controls (or that sits between the agent and its server), on
 * loopback, speaking the agent's side of the wire contract (docs/api.md, {@code io.printmaster.core.wire}): enroll,
 * check-in, telemetry, artifact and bundle downloads. It signs manifests with Ed25519 keys of its own, so a test can
 * make the agent trust one of them ({@link #trustJson}) and sign with another; every answer is plain JSON built here,
 * so it can say anything a hostile server could, including {@code trust_statements} (served when set).
 */
final class HostileUpdateServer implements AutoCloseable {
    static final String PLATFORM = AgentReleaseBuilder.platform();
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The fleet policy it hands out: no scheduled checks and no window, so only the test's runs install anything. */
    static final Map<String, Object> POLICY = policy();

    /** How the check-in answer is sent. */
    enum CheckInMode { NORMAL, ENDLESS }

    /** How an artifact or bundle download is sent. */
    enum DownloadMode {
        NORMAL, TRICKLE, ENDLESS,
        /** Half the bytes at once, then a byte every 100 ms: a download that stays busy for long, never too slow. */
        HALF_THEN_TRICKLE
    }

    /** An Ed25519 key pair and the id agents know it by (first 16 hex digits of the raw key's SHA-256). */
    record Key(KeyPair pair, byte[] raw, String id) {
        static Key generate() throws GeneralSecurityException {
            KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            byte[] spki = pair.getPublic().getEncoded();
            byte[] raw = Arrays.copyOfRange(spki, spki.length - 32, spki.length);
            return new Key(pair, raw, sha256(raw).substring(0, 16));
        }

        String publicKeyPem() {
            return "-----BEGIN PUBLIC KEY-----\n" + Base64.getEncoder().encodeToString(pair.getPublic().getEncoded())
                    + "\n-----END PUBLIC KEY-----\n";
        }

        String sign(byte[] bytes) throws GeneralSecurityException {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(pair.getPrivate());
            s.update(bytes);
            return Base64.getEncoder().encodeToString(s.sign());
        }
    }

    /** What one check-in offers: the offer as sent (manifest bytes and signature included) and the bytes served. */
    record Offer(Map<String, Object> update, byte[] artifact, DownloadMode download, Map<String, byte[]> bundles) {
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "hostile-update-server");
        t.setDaemon(true);
        return t;
    });
    private final CountDownLatch closing = new CountDownLatch(1);
    final List<JsonNode> checkIns = new CopyOnWriteArrayList<>();
    final List<JsonNode> telemetry = new CopyOnWriteArrayList<>();
    final Map<String, AtomicLong> bytesSent = new ConcurrentHashMap<>();
    final AtomicLong droppedConnections = new AtomicLong();
    private volatile CheckInMode checkInMode = CheckInMode.NORMAL;
    private volatile Offer offer;
    private volatile List<Map<String, Object>> trustStatements = List.of();
    /** Whether a run's second check-in (its rollout re-check) is answered without the offer, as after an abort. */
    private volatile boolean withdrawOnRecheck;
    private final java.util.Set<String> runIdsSeen = ConcurrentHashMap.newKeySet();

    private HostileUpdateServer(HttpServer server) {
        this.server = server;
        server.setExecutor(executor);
        server.createContext("/api/v1/agents/enroll", this::enroll);
        server.createContext("/api/v1/agents/update/manifest", this::checkIn);
        server.createContext("/api/v1/agents/update/telemetry", this::telemetry);
        server.createContext("/api/v1/agents/update/download/", this::download);
        server.createContext("/api/v1/agents/update/bundle/", this::bundle);
        server.start();
    }

    static HostileUpdateServer start() throws IOException {
        return new HostileUpdateServer(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0));
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    void checkInMode(CheckInMode mode) {
        this.checkInMode = mode;
    }

    /**
     * From now on, a check-in carrying a {@code run_id} seen before (a run's re-check while it downloads) gets no
     * offer: the rollout the offer came with was aborted.
     */
    void withdrawOnRecheck(boolean withdraw) {
        this.withdrawOnRecheck = withdraw;
    }

    /** The next check-ins offer this (null: nothing). */
    void offer(Offer offer) {
        this.offer = offer;
    }

    /** Served as the check-in answer's {@code trust_statements} from now on (empty: the member is left out). */
    void trustStatements(List<Map<String, Object>> statements) {
        this.trustStatements = List.copyOf(statements);
    }

    /** {@code etc/trust.json} of an installation that trusts {@code keys}, as the server's installers write it. */
    static byte[] trustJson(Key... keys) throws IOException {
        List<Map<String, Object>> list = new ArrayList<>();
        for (Key k : keys) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", k.id());
            m.put("algorithm", "Ed25519");
            m.put("public_key_pem", k.publicKeyPem());
            m.put("active", true);
            m.put("created_at", "2026-01-01T00:00:00Z");
            m.put("rotated_at", null);
            list.add(m);
        }
        return JSON.writeValueAsBytes(Map.of("keys", list, "rotations", List.of()));
    }

    /** {@code etc/fleet.json} pointing at this server. */
    byte[] fleetJson() throws IOException {
        Map<String, Object> fleet = new LinkedHashMap<>();
        fleet.put("server_url", url());
        fleet.put("fleet_id", "attacks");
        fleet.put("fleet_name", "Attacks");
        fleet.put("policy", POLICY);
        fleet.put("policy_source", "fleet");
        fleet.put("ca_bundle", null);
        fleet.put("generated_at", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        return JSON.writeValueAsBytes(fleet);
    }

    /**
     * A manifest of an agent release as the real server writes it (docs/manifests.md), members replaced by
     * {@code changes} (a null value removes the member), as canonical JSON (members sorted).
     */
    static byte[] manifest(Key signer, String version, byte[] artifact, long releaseCounter, Map<String, Object> changes)
            throws IOException {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Map<String, Object> m = new TreeMap<>();
        m.put("manifest_version", 1);
        m.put("component", "agent");
        m.put("version", version);
        m.put("minor_line", version.substring(0, version.lastIndexOf('.')));
        m.put("platform", "linux");
        m.put("arch", AgentReleaseBuilder.arch());
        m.put("channel", "stable");
        m.put("format", "tar.gz");
        m.put("sha256", sha256(artifact));
        m.put("size_bytes", artifact.length);
        m.put("source_url", "https://attacker.example/" + version);
        m.put("published_at", now.toString());
        m.put("generated_at", now.toString());
        m.put("expires_at", now.plus(30, ChronoUnit.DAYS).toString());
        m.put("release_counter", releaseCounter);
        m.put("bundles", List.of());
        m.put("key_id", signer.id());
        changes.forEach((k, v) -> {
            if (v == null) {
                m.remove(k);
            } else {
                m.put(k, v);
            }
        });
        return JSON.writeValueAsBytes(m);
    }

    /** The {@code update} member of a check-in answer for these exact manifest bytes and signature. */
    static Map<String, Object> update(String offeredVersion, byte[] manifest, String signature, String keyId)
            throws IOException {
        JsonNode m = JSON.readTree(manifest);
        Map<String, Object> u = new LinkedHashMap<>();
        u.put("version", offeredVersion);
        u.put("format", "tar.gz");
        u.put("sha256", m.path("sha256").asText());
        u.put("size_bytes", m.path("size_bytes").asLong());
        u.put("manifest", new String(manifest, StandardCharsets.UTF_8));
        u.put("manifest_base64", Base64.getEncoder().encodeToString(manifest));
        u.put("signature", signature);
        u.put("key_id", keyId);
        u.put("expires_at", m.path("expires_at").asText());
        u.put("download_url", "/api/v1/agents/update/download/agent/" + offeredVersion + "/" + PLATFORM + "?format=tar.gz");
        return u;
    }

    /**
     * A rotation statement as the server's signing module writes it (docs/manifests.md, "Trust statements"): canonical
     * JSON of type {@code printmaster.key-rotation.v1}, signed by {@code oldKey}, handing over to {@code newKey}; in
     * the wire form of a check-in answer's {@code trust_statements}.
     */
    static Map<String, Object> rotation(long sequence, Key oldKey, Key newKey) throws GeneralSecurityException, IOException {
        Map<String, Object> m = new TreeMap<>();
        m.put("type", "printmaster.key-rotation.v1");
        m.put("old_key_id", oldKey.id());
        m.put("new_key_id", newKey.id());
        m.put("new_public_key", Base64.getEncoder().encodeToString(newKey.raw()));
        m.put("rotated_at", Instant.now().truncatedTo(ChronoUnit.MILLIS).toString());
        return trustStatement(sequence, "rotation", newKey.id(), m, oldKey);
    }

    /**
     * A revocation statement of {@code revoked}, signed by {@code signer} (the server's active key), type
     * {@code printmaster.key-revocation.v1}, in the wire form of a check-in answer's {@code trust_statements}.
     */
    static Map<String, Object> revocation(long sequence, Key revoked, Key signer, String reason)
            throws GeneralSecurityException, IOException {
        Map<String, Object> m = new TreeMap<>();
        m.put("type", "printmaster.key-revocation.v1");
        m.put("key_id", revoked.id());
        m.put("reason", reason);
        m.put("revoked_at", Instant.now().truncatedTo(ChronoUnit.MILLIS).toString());
        m.put("signer_key_id", signer.id());
        return trustStatement(sequence, "revocation", revoked.id(), m, signer);
    }

    /** {@code members} as canonical JSON (sorted, no whitespace, UTF-8), signed, as one {@code trust_statements} entry. */
    private static Map<String, Object> trustStatement(long sequence, String type, String keyId,
                                                      Map<String, Object> members, Key signer)
            throws GeneralSecurityException, IOException {
        byte[] bytes = JSON.writeValueAsBytes(new TreeMap<>(members));
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("sequence", sequence);
        s.put("type", type);
        s.put("key_id", keyId);
        s.put("statement", new String(bytes, StandardCharsets.UTF_8));
        s.put("statement_base64", Base64.getEncoder().encodeToString(bytes));
        s.put("signature", signer.sign(bytes));
        return s;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- the routes -------------------------------------------------------------------------------------------

    private void enroll(HttpExchange ex) throws IOException {
        ex.getRequestBody().readAllBytes();
        send(ex, 201, Map.of("agent_id", "attack-agent", "credential", "pma_hostile", "fleet_id", "attacks"));
    }

    private void checkIn(HttpExchange ex) throws IOException {
        JsonNode request = JSON.readTree(ex.getRequestBody().readAllBytes());
        checkIns.add(request);
        if (checkInMode == CheckInMode.ENDLESS) {
            endless(ex, "check-in", "{\"agent_id\":\"attack-agent\",\"padding\":\"".getBytes(StandardCharsets.US_ASCII));
            return;
        }
        Offer o = offer;
        String runId = request.path("run_id").asText("");
        if (!runId.isEmpty() && !runIdsSeen.add(runId) && withdrawOnRecheck) {
            o = null;
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("agent_id", "attack-agent");
        answer.put("fleet_id", "attacks");
        answer.put("update_available", o != null);
        answer.put("policy", POLICY);
        answer.put("policy_source", "fleet");
        answer.put("latest_version", o == null ? null : o.update().get("version"));
        if (o != null) {
            answer.put("update", o.update());
        }
        answer.put("plugin_updates", List.of());
        answer.put("commands", List.of());
        if (!trustStatements.isEmpty()) {
            answer.put("trust_statements", trustStatements);
        }
        send(ex, 200, answer);
    }

    private void telemetry(HttpExchange ex) throws IOException {
        JsonNode body = JSON.readTree(ex.getRequestBody().readAllBytes());
        int n = 0;
        if (body.has("events")) {
            for (JsonNode e : body.get("events")) {
                telemetry.add(e);
                n++;
            }
        } else {
            telemetry.add(body);
            n = 1;
        }
        send(ex, 200, Map.of("stored", n));
    }

    private void download(HttpExchange ex) throws IOException {
        Offer o = offer;
        if (o == null || o.artifact() == null) {
            send(ex, 404, Map.of("error", Map.of("code", "not_found", "message", "nothing offered")));
            return;
        }
        serve(ex, "artifact", o.artifact(), o.download());
    }

    private void bundle(HttpExchange ex) throws IOException {
        Offer o = offer;
        String path = ex.getRequestURI().getPath();
        String sha = path.substring(path.lastIndexOf('/') + 1);
        byte[] bytes = o == null ? null : o.bundles().get(sha);
        if (bytes == null) {
            send(ex, 404, Map.of("error", Map.of("code", "not_found", "message", "no bundle " + sha)));
            return;
        }
        serve(ex, "bundle", bytes, o.download());
    }

    private void serve(HttpExchange ex, String what, byte[] bytes, DownloadMode mode) throws IOException {
        ex.getRequestBody().readAllBytes();
        switch (mode) {
            case NORMAL -> {
                ex.getResponseHeaders().add("ETag", "\"" + sha256(bytes) + "\"");
                ex.sendResponseHeaders(200, bytes.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(bytes);
                }
                counter(what).addAndGet(bytes.length);
            }
            case ENDLESS -> endless(ex, what, bytes);
            case HALF_THEN_TRICKLE -> {
                ex.sendResponseHeaders(200, bytes.length);
                try (OutputStream out = ex.getResponseBody()) {
                    int half = bytes.length / 2;
                    out.write(bytes, 0, half);
                    out.flush();
                    counter(what).addAndGet(half);
                    for (int i = half; i < bytes.length; i++) {
                        out.write(bytes[i]);
                        out.flush();
                        counter(what).incrementAndGet();
                        if (closing.await(100, TimeUnit.MILLISECONDS)) {
                            return;
                        }
                    }
                } catch (IOException | InterruptedException dropped) {
                    droppedConnections.incrementAndGet(); // the agent hung up
                }
            }
            case TRICKLE -> {
                // slow retrieval: the promised length, a byte every 100 ms, never quite a stall
                ex.sendResponseHeaders(200, bytes.length);
                try (OutputStream out = ex.getResponseBody()) {
                    for (int i = 0; i < bytes.length; i++) {
                        out.write(bytes[i]);
                        out.flush();
                        counter(what).incrementAndGet();
                        if (closing.await(100, TimeUnit.MILLISECONDS)) {
                            return;
                        }
                    }
                } catch (IOException | InterruptedException dropped) {
                    droppedConnections.incrementAndGet(); // the agent hung up
                }
            }
            default -> throw new IllegalStateException(mode.toString());
        }
    }

    /** No length, no end: {@code head}, then the same bytes again and again until the peer hangs up (or 2 GiB). */
    private void endless(HttpExchange ex, String what, byte[] head) throws IOException {
        ex.sendResponseHeaders(200, 0);
        byte[] chunk = new byte[64 * 1024];
        Arrays.fill(chunk, (byte) 'a');
        try (OutputStream out = ex.getResponseBody()) {
            out.write(head);
            for (long sent = head.length; sent < (2L << 30) && closing.getCount() > 0; sent += chunk.length) {
                out.write(chunk);
                counter(what).addAndGet(chunk.length);
            }
        } catch (IOException dropped) {
            droppedConnections.incrementAndGet(); // the agent hung up
        }
    }

    private AtomicLong counter(String what) {
        return bytesSent.computeIfAbsent(what, k -> new AtomicLong());
    }

    private static void send(HttpExchange ex, int status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** The last check-in request the agent sent, if any. */
    Optional<JsonNode> lastCheckIn() {
        return checkIns.isEmpty() ? Optional.empty() : Optional.of(checkIns.get(checkIns.size() - 1));
    }

    private static Map<String, Object> policy() {
        Map<String, Object> window = new LinkedHashMap<>();
        window.put("enabled", false);
        window.put("start_hour", 2);
        window.put("start_min", 0);
        window.put("end_hour", 4);
        window.put("end_min", 0);
        window.put("timezone", "UTC");
        window.put("days_of_week", List.of(0, 1, 2, 3, 4, 5, 6));
        Map<String, Object> rollout = new LinkedHashMap<>();
        rollout.put("staggered", false);
        rollout.put("max_concurrent", 10);
        rollout.put("batch_size", 50);
        rollout.put("delay_between_waves", 1800);
        rollout.put("jitter_seconds", 300);
        rollout.put("emergency_abort", false);
        rollout.put("failure_threshold_percent", 10);
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("update_check_days", 0);
        p.put("version_pin_strategy", "minor");
        p.put("allow_major_upgrade", true);
        p.put("target_version", null);
        p.put("collect_telemetry", true);
        p.put("maintenance_window", window);
        p.put("rollout_control", rollout);
        p.put("require_approval", false);
        return java.util.Collections.unmodifiableMap(p);
    }

    @Override
    public void close() {
        closing.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
