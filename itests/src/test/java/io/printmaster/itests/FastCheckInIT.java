package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
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
 * The fast check-in (answers from caches dropped by cluster signals, check-ins written behind, etags) on a real
 * server: a policy change is seen by the very next check-in, a newly cached release is offered at the next
 * check-in, a revoked credential is refused at once, {@code known} etags yield {@code unchanged} and small answers,
 * and {@code last_seen_at} becomes visible within the write-behind window.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FastCheckInIT {
    /** The documented window (docs/api.md): the flush period, with room for a loaded test machine. */
    private static final Duration WRITE_BEHIND_WINDOW = Duration.ofSeconds(1);

    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() throws Exception {
        Path data = ServerContainer.newDataDir("fast-checkin");
        Path releases = Files.createDirectories(data.resolve("releases-in"));
        publish(releases, "0.9.1");
        Files.writeString(data.resolve("etc/io.printmaster.releasesource.directory-fast.cfg"), "name=fast\npath=" + releases + "\n");
        return OptionUtils.combine(ServerContainer.options(data, ServerContainer.freePort()),
                frameworkProperty("pm.admin.password").value("itest-" + UUID.randomUUID()),
                frameworkProperty("pm.releases.builtin").value("off"),
                // the test runs in the container: it finds the source's folder here
                frameworkProperty("pm.itest.releases").value(releases.toString()));
    }

    /** Adds an agent archive of {@code version} to the directory source (SHA256SUMS lists every archive). */
    private static void publish(Path releases, String version) throws Exception {
        byte[] bytes = new byte[2000];
        new Random(version.hashCode()).nextBytes(bytes);
        String name = "printmaster-agent-v" + version + "-linux-amd64.tar.gz";
        Files.write(releases.resolve(name), bytes);
        Path sums = releases.resolve("SHA256SUMS");
        String before = Files.exists(sums) ? Files.readString(sums) : "";
        Files.writeString(sums, before + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes))
                + "  " + name + "\n");
    }

    @Test
    @SuppressWarnings("unchecked")
    public void changesAreSeenByTheNextCheckInAndUnchangedAnswersAreSmall() throws Exception {
        ApiClient anonymous = ApiClient.anonymous(context.getProperty("org.osgi.service.http.port"));
        anonymous.awaitHealthy();
        ApiClient admin = anonymous.login(context.getProperty("pm.admin.password"));
        awaitManifest(admin, "0.9.1");
        assertEquals(201, admin.post("/api/v1/fleets", Map.of("id", "fast", "name", "Fast")).status());
        setPolicy(admin, 7);
        String token = (String) admin.post("/api/v1/fleets/fast/join-tokens", Map.of()).json().get("token");
        Map<String, Object> enrolled = enroll(anonymous, token, "fast-1");
        ApiClient agent = anonymous.withToken((String) enrolled.get("credential"));
        String agentId = (String) enrolled.get("agent_id");

        // up to date on 0.9.1: nothing to offer; the policy and its etag
        Map<String, Object> first = checkIn(agent, "0.9.1", null, null);
        assertEquals(first.toString(), Boolean.FALSE, first.get("update_available"));
        assertEquals(7, ((Map<String, Object>) first.get("policy")).get("update_check_days"));
        String policyEtag = (String) first.get("policy_etag");
        assertNotNull("the answer names its policy: " + first, policyEtag);

        // the same again (now from the caches): same etag; with it as known, the policy is left out
        ApiClient.Response small = checkInRaw(agent, "0.9.1", null, Map.of("policy_etag", policyEtag));
        Map<String, Object> unchanged = small.json();
        assertTrue(unchanged.toString(), unchanged.containsKey("policy"));
        assertNull("unchanged: the policy is left out", unchanged.get("policy"));
        assertEquals(List.of("policy"), unchanged.get("unchanged"));
        assertEquals(policyEtag, unchanged.get("policy_etag"));
        ApiClient.Response full = checkInRaw(agent, "0.9.1", null, null);
        assertTrue("small: " + small.body().length() + " < " + full.body().length(),
                small.body().length() < full.body().length() - 300);
        assertFalse("an agent without known gets the whole answer", full.json().containsKey("unchanged"));

        // last_seen_at of a check-in written behind is visible within the window
        Instant before = Instant.now().minusSeconds(1);
        checkIn(agent, "0.9.1", null, null);
        Instant asked = Instant.now();
        Eventually.within(WRITE_BEHIND_WINDOW.plusMillis(500), () -> {
            Object seen = admin.get("/api/v1/agents/" + agentId).json().get("last_seen_at");
            assertNotNull(seen);
            assertTrue(seen + " after " + before, Instant.parse((String) seen).isAfter(before));
        });
        System.out.println("last_seen_at visible " + Duration.between(asked, Instant.now()).toMillis()
                + " ms after the check-in");

        // a policy change is seen by the very next check-in, and its etag changes
        setPolicy(admin, 3);
        Map<String, Object> changed = checkIn(agent, "0.9.1", null, Map.of("policy_etag", policyEtag));
        assertEquals(changed.toString(), 3, ((Map<String, Object>) changed.get("policy")).get("update_check_days"));
        assertFalse("a new etag", policyEtag.equals(changed.get("policy_etag")));
        assertNull(changed.get("unchanged"));

        // a newly cached release is offered at the next check-in (an update run's, which may take a slot)
        publish(Path.of(context.getProperty("pm.itest.releases")), "0.9.2");
        assertEquals(202, admin.post("/api/v1/releases/sync", Map.of()).status());
        awaitManifest(admin, "0.9.2");
        String run = "run-" + UUID.randomUUID();
        Map<String, Object> offered = checkIn(agent, "0.9.1", run, null);
        assertEquals(offered.toString(), Boolean.TRUE, offered.get("update_available"));
        assertEquals("0.9.2", ((Map<String, Object>) offered.get("update")).get("version"));
        String manifestEtag = (String) offered.get("manifest_etag");
        assertNotNull(offered.toString(), manifestEtag);
        // the same offer, known: left out, still available
        Map<String, Object> knownOffer = checkIn(agent, "0.9.1", run, Map.of("policy_etag",
                (String) offered.get("policy_etag"), "manifest_etag", manifestEtag));
        assertEquals(knownOffer.toString(), Boolean.TRUE, knownOffer.get("update_available"));
        assertNull(knownOffer.get("update"));
        assertNull(knownOffer.get("policy"));
        assertEquals(List.of("policy", "update"), knownOffer.get("unchanged"));

        // a revoked credential is refused at once
        assertEquals(200, checkInRaw(agent, "0.9.1", null, null).status());
        ApiClient.Response revoked = admin.send("DELETE", "/api/v1/agents/" + agentId, null);
        assertTrue(revoked.body(), revoked.status() == 200 || revoked.status() == 204);
        ApiClient.Response refused = checkInRaw(agent, "0.9.1", null, null);
        assertEquals(refused.body(), 401, refused.status());
    }

    private static void awaitManifest(ApiClient admin, String version) throws Exception {
        IntakeDiagnostics.awaitIntake(admin, Duration.ofSeconds(60), () -> {
            ApiClient.Response r = admin.get("/api/v1/releases/manifests?component=agent&version=" + version);
            assertEquals(r.body(), 200, r.status());
            assertFalse("signed manifest of " + version + ": " + r.body(), ((List<?>) r.json().get("manifests")).isEmpty());
        });
    }

    private static Map<String, Object> enroll(ApiClient anonymous, String joinToken, String host) throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("join_token", joinToken);
        body.put("hostname", host);
        body.put("platform", "linux");
        body.put("arch", "amd64");
        body.put("current_version", "0.9.1");
        ApiClient.Response enrolled = anonymous.post("/api/v1/agents/enroll", body);
        assertEquals(enrolled.body(), 201, enrolled.status());
        return enrolled.json();
    }

    private static Map<String, Object> checkIn(ApiClient agent, String version, String runId, Map<String, String> known)
            throws Exception {
        ApiClient.Response r = checkInRaw(agent, version, runId, known);
        assertEquals(r.body(), 200, r.status());
        return r.json();
    }

    private static ApiClient.Response checkInRaw(ApiClient agent, String version, String runId,
                                                 Map<String, String> known) throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("current_version", version);
        body.put("platform", "linux");
        body.put("arch", "amd64");
        body.put("hostname", "fast-1");
        if (runId != null) {
            body.put("run_id", runId);
        }
        if (known != null) {
            body.put("known", known);
        }
        return agent.post("/api/v1/agents/update/manifest", body);
    }

    private static void setPolicy(ApiClient admin, int checkDays) throws Exception {
        Map<String, Object> policy = new LinkedHashMap<>();
        policy.put("update_check_days", checkDays);
        policy.put("version_pin_strategy", "minor");
        policy.put("allow_major_upgrade", false);
        policy.put("target_version", null);
        policy.put("collect_telemetry", true);
        policy.put("maintenance_window", Map.of("enabled", false, "start_hour", 22, "start_min", 0, "end_hour", 4,
                "end_min", 0, "timezone", "UTC", "days_of_week", List.of(0, 1, 2, 3, 4, 5, 6)));
        policy.put("rollout_control", Map.of("staggered", false, "max_concurrent", 10, "batch_size", 50,
                "delay_between_waves", 0, "jitter_seconds", 0, "emergency_abort", false));
        ApiClient.Response r = admin.send("PUT", "/api/v1/update-policies/fast", Map.of("policy", policy));
        assertEquals(r.body(), 200, r.status());
    }
}
