package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 13's key lifecycle end to end, with a real server and real agents (docs/manifests.md, "Trust statements"):
 * an agent installed before a rotation keeps updating after it; the rotated-out key, and then the revoked key, sign
 * nothing that agent accepts (a stand-in between agent and server replays an offer the old key signed); with an
 * offline root ({@code ./pm keys}'s tool run as a process), an agent refuses a server-made key whose delegation it
 * has not received, and accepts it once the delegation arrives.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TrustLifecycleIT {
    private static final Duration WAIT = Duration.ofMinutes(3);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FLEET = "trust-chain";
    private static final String ROOT_FLEET = "trust-root";
    private static final String V1 = "0.1.1";
    private static final String V2 = "0.1.2";
    private static final String V3 = "0.1.3";
    private static final String PASSPHRASE = "an offline root passphrase";

    private static AgentFleetFixture fleet;
    private static ApiClient admin;
    private static CheckInStandIn standIn;
    private static CheckInStandIn rootStandIn;
    private static AgentInstallation agent;
    private static AgentInstallation rootAgent;
    private static String firstKey;
    private static String secondKey;
    private static JsonNode offerByFirstKey;

    @BeforeAll
    static void start() throws Exception {
        fleet = AgentFleetFixture.start("trust-lifecycle", FLEET, "Trust chain", WAIT);
        admin = fleet.admin();
        standIn = new CheckInStandIn(fleet.server().baseUri());
        agent = fleet.installAgent("trust-agent");
        pointAt(agent, standIn);
        agent.checkInEvery(10);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (rootAgent != null) {
                rootAgent.close();
            }
            if (fleet != null) {
                fleet.close();
            }
        } finally {
            if (standIn != null) {
                standIn.close();
            }
            if (rootStandIn != null) {
                rootStandIn.close();
            }
        }
    }

    @Test
    @Order(1)
    void theInstallerEmbedsOnlyTheActiveKeyAndTheTrustVersion() throws Exception {
        firstKey = activeKey();
        JsonNode trust = JSON.readTree(agent.root().resolve("etc/trust.json").toFile());
        assertEquals("printmaster.trust.v2", trust.path("format").asText());
        assertEquals(1, trust.path("keys").size(), "only the active key: " + trust);
        assertEquals(firstKey, trust.path("keys").get(0).path("id").asText());
        assertTrue(trust.path("root").isNull(), "no root configured yet");
        assertEquals(JSON.readTree(admin.get("/api/v1/releases/trust").body()).path("trust_version").asLong(),
                trust.path("trust_version").asLong());

        Instant started = Instant.now();
        agent.startSupervised();
        fleet.awaitReadyForCommands(fleet.builtVersion(), started);
        fleet.identifyAgent();
    }

    @Test
    @Order(2)
    void anAgentInstalledBeforeARotationUpdatesAfterIt() throws Exception {
        // a release the first key signs, whose offer the stand-in keeps for later
        fleet.publish(fleet.official(), V1, AgentReleaseBuilder.Changes.fullInstall());
        // the offer the server makes of it, kept for later: the signed manifest as the releases API serves it, in the
        // check-in's offer shape (a plain check-in is offered nothing while the rollout waits for the agent's update
        // run, and a run would install it)
        offerByFirstKey = offerOf(V1);
        assertEquals(firstKey, offerByFirstKey.path("key_id").asText(), "signed by the first key: " + offerByFirstKey);

        ApiClient.Response rotated = admin.post("/api/v1/releases/signing-keys/rotate",
                Map.of("regenerate_manifests", true, "notes", "scheduled rotation"));
        assertEquals(200, rotated.status(), rotated.body());
        JsonNode r = JSON.readTree(rotated.body());
        secondKey = r.path("key").path("id").asText();
        assertNotEquals(firstKey, secondKey);
        assertTrue(r.path("regenerated_count").asInt() >= 2, "every manifest re-signed: " + r);
        assertEquals(firstKey, JSON.readTree(r.path("statement").path("statement").asText()).path("old_key_id").asText());

        fleet.publish(fleet.official(), V2, AgentReleaseBuilder.Changes.fullInstall());
        fleet.await("the agent holds the rotation statement", () -> {
            JsonNode state = trustState(agent);
            assertTrue(state.path("trust_version").asLong() >= 1, "trust state: " + state);
            assertEquals("retired", keyState(state, firstKey));
            assertEquals("active", keyState(state, secondKey));
        });
        fleet.forceUpdate();
        fleet.await("the agent installed " + V2 + ", signed by the new key", () -> {
            JsonNode mine = fleet.serverRecord();
            assertEquals(V2, mine.get("current_version").asText(), "server: current_version");
            assertEquals("succeeded", mine.get("status").asText(), "server: status");
            assertEquals(V2, agent.status().get("current_version").asText(), "agent: current_version");
        }, fleet.runEndedOtherwise(V2, "succeeded"));
    }

    @Test
    @Order(3)
    void theRotatedOutKeyAndThenTheRevokedKeySignNothingTheAgentAccepts() throws Exception {
        assertNotNull(offerByFirstKey, "step 2 kept an offer");
        standIn.rewriteCheckIns(answer -> {
            answer.set("update", offerByFirstKey.deepCopy());
            answer.put("update_available", true);
            return answer;
        });
        try {
            assertRefused("which a rotation retired");

            assertEquals("reason", errorField(admin.post("/api/v1/releases/signing-keys/" + firstKey + "/revoke",
                    Map.of()), 400, "revoke without a reason"), "a revocation without a reason names the field");
            admin.post("/api/v1/releases/signing-keys/" + secondKey + "/revoke", Map.of("reason", "x"))
                    .assertError(409, "revoking the active key");
            ApiClient.Response revoked = admin.post("/api/v1/releases/signing-keys/" + firstKey + "/revoke",
                    Map.of("reason", "the old build machine was compromised"));
            assertEquals(200, revoked.status(), revoked.body());
            JsonNode statement = JSON.readTree(revoked.body()).path("statement");
            assertEquals("revocation", statement.path("type").asText());
            assertEquals(secondKey, statement.path("signer_key_id").asText());
            long sequence = statement.path("sequence").asLong();

            fleet.await("the agent holds the revocation", () -> {
                JsonNode state = trustState(agent);
                assertEquals(sequence, state.path("trust_version").asLong(), "trust state: " + state);
                assertEquals("revoked", keyState(state, firstKey));
            });
            assertRefused("which was revoked");
        } finally {
            standIn.rewriteCheckIns(a -> a);
        }
        assertEquals(V2, agent.status().get("current_version").asText(), "still on its working version");
    }

    @Test
    @Order(4)
    void withARootAServerMadeKeyIsRefusedUntilTheAgentHoldsItsDelegation() throws Exception {
        Path rootDir = fleet.work().resolve("offline-root");
        assertEquals(0, keys("root-init", "--out", rootDir.toString()), "root-init");
        Path activePem = Files.writeString(fleet.work().resolve(secondKey + ".pem"),
                admin.get("/api/v1/releases/signing-keys/" + secondKey + "/pem").body());
        Path delegation = fleet.work().resolve("delegation-1.json");
        assertEquals(0, keys("delegate", "--root", rootDir.toString(), "--public-key", activePem.toString(),
                "--expires-days", "30", "--out", delegation.toString()));

        Map<String, Object> posted = JSON.readValue(delegation.toFile(), Map.class);
        Map<String, Object> forged = new java.util.LinkedHashMap<>(posted);
        forged.put("signature", Base64Of64Zeros.VALUE);
        assertEquals("signature", errorField(admin.post("/api/v1/releases/trust/statements", forged), 400,
                "a forged delegation"));
        ApiClient.Response accepted = admin.post("/api/v1/releases/trust/statements", posted);
        assertEquals(201, accepted.status(), accepted.body());
        JsonNode trust = JSON.readTree(admin.get("/api/v1/releases/trust").body());
        String rootId = Files.readString(rootDir.resolve("root-key.json")).replaceAll("(?s).*\"key_id\" : \"([0-9a-f]+)\".*", "$1");
        assertEquals(rootId, trust.path("root_key_id").asText());

        // a new agent from a new installer: the root, the active key's delegation, nothing retired or revoked
        ApiClient.Response created = admin.post("/api/v1/fleets", Map.of("id", ROOT_FLEET, "name", "Trust root"));
        assertEquals(201, created.status(), created.body());
        Path installer = fleet.work().resolve("installer-root.tar.gz");
        HttpResponse<Path> download = admin.download("/api/v1/installers/" + ROOT_FLEET + "/"
                + AgentReleaseBuilder.platform() + "?format=tar.gz", installer);
        assertEquals(200, download.statusCode());
        rootAgent = AgentInstallation.install(installer, fleet.work().resolve("install-root"), "trust-root-agent");
        String installed = Files.readString(rootAgent.root().resolve("VERSION")).strip();
        assertEquals(V2, installed, "a new installer holds the newest release");
        JsonNode embedded = JSON.readTree(rootAgent.root().resolve("etc/trust.json").toFile());
        assertEquals(rootId, embedded.path("root").path("id").asText());
        assertEquals(List.of(secondKey), ids(embedded.path("keys")), "only the active key: " + embedded);
        assertEquals(List.of("delegation"), types(embedded.path("statements")));
        assertFalse(embedded.toString().contains(firstKey), "the revoked key is not embedded");

        rootStandIn = new CheckInStandIn(fleet.server().baseUri());
        pointAt(rootAgent, rootStandIn);
        rootAgent.checkInEvery(10);
        // the stand-in withholds the root's delegations from this agent: it sees only the rotation
        rootStandIn.rewriteCheckIns(TrustLifecycleIT::withoutDelegations);
        rootAgent.startSupervised();
        fleet.await("the root agent enrolls", () -> assertFalse(rootRecord().path("last_seen_at").isNull()));

        // under the root, rotation makes a pending key that signs nothing until its delegation is posted
        JsonNode pending = JSON.readTree(admin.post("/api/v1/releases/signing-keys/rotate", Map.of()).body());
        assertTrue(pending.path("pending").asBoolean(), pending.toString());
        String thirdKey = pending.path("key").path("id").asText();
        assertEquals("pending", pending.path("key").path("state").asText());
        assertEquals(secondKey, activeKey(), "the delegated key still signs");
        Path thirdPem = Files.writeString(fleet.work().resolve(thirdKey + ".pem"),
                admin.get("/api/v1/releases/signing-keys/" + thirdKey + "/pem").body());
        Path delegation2 = fleet.work().resolve("delegation-2.json");
        assertEquals(0, keys("delegate", "--root", rootDir.toString(), "--public-key", thirdPem.toString(),
                "--expires-days", "30", "--out", delegation2.toString()));
        ApiClient.Response activated = admin.post("/api/v1/releases/trust/statements",
                JSON.readValue(delegation2.toFile(), Map.class));
        assertEquals(201, activated.status(), activated.body());
        assertEquals(thirdKey, JSON.readTree(activated.body()).path("activated_key").path("id").asText());
        assertEquals(thirdKey, activeKey());
        fleet.publish(fleet.official(), V3, AgentReleaseBuilder.Changes.fullInstall());

        // the agent received the rotation to the third key but not its delegation: the key is refused
        Instant before = Instant.now();
        fleet.await("the root agent refuses " + V3 + " signed by the undelegated key " + thirdKey, () -> {
            rootAgent.trigger("check");
            assertEquals(thirdKey, rootStandIn.lastServerOffer().path("key_id").asText());
            JsonNode last = rootAgent.status().path("last_result");
            assertTrue(Instant.parse(last.path("finished_at").asText()).isAfter(before), "a run since: " + last);
            assertEquals("MANIFEST_ERROR", last.path("error_code").asText(), last.toString());
            assertTrue(last.path("error_message").asText().contains(thirdKey), last.toString());
            assertTrue(last.path("error_message").asText().contains("does not trust"), last.toString());
        });
        assertTrue(rootAgent.logTail().contains("has not delegated"), "the rotation was ignored, and said why");
        assertEquals(V2, rootAgent.status().path("current_version").asText(), "still on its working version");

        // once the delegation reaches it, the same agent takes the release the new key signed
        rootStandIn.rewriteCheckIns(a -> a);
        fleet.await("the root agent holds the delegation of " + thirdKey, () ->
                assertEquals("active", keyState(trustState(rootAgent), thirdKey)));
        // its refused run counts as failed in the fleet's rollout, which offers a failed agent nothing more by itself:
        // the administrator's "Update now" retries it
        String rootAgentId = rootRecord().path("id").asText();
        ApiClient.Response force = admin.post("/api/v1/agents/" + rootAgentId + "/commands",
                Map.of("command", "force_update"));
        assertEquals(202, force.status(), force.body());
        fleet.await("the root agent installed " + V3 + " signed by the delegated key", () ->
                assertEquals(V3, rootAgent.status().path("current_version").asText(), "root agent: "
                        + rootAgent.status().path("last_result")));
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    /** A run the agent makes now (through the stand-in) ends refused with {@code MANIFEST_ERROR} saying why. */
    private static void assertRefused(String why) throws Exception {
        Instant before = Instant.now();
        fleet.await("the agent refuses the offer signed by " + firstKey + " (" + why + ")", () -> {
            agent.trigger("check");
            JsonNode last = agent.status().path("last_result");
            assertTrue(Instant.parse(last.path("finished_at").asText()).isAfter(before), "a run since: " + last);
            assertEquals("MANIFEST_ERROR", last.path("error_code").asText(), last.toString());
            assertTrue(last.path("error_message").asText().contains(firstKey), last.toString());
            assertTrue(last.path("error_message").asText().contains(why), last.toString());
        });
    }

    /** The {@code error.field} of an error answer with {@code status}. */
    private static String errorField(ApiClient.Response r, int status, String what) throws Exception {
        r.assertError(status, what);
        return JSON.readTree(r.body()).path("error").path("field").asText("");
    }

    private static ObjectNode withoutDelegations(ObjectNode answer) {
        ArrayNode kept = JSON.createArrayNode();
        for (JsonNode s : answer.path("trust_statements")) {
            if (!"delegation".equals(s.path("type").asText())) {
                kept.add(s);
            }
        }
        answer.set("trust_statements", kept);
        return answer;
    }

    private static JsonNode rootRecord() throws Exception {
        JsonNode agents = JSON.readTree(admin.get("/api/v1/agents?fleet=" + ROOT_FLEET).body()).path("agents");
        assertEquals(1, agents.size(), agents.toString());
        return agents.get(0);
    }

    private static String activeKey() throws Exception {
        for (JsonNode k : JSON.readTree(admin.get("/api/v1/releases/signing-keys").body()).path("keys")) {
            if (k.path("active").asBoolean()) {
                return k.path("id").asText();
            }
        }
        // none yet: the installer made the first one; ask again after it
        throw new AssertionError("no active signing key");
    }

    private static JsonNode trustState(AgentInstallation a) throws Exception {
        Path file = a.dataDir().resolve("update/trust-state.json");
        assertTrue(Files.isRegularFile(file), "no trust state yet: " + file);
        return JSON.readTree(file.toFile());
    }

    private static String keyState(JsonNode state, String keyId) {
        for (JsonNode k : state.path("keys")) {
            if (keyId.equals(k.path("id").asText())) {
                return k.path("state").asText();
            }
        }
        return "unknown";
    }

    private static List<String> ids(JsonNode list) {
        List<String> out = new ArrayList<>();
        list.forEach(n -> out.add(n.path("id").asText()));
        return out;
    }

    private static List<String> types(JsonNode list) {
        List<String> out = new ArrayList<>();
        list.forEach(n -> out.add(n.path("type").asText()));
        return out;
    }

    /** Points an installed (not yet started) agent at the stand-in. */
    private static void pointAt(AgentInstallation a, CheckInStandIn via) throws Exception {
        Path fleetJson = a.root().resolve("etc/fleet.json");
        ObjectNode f = (ObjectNode) JSON.readTree(fleetJson.toFile());
        f.put("server_url", via.uri().toString());
        Files.write(fleetJson, JSON.writeValueAsBytes(f));
    }

    /**
     * {@code ./pm keys ...} as pm runs it: the launcher jar's {@code KeysCommand} with the bundles it borrows from
     * the server distribution, as a process; the passphrase from {@code PM_ROOT_PASSPHRASE}.
     */
    private static int keys(String... args) throws Exception {
        Path dist = ServerProcess.distribution();
        List<String> classPath = new ArrayList<>(List.of(dist.resolve("lib").toString() + "/*"));
        try (Stream<Path> bundles = Files.list(dist.resolve("bundle"))) {
            bundles.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("bcprov-")
                    || n.startsWith("jackson-core-") || n.startsWith("jackson-databind-")
                    || n.startsWith("jackson-annotations-") || n.startsWith("io.printmaster.server.signing-"))
                    .forEach(n -> classPath.add(dist.resolve("bundle").resolve(n).toString()));
        }
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", String.join(java.io.File.pathSeparator, classPath),
                "io.printmaster.server.launcher.keys.KeysCommand"));
        command.addAll(List.of(args));
        ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true);
        b.environment().put("PM_ROOT_PASSPHRASE", PASSPHRASE);
        Process p = b.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "pm keys " + String.join(" ", args) + " hung");
        assertEquals(0, p.exitValue(), "pm keys " + String.join(" ", args) + ": " + out);
        assertFalse(out.contains(PASSPHRASE), "the passphrase is never printed");
        return p.exitValue();
    }

    /** A well-formed signature (64 zero bytes) that verifies with no key. */
    private static final class Base64Of64Zeros {
        static final String VALUE = java.util.Base64.getEncoder().encodeToString(new byte[64]);
    }

    /**
     * The check-in offer of {@code version} for this agent's platform (tar.gz), built from the signed manifest the
     * releases API serves: the same bytes, signature and key a check-in carries.
     */
    private static ObjectNode offerOf(String version) throws Exception {
        JsonNode list = JSON.readTree(admin.get("/api/v1/releases/manifests?component=agent&version=" + version
                + "&platform=linux&arch=" + AgentReleaseBuilder.arch() + "&format=tar.gz").body()).path("manifests");
        assertEquals(1, list.size(), "one signed manifest of " + version + ": " + list);
        JsonNode m = list.get(0);
        String manifest = m.path("manifest").asText();
        JsonNode fields = JSON.readTree(manifest);
        ObjectNode offer = JSON.createObjectNode();
        offer.put("version", version);
        offer.put("format", m.path("format").asText());
        offer.put("sha256", m.path("sha256").asText());
        offer.put("size_bytes", fields.path("size_bytes").asLong());
        offer.put("manifest", manifest);
        offer.put("manifest_base64", java.util.Base64.getEncoder().encodeToString(manifest.getBytes(StandardCharsets.UTF_8)));
        offer.put("signature", m.path("signature").asText());
        offer.put("key_id", m.path("key_id").asText());
        offer.put("expires_at", m.path("expires_at").asText());
        offer.put("download_url", "/api/v1/agents/update/download/agent/" + version + "/linux-" + AgentReleaseBuilder.arch()
                + "?format=tar.gz");
        return offer;
    }
}
