package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
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
 * The rollouts API in the real server bundles: a rollout created for two fleets waits for approval and holds its
 * agents back; a second one for a fleet is refused naming the first; a token restricted to one of the fleets neither
 * sees nor acts on it; approval offers the release with its rollout id and is audited; an action the state does not
 * allow is 409 naming the state; abort stops offers at once; a rollback offers the agent that updated through the
 * rollout its previous version as a signed rollback manifest bound to the rollout.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RolloutsApiIT {
    private static final List<String> VERSIONS = List.of("1.0.0", "1.1.0");

    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() throws Exception {
        Path data = ServerContainer.newDataDir("rollouts-api");
        Path releases = Files.createDirectories(data.resolve("releases-in"));
        StringBuilder sums = new StringBuilder();
        Random random = new Random(7);
        for (String v : VERSIONS) {
            byte[] bytes = new byte[2000 + random.nextInt(1000)];
            random.nextBytes(bytes);
            String name = "printmaster-agent-v" + v + "-linux-amd64.tar.gz";
            Files.write(releases.resolve(name), bytes);
            sums.append(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes))).append("  ")
                    .append(name).append('\n');
        }
        Files.writeString(releases.resolve("SHA256SUMS"), sums);
        Files.writeString(data.resolve("etc/io.printmaster.releasesource.directory-rollouts.cfg"),
                "name=rollouts\npath=" + releases + "\n");
        return OptionUtils.combine(ServerContainer.options(data, ServerContainer.freePort()),
                frameworkProperty("pm.admin.password").value("itest-" + UUID.randomUUID()),
                frameworkProperty("pm.releases.builtin").value("off"));
    }

    @Test
    @SuppressWarnings("unchecked")
    public void approvalHoldsAbortStopsAndRestrictedTokensSeeOnlyTheirRollouts() throws Exception {
        ApiClient anonymous = ApiClient.anonymous(context.getProperty("org.osgi.service.http.port"));
        anonymous.awaitHealthy();
        ApiClient admin = anonymous.login(context.getProperty("pm.admin.password"));
        IntakeDiagnostics.awaitIntake(admin, Duration.ofSeconds(60), () -> {
            ApiClient.Response r = admin.get("/api/v1/releases/manifests?component=agent&version=1.1.0");
            assertFalse("signed manifest of 1.1.0: " + r.body(), ((List<?>) r.json().get("manifests")).isEmpty());
        });
        for (String fleet : List.of("ra", "rb")) {
            assertEquals(201, admin.post("/api/v1/fleets", Map.of("id", fleet, "name", fleet)).status());
        }
        ApiClient.Response token = admin.post("/api/v1/fleets/ra/join-tokens", Map.of());
        ApiClient agent = enroll(anonymous, (String) token.json().get("token"));

        ApiClient.Response bad = admin.post("/api/v1/rollouts", body(List.of("ra", "rb"), List.of(Map.of("percent", 0))));
        assertEquals("invalid_field", bad.assertError(400, "a wave of 0 %"));
        assertEquals("plan.waves[0].percent", ((Map<String, Object>) bad.json().get("error")).get("field"));

        ApiClient.Response created = admin.post("/api/v1/rollouts", body(List.of("ra", "rb"),
                List.of(Map.of("percent", 100))));
        assertEquals(created.body(), 201, created.status());
        Map<String, Object> rollout = (Map<String, Object>) created.json().get("rollout");
        String id = (String) rollout.get("id");
        assertEquals("awaiting_approval", rollout.get("state"));
        assertEquals(Map.of("ra", 1, "rb", 0), rollout.get("targeted_by_fleet"));
        assertEquals(1, ((Map<String, Object>) rollout.get("counts")).get("targeted"));

        ApiClient.Response second = admin.post("/api/v1/rollouts", body(List.of("ra"), List.of(Map.of("percent", 100))));
        assertEquals("conflict", second.assertError(409, "a second active rollout for ra"));
        assertTrue(second.body(), second.body().contains(id));

        Map<String, Object> held = checkIn(agent);
        assertEquals(held.toString(), Boolean.FALSE, held.get("update_available"));
        assertTrue(held.toString(), ((Number) held.get("retry_after_seconds")).longValue() >= 1);

        ApiClient onlyA = admin.withToken(admin.createToken("only-ra-" + UUID.randomUUID(),
                List.of("rollouts.read", "rollouts.write"), List.of("ra")));
        List<Map<String, Object>> seen = (List<Map<String, Object>>) onlyA.get("/api/v1/rollouts").json().get("rollouts");
        assertTrue("a rollout of ra and rb is not all ra's: " + seen, seen.stream().noneMatch(r -> id.equals(r.get("id"))));
        assertEquals("not_found", onlyA.get("/api/v1/rollouts/" + id).assertError(404, "restricted GET"));
        assertEquals("not_found", onlyA.post("/api/v1/rollouts/" + id + "/approve", Map.of()).assertError(404,
                "restricted approve"));

        ApiClient.Response approved = admin.post("/api/v1/rollouts/" + id + "/approve", Map.of());
        assertEquals(approved.body(), 200, approved.status());
        assertEquals("running", ((Map<String, Object>) approved.json().get("rollout")).get("state"));
        ApiClient.Response again = admin.post("/api/v1/rollouts/" + id + "/approve", Map.of());
        assertEquals("invalid_state", again.assertError(409, "approve twice"));
        assertTrue(again.body(), again.body().contains("running"));

        Map<String, Object> offered = checkIn(agent);
        assertEquals(offered.toString(), Boolean.TRUE, offered.get("update_available"));
        Map<String, Object> update = (Map<String, Object>) offered.get("update");
        assertEquals("1.1.0", update.get("version"));
        assertEquals(id, update.get("rollout_id"));
        assertEquals(0, ((Number) offered.get("retry_after_seconds")).intValue());

        ApiClient.Response aborted = admin.post("/api/v1/rollouts/" + id + "/abort", Map.of());
        assertEquals(aborted.body(), 200, aborted.status());
        Map<String, Object> after = checkIn(agent);
        assertEquals(after.toString(), Boolean.FALSE, after.get("update_available"));
        assertNull(after.get("update"));

        // a second rollout, without approval: the agent updates through it, then the rollout is rolled back
        Map<String, Object> direct = body(List.of("ra"), List.of(Map.of("percent", 100)));
        direct.put("require_approval", false);
        ApiClient.Response second2 = admin.post("/api/v1/rollouts", direct);
        assertEquals(second2.body(), 201, second2.status());
        String next = (String) ((Map<String, Object>) second2.json().get("rollout")).get("id");
        String run = "run-" + UUID.randomUUID();
        Map<String, Object> forward = checkIn(agent, "1.0.0", run);
        assertEquals(next, ((Map<String, Object>) forward.get("update")).get("rollout_id"));
        ApiClient.Response reported = agent.post("/api/v1/agents/update/telemetry", Map.of("run_id", run,
                "status", "succeeded", "current_version", "1.1.0", "target_version", "1.1.0"));
        assertEquals(reported.body(), 200, reported.status());
        Map<String, Object> done = (Map<String, Object>) admin.get("/api/v1/rollouts/" + next).json().get("rollout");
        assertEquals("completed", done.get("state"));
        ApiClient.Response back = admin.post("/api/v1/rollouts/" + next + "/rollback", Map.of());
        assertEquals(back.body(), 200, back.status());
        assertEquals("rolling_back", ((Map<String, Object>) back.json().get("rollout")).get("state"));
        Map<String, Object> rollback = checkIn(agent, "1.1.0", "run-" + UUID.randomUUID());
        Map<String, Object> downgrade = (Map<String, Object>) rollback.get("update");
        assertEquals(rollback.toString(), "1.0.0", downgrade.get("version"));
        assertEquals(next, downgrade.get("rollout_id"));
        Map<String, Object> manifest = new com.fasterxml.jackson.databind.ObjectMapper()
                .readValue((String) downgrade.get("manifest"), Map.class);
        assertEquals(Boolean.TRUE, manifest.get("downgrade"));
        assertEquals(next, manifest.get("rollout_id"));

        List<Map<String, Object>> audit = (List<Map<String, Object>>) admin
                .get("/api/v1/audit?target=rollout:" + id + "&limit=50").json().get("entries");
        List<String> actions = audit.stream().map(e -> (String) e.get("action")).toList();
        assertTrue(actions.toString(), actions.containsAll(List.of("rollout.create", "rollout.approve", "rollout.abort")));
        assertEquals("admin", audit.stream().filter(e -> "rollout.approve".equals(e.get("action"))).findFirst()
                .orElseThrow().get("actor"));
    }

    private static Map<String, Object> body(List<String> fleets, List<Map<String, Object>> waves) {
        Map<String, Object> plan = new LinkedHashMap<>();
        plan.put("canary", null);
        plan.put("waves", waves);
        plan.put("max_concurrent", 5);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("component", "agent");
        body.put("version", "1.1.0");
        body.put("fleets", fleets);
        body.put("plan", plan);
        body.put("require_approval", true);
        return body;
    }

    private static ApiClient enroll(ApiClient anonymous, String joinToken) throws Exception {
        ApiClient.Response enrolled = anonymous.post("/api/v1/agents/enroll", Map.of("join_token", joinToken,
                "hostname", "rollout-host", "platform", "linux", "arch", "amd64", "current_version", "1.0.0"));
        assertEquals(enrolled.body(), 201, enrolled.status());
        return anonymous.withToken((String) enrolled.json().get("credential"));
    }

    private static Map<String, Object> checkIn(ApiClient agent) throws Exception {
        return checkIn(agent, "1.0.0", "run-" + UUID.randomUUID());
    }

    private static Map<String, Object> checkIn(ApiClient agent, String version, String runId) throws Exception {
        ApiClient.Response r = agent.post("/api/v1/agents/update/manifest", Map.of("current_version", version,
                "platform", "linux", "arch", "amd64", "hostname", "rollout-host", "run_id", runId));
        assertEquals(r.body(), 200, r.status());
        return r.json();
    }
}
