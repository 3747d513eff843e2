package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;

/**
 * The check-in answer offers what the fleet's policy allows, not simply the newest release (in the code this plan
 * came from, only the latest version was ever offered): a minor pin gets the newest 0.9.x, a major upgrade only when
 * allowed, never a beta, and an explicit target wins, even to go back. The offer carries the exact signed manifest
 * bytes, which verify with the server's published key.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class UpdateOfferIT {
    private static final List<String> VERSIONS = List.of("0.9.1", "0.9.3", "1.0.0", "1.1.0-beta.1");

    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() throws Exception {
        Path data = ServerContainer.newDataDir("offers");
        Path releases = Files.createDirectories(data.resolve("releases-in"));
        StringBuilder sums = new StringBuilder();
        Random random = new Random(5);
        for (String v : VERSIONS) {
            byte[] bytes = new byte[2000 + random.nextInt(1000)];
            random.nextBytes(bytes);
            String name = "printmaster-agent-v" + v + "-linux-amd64.tar.gz";
            Files.write(releases.resolve(name), bytes);
            sums.append(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes))).append("  ")
                    .append(name).append('\n');
        }
        Files.writeString(releases.resolve("SHA256SUMS"), sums);
        Files.writeString(data.resolve("etc/io.printmaster.releasesource.directory-offers.cfg"), "name=offers\npath=" + releases + "\n");
        return OptionUtils.combine(ServerContainer.options(data, ServerContainer.freePort()),
                frameworkProperty("pm.admin.password").value("itest-" + UUID.randomUUID()),
                frameworkProperty("pm.releases.builtin").value("off"));
    }

    @Test
    @SuppressWarnings("unchecked")
    public void theOfferFollowsThePinTheMajorFlagAndAnExplicitTargetAndItsManifestVerifies() throws Exception {
        ApiClient anonymous = ApiClient.anonymous(context.getProperty("org.osgi.service.http.port"));
        anonymous.awaitHealthy();
        ApiClient admin = anonymous.login(context.getProperty("pm.admin.password"));
        IntakeDiagnostics.awaitIntake(admin, Duration.ofSeconds(60), () -> {
            for (String v : VERSIONS) {
                ApiClient.Response r = admin.get("/api/v1/releases/manifests?component=agent&version=" + v);
                assertEquals(r.body(), 200, r.status());
                assertFalse("signed manifest of " + v + ": " + r.body(), ((List<?>) r.json().get("manifests")).isEmpty());
            }
        });
        assertEquals(201, admin.post("/api/v1/fleets", Map.of("id", "offers", "name", "Offers")).status());
        ApiClient.Response token = admin.post("/api/v1/fleets/offers/join-tokens", Map.of());
        assertEquals(token.body(), 201, token.status());

        ApiClient agent = enroll(anonymous, (String) token.json().get("token"), "0.9.0");
        setPolicy(admin, "minor", false, null);
        Map<String, Object> pinned = checkIn(agent, "0.9.0");
        assertEquals(pinned.toString(), Boolean.TRUE, pinned.get("update_available"));
        Map<String, Object> update = (Map<String, Object>) pinned.get("update");
        assertEquals("minor pin: the newest 0.9.x, not 1.0.0", "0.9.3", update.get("version"));
        assertEquals("1.0.0", pinned.get("latest_version"));
        assertEquals("fleet", pinned.get("policy_source"));
        assertEquals("minor", ((Map<String, Object>) pinned.get("policy")).get("version_pin_strategy"));
        assertTrue(update.toString(), ((String) update.get("download_url"))
                .startsWith("/api/v1/agents/update/download/agent/0.9.3/linux-amd64"));
        assertManifestVerifies(admin, update, "0.9.3");

        setPolicy(admin, "major", false, null);
        assertEquals("major pin without major upgrades stays on 0.x", "0.9.3", offered(agent, "0.9.0"));
        setPolicy(admin, "major", true, null);
        assertEquals("major upgrades allowed: the newest release, never the beta", "1.0.0", offered(agent, "0.9.0"));
        setPolicy(admin, "major", true, "0.9.1");
        assertEquals("an explicit target wins, even backwards", "0.9.1", offered(agent, "1.0.0"));
        // the emergency stop halts every offer, an explicit target included, until it is cleared
        setPolicy(admin, "major", true, "0.9.1", true);
        Map<String, Object> halted = checkIn(agent, "0.9.0");
        assertEquals(halted.toString(), Boolean.FALSE, halted.get("update_available"));
        assertNull(halted.get("update"));
        assertEquals("1.0.0", halted.get("latest_version"));
        assertEquals(Boolean.TRUE, ((Map<String, Object>) ((Map<String, Object>) halted.get("policy"))
                .get("rollout_control")).get("emergency_abort"));
        setPolicy(admin, "major", true, "0.9.1");
        assertEquals("cleared: offers again", "0.9.1", offered(agent, "0.9.0"));
        setPolicy(admin, "major", false, null);
        Map<String, Object> upToDate = checkIn(agent, "1.0.0");
        assertEquals(upToDate.toString(), Boolean.FALSE, upToDate.get("update_available"));
        assertNull(upToDate.get("update"));
    }

    private static ApiClient enroll(ApiClient anonymous, String joinToken, String version) throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("join_token", joinToken);
        body.put("hostname", "offer-host");
        body.put("platform", "linux");
        body.put("arch", "amd64");
        body.put("current_version", version);
        ApiClient.Response enrolled = anonymous.post("/api/v1/agents/enroll", body);
        assertEquals(enrolled.body(), 201, enrolled.status());
        return anonymous.withToken((String) enrolled.json().get("credential"));
    }

    private static Map<String, Object> checkIn(ApiClient agent, String version) throws Exception {
        // an update run's check-in (run_id): only such a check-in may take a rollout slot and be offered
        ApiClient.Response r = agent.post("/api/v1/agents/update/manifest", Map.of("current_version", version,
                "platform", "linux", "arch", "amd64", "hostname", "offer-host", "run_id", "run-" + UUID.randomUUID()));
        assertEquals(r.body(), 200, r.status());
        return r.json();
    }

    @SuppressWarnings("unchecked")
    private static String offered(ApiClient agent, String version) throws Exception {
        Map<String, Object> answer = checkIn(agent, version);
        assertEquals(answer.toString(), Boolean.TRUE, answer.get("update_available"));
        return (String) ((Map<String, Object>) answer.get("update")).get("version");
    }

    private static void setPolicy(ApiClient admin, String pin, boolean allowMajor, String target) throws Exception {
        setPolicy(admin, pin, allowMajor, target, false);
    }

    private static void setPolicy(ApiClient admin, String pin, boolean allowMajor, String target, boolean emergencyAbort)
            throws Exception {
        Map<String, Object> policy = new LinkedHashMap<>();
        policy.put("update_check_days", 7);
        policy.put("version_pin_strategy", pin);
        policy.put("allow_major_upgrade", allowMajor);
        policy.put("target_version", target);
        policy.put("collect_telemetry", true);
        policy.put("maintenance_window", Map.of("enabled", false, "start_hour", 22, "start_min", 0, "end_hour", 4,
                "end_min", 0, "timezone", "UTC", "days_of_week", List.of(0, 1, 2, 3, 4, 5, 6)));
        policy.put("rollout_control", Map.of("staggered", false, "max_concurrent", 10, "batch_size", 50,
                "delay_between_waves", 0, "jitter_seconds", 0, "emergency_abort", emergencyAbort));
        ApiClient.Response r = admin.send("PUT", "/api/v1/update-policies/offers", Map.of("policy", policy));
        assertEquals(r.body(), 200, r.status());
    }

    /** The offered bytes are the signed ones: Ed25519 over exactly them with the key the server publishes. */
    @SuppressWarnings("unchecked")
    private static void assertManifestVerifies(ApiClient admin, Map<String, Object> update, String version) throws Exception {
        byte[] manifest = Base64.getDecoder().decode((String) update.get("manifest_base64"));
        assertEquals("the string and the base64 form are the same bytes", update.get("manifest"),
                new String(manifest, StandardCharsets.UTF_8));
        String keyId = (String) update.get("key_id");
        String pem = null;
        for (Map<String, Object> k : (List<Map<String, Object>>) admin.get("/api/v1/releases/signing-keys").json().get("keys")) {
            if (keyId.equals(k.get("id"))) {
                pem = (String) k.get("public_key_pem");
            }
        }
        assertTrue("the signing key " + keyId + " is published", pem != null);
        byte[] der = Base64.getMimeDecoder().decode(pem.replace("-----BEGIN PUBLIC KEY-----", "").replace("-----END PUBLIC KEY-----", ""));
        PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
        Signature verifier = Signature.getInstance("Ed25519");
        verifier.initVerify(key);
        verifier.update(manifest);
        assertTrue("the manifest signature verifies", verifier.verify(Base64.getDecoder().decode((String) update.get("signature"))));
        String text = new String(manifest, StandardCharsets.UTF_8);
        assertTrue(text, text.contains("\"version\":\"" + version + "\"") && text.contains("\"platform\":\"linux\""));
    }
}
