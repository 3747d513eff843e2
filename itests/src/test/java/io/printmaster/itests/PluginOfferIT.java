package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 6, vendor plugins, server side, against the real server process: a vendor publishes releases of its plugin
 * (component {@code acme-label}, real bundle jars with {@code PrintMaster-Component}) in a release folder; an agent
 * enrolled over the API that reports the plugin at check-in is offered the newest signed release for its platform
 * (not the pre-release, not another platform's, whatever the fleet's pin and target), whose manifest verifies with
 * the server's published key and whose {@code download_url} serves exactly the signed bytes. Bad {@code plugins}
 * are 400s naming the field, and change nothing.
 */
class PluginOfferIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String COMPONENT = "acme-label";
    /** What the vendor publishes: version → target. */
    private static final Map<String, String> PUBLISHED = new LinkedHashMap<>();

    static {
        PUBLISHED.put("1.0.1", "linux-amd64");
        PUBLISHED.put("1.1.0", "linux-amd64");
        PUBLISHED.put("1.2.0-beta.1", "linux-amd64");
        PUBLISHED.put("2.0.0", "windows-amd64");
    }

    private static ServerProcess server;
    private static ApiClient anonymous;
    private static ApiClient admin;
    private static Path releases;

    @BeforeAll
    static void start() throws Exception {
        Path work = Files.createTempDirectory("pm-plugin-offers");
        releases = Files.createDirectories(work.resolve("vendor-releases"));
        StringBuilder sums = new StringBuilder();
        for (Map.Entry<String, String> release : PUBLISHED.entrySet()) {
            Path jar = releases.resolve("printmaster-" + COMPONENT + "-v" + release.getKey() + "-" + release.getValue() + ".jar");
            pluginJar(work, release.getKey(), jar);
            sums.append(FixtureBundles.sha256(jar)).append("  ").append(jar.getFileName()).append('\n');
        }
        Files.writeString(releases.resolve("SHA256SUMS"), sums);

        server = ServerProcess.start("plugin-offers", Files.createDirectories(work.resolve("data")),
                ServerProcess.WITHOUT_BUILT_IN_RELEASES);
        server.awaitEndpoints("/api/v1/release-sources", "/api/v1/agents", "/api/v1/releases/manifests");
        anonymous = ApiClient.anonymous(Integer.toString(server.baseUri().getPort()));
        admin = anonymous.login(server.adminPassword());

        ApiClient.Response created = admin.post("/api/v1/release-sources", Map.of("type", "directory", "name", "acme",
                "config", Map.of("path", releases.toString())));
        assertEquals(201, created.status(), created.body());
        Eventually.within(WAIT, () -> {
            ApiClient.Response sources = admin.get("/api/v1/release-sources");
            assertTrue(sources.body().contains("\"active\":true"), sources.body());
        });
        ApiClient.Response sync = admin.post("/api/v1/releases/sync", Map.of());
        assertTrue(sync.status() == 202 || sync.status() == 409, sync.body()); // 409: the new source's own sync runs
        Eventually.within(WAIT, () -> {
            for (String version : PUBLISHED.keySet()) {
                List<?> manifests = (List<?>) admin.get("/api/v1/releases/manifests?component=" + COMPONENT
                        + "&version=" + version + "&format=jar").json().get("manifests");
                assertEquals(1, manifests.size(), "the vendor's jar " + version + " is cached and signed: " + manifests);
            }
        });
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void anAgentReportingThePluginIsOfferedItsNewestSignedReleaseAndDownloadsTheSignedBytes() throws Exception {
        ApiClient agent = enrolledAgent("offers", "plugin-host");
        // the fleet pins agents to their minor line and targets an old agent version: neither applies to plugins
        setPolicy("offers", 7, "0.9.1");

        Map<String, Object> answer = checkIn(agent, "plugin-host",
                List.of(plugin(COMPONENT, "1.0.0"), plugin("other-vendor", "3.0.0")));
        assertEquals(false, answer.get("update_available"), "no agent release is published: " + answer);
        List<Map<String, Object>> offers = (List<Map<String, Object>>) answer.get("plugin_updates");
        assertEquals(1, offers.size(), "one offer, for the plugin with a newer release: " + offers);
        Map<String, Object> offer = offers.get(0);
        Path published = releases.resolve("printmaster-acme-label-v1.1.0-linux-amd64.jar");
        assertEquals(COMPONENT, offer.get("component"));
        assertEquals("1.1.0", offer.get("version"), "the newest for linux-amd64 that is not a pre-release: " + offer);
        assertEquals("jar", offer.get("format"));
        assertEquals(FixtureBundles.sha256(published), offer.get("sha256"));
        assertEquals(Files.size(published), ((Number) offer.get("size_bytes")).longValue());
        assertEquals("/api/v1/agents/update/download/acme-label/1.1.0/linux-amd64?format=jar", offer.get("download_url"));
        assertNotNull(offer.get("expires_at"));

        Map<String, Object> manifest = verifiedManifest(offer);
        assertEquals(COMPONENT, manifest.get("component"));
        assertEquals("1.1.0", manifest.get("version"));
        assertEquals("jar", manifest.get("format"));
        assertEquals("linux", manifest.get("platform"));
        assertEquals(offer.get("sha256"), manifest.get("sha256"));
        assertEquals(offer.get("expires_at"), manifest.get("expires_at"));

        Path downloaded = Files.createTempFile("acme-label", ".jar");
        HttpResponse<Path> download = agent.download((String) offer.get("download_url"), downloaded);
        assertEquals(200, download.statusCode());
        assertArrayEquals(Files.readAllBytes(published), Files.readAllBytes(downloaded), "the published jar, as it is");
        assertEquals(manifest.get("sha256"), FixtureBundles.sha256(downloaded), "the bytes the manifest signs");
        assertEquals("application/java-archive", download.headers().firstValue("Content-Type").orElse(""));
        assertEquals(COMPONENT, componentOf(downloaded), "a plugin bundle of the component's release stream");

        // up to date, no plugins reported, or automatic updates off: nothing to offer (the member is always there)
        assertEquals(List.of(), checkIn(agent, "plugin-host", List.of(plugin(COMPONENT, "1.1.0"))).get("plugin_updates"));
        assertEquals(List.of(), checkIn(agent, "plugin-host", null).get("plugin_updates"));
        setPolicy("offers", 0, null);
        assertEquals(List.of(), checkIn(agent, "plugin-host", List.of(plugin(COMPONENT, "1.0.0"))).get("plugin_updates"));
        // the fleet's emergency stop halts plugin offers too, until it is cleared
        setPolicy("offers", 7, null, true);
        assertEquals(List.of(), checkIn(agent, "plugin-host", List.of(plugin(COMPONENT, "1.0.0"))).get("plugin_updates"));
        setPolicy("offers", 7, null);
        assertEquals(1, ((List<?>) checkIn(agent, "plugin-host", List.of(plugin(COMPONENT, "1.0.0"))).get("plugin_updates")).size(),
                "cleared: offered again");
    }

    @Test
    void badPluginsAreA400NamingTheFieldAndTheCheckInIsNotRecorded() throws Exception {
        ApiClient agent = enrolledAgent("bad-plugins", "bad-plugins-host");
        String agentId = agentId("bad-plugins");
        Map<String, Object> before = agentRecord(agentId);

        Map<String, Object> tooMany = new LinkedHashMap<>();
        List<Map<String, Object>> fiftyOne = new ArrayList<>();
        for (int i = 0; i < 51; i++) {
            fiftyOne.add(plugin("vendor-" + i, "1.0.0"));
        }
        tooMany.put("plugins", fiftyOne);
        assertRejected(agent, "plugins", body -> body.putAll(tooMany));
        assertRejected(agent, "plugins[1].component", body -> body.put("plugins",
                List.of(plugin(COMPONENT, "1.0.0"), plugin("Acme_Label", "1.0.0"))));
        assertRejected(agent, "plugins[0].component", body -> body.put("plugins", List.of(plugin("agent", "1.0.0"))));
        assertRejected(agent, "plugins[0].component", body -> body.put("plugins", List.of(plugin("server", "1.0.0"))));
        assertRejected(agent, "plugins[2].component", body -> body.put("plugins", List.of(plugin(COMPONENT, "1.0.0"),
                plugin("zebra-scan", "1.0.0"), plugin(COMPONENT, "1.1.0"))));
        assertRejected(agent, "plugins[0].version", body -> body.put("plugins", List.of(plugin(COMPONENT, "1.0 beta"))));
        assertRejected(agent, "plugins[0].version", body -> body.put("plugins", List.of(Map.of("component", COMPONENT))));
        assertRejected(agent, "plugins[0]", body -> body.put("plugins", Arrays.asList((Object) null)));

        Map<String, Object> after = agentRecord(agentId);
        assertEquals(before.get("hostname"), after.get("hostname"), "a refused check-in records nothing");
        assertEquals(before.get("current_version"), after.get("current_version"));
        assertEquals(before.get("last_seen_at"), after.get("last_seen_at"));
        assertNull(after.get("last_seen_at"), "never checked in: " + after);
    }

    // --- helpers ---

    /** A real bundle jar of the vendor's plugin: the hot-swap payload bundle, tied to the component's release stream. */
    private static void pluginJar(Path work, String version, Path target) {
        Path bundle = FixtureBundles.payload(work.resolve("build-" + version), 1, FixtureBundles.Payload.GOOD);
        Path tagged = FixtureBundles.withHeader(bundle, bundle.resolveSibling("tagged.jar"), "PrintMaster-Component", COMPONENT);
        String core = version.contains("-") ? version.substring(0, version.indexOf('-')) : version;
        FixtureBundles.withHeader(tagged, target, "Bundle-Version", core + ".20261127");
    }

    private static String componentOf(Path jar) throws Exception {
        try (java.util.jar.JarInputStream in = new java.util.jar.JarInputStream(Files.newInputStream(jar))) {
            return in.getManifest().getMainAttributes().getValue("PrintMaster-Component");
        }
    }

    private static Map<String, Object> plugin(String component, String version) {
        return Map.of("component", component, "version", version);
    }

    private static ApiClient enrolledAgent(String fleet, String hostname) throws Exception {
        ApiClient.Response created = admin.post("/api/v1/fleets", Map.of("id", fleet, "name", "Fleet " + fleet));
        assertEquals(201, created.status(), created.body());
        ApiClient.Response token = admin.post("/api/v1/fleets/" + fleet + "/join-tokens", Map.of());
        assertEquals(201, token.status(), token.body());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("join_token", token.json().get("token"));
        body.put("hostname", hostname);
        body.put("platform", "linux");
        body.put("arch", "amd64");
        body.put("current_version", "1.0.0");
        ApiClient.Response enrolled = anonymous.post("/api/v1/agents/enroll", body);
        assertEquals(201, enrolled.status(), enrolled.body());
        return anonymous.withToken((String) enrolled.json().get("credential"));
    }

    private static Map<String, Object> checkInBody(String hostname) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("current_version", "1.0.0");
        body.put("platform", "linux");
        body.put("arch", "amd64");
        body.put("hostname", hostname);
        return body;
    }

    private static Map<String, Object> checkIn(ApiClient agent, String hostname, List<Map<String, Object>> plugins)
            throws Exception {
        Map<String, Object> body = checkInBody(hostname);
        if (plugins != null) {
            body.put("plugins", plugins);
        }
        ApiClient.Response r = agent.post("/api/v1/agents/update/manifest", body);
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    @SuppressWarnings("unchecked")
    private static void assertRejected(ApiClient agent, String field, Consumer<Map<String, Object>> change) throws Exception {
        Map<String, Object> body = checkInBody("renamed-by-a-bad-check-in");
        change.accept(body);
        ApiClient.Response r = agent.post("/api/v1/agents/update/manifest", body);
        r.assertError(400, field);
        assertEquals(field, ((Map<String, Object>) r.json().get("error")).get("field"), r.body());
    }

    @SuppressWarnings("unchecked")
    private static String agentId(String fleet) throws Exception {
        List<Map<String, Object>> agents = (List<Map<String, Object>>) admin.get("/api/v1/agents?fleet=" + fleet).json().get("agents");
        assertEquals(1, agents.size(), agents.toString());
        return (String) agents.get(0).get("id");
    }

    private static Map<String, Object> agentRecord(String id) throws Exception {
        ApiClient.Response r = admin.get("/api/v1/agents/" + id);
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    private static void setPolicy(String fleet, int updateCheckDays, String target) throws Exception {
        setPolicy(fleet, updateCheckDays, target, false);
    }

    private static void setPolicy(String fleet, int updateCheckDays, String target, boolean emergencyAbort) throws Exception {
        Map<String, Object> policy = new LinkedHashMap<>();
        policy.put("update_check_days", updateCheckDays);
        policy.put("version_pin_strategy", "minor");
        policy.put("allow_major_upgrade", false);
        policy.put("target_version", target);
        policy.put("collect_telemetry", true);
        policy.put("maintenance_window", Map.of("enabled", false, "start_hour", 22, "start_min", 0, "end_hour", 4,
                "end_min", 0, "timezone", "UTC", "days_of_week", List.of(0, 1, 2, 3, 4, 5, 6)));
        policy.put("rollout_control", Map.of("staggered", false, "max_concurrent", 10, "batch_size", 50,
                "delay_between_waves", 0, "jitter_seconds", 0, "emergency_abort", emergencyAbort));
        ApiClient.Response r = admin.send("PUT", "/api/v1/update-policies/" + fleet, Map.of("policy", policy));
        assertEquals(200, r.status(), r.body());
    }

    /** The offered manifest bytes verify (Ed25519) with the key the server publishes; returns them as JSON. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> verifiedManifest(Map<String, Object> offer) throws Exception {
        byte[] manifest = Base64.getDecoder().decode((String) offer.get("manifest_base64"));
        assertEquals(offer.get("manifest"), new String(manifest, StandardCharsets.UTF_8), "the string and base64 forms agree");
        String keyId = (String) offer.get("key_id");
        String pem = null;
        for (Map<String, Object> k : (List<Map<String, Object>>) admin.get("/api/v1/releases/signing-keys").json().get("keys")) {
            if (keyId.equals(k.get("id"))) {
                pem = (String) k.get("public_key_pem");
            }
        }
        assertNotNull(pem, "the signing key " + keyId + " is published");
        byte[] der = Base64.getMimeDecoder().decode(pem.replace("-----BEGIN PUBLIC KEY-----", "").replace("-----END PUBLIC KEY-----", ""));
        PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
        Signature verifier = Signature.getInstance("Ed25519");
        verifier.initVerify(key);
        verifier.update(manifest);
        assertTrue(verifier.verify(Base64.getDecoder().decode((String) offer.get("signature"))), "the manifest signature verifies");
        assertFalse(manifest.length == 0);
        return JSON.readValue(manifest, Map.class);
    }
}
