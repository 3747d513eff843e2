package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * Telemetry is stored, not just logged, and commands reach agents (in the code this plan came from, telemetry was
 * only logged and half the states were never seen): an enrolled agent reports a download that fails its hash check,
 * the transitions and the agent's summary show it over the API; an administrator's "Update now" rides on the next
 * check-in, once.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class AgentTelemetryIT {
    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() {
        return OptionUtils.combine(ServerContainer.options(ServerContainer.newDataDir("telemetry"), ServerContainer.freePort()),
                frameworkProperty("pm.admin.password").value("itest-" + UUID.randomUUID()),
                frameworkProperty("pm.releases.builtin").value("off"));
    }

    @Test
    @SuppressWarnings("unchecked")
    public void telemetryIsStoredAndSummarizedAndACommandIsDeliveredOnce() throws Exception {
        ApiClient anonymous = ApiClient.anonymous(context.getProperty("org.osgi.service.http.port"));
        anonymous.awaitHealthy();
        ApiClient admin = anonymous.login(context.getProperty("pm.admin.password"));
        Eventually.within(Duration.ofSeconds(20), () -> assertEquals("the fleets route is served", 200,
                admin.get("/api/v1/fleets").status()));
        assertEquals(201, admin.post("/api/v1/fleets", Map.of("id", "telemetry", "name", "Telemetry")).status());
        ApiClient.Response token = admin.post("/api/v1/fleets/telemetry/join-tokens", Map.of());
        assertEquals(token.body(), 201, token.status());
        Map<String, Object> enrollBody = new LinkedHashMap<>();
        enrollBody.put("join_token", token.json().get("token"));
        enrollBody.put("hostname", "telemetry-host");
        enrollBody.put("platform", "linux");
        enrollBody.put("arch", "amd64");
        enrollBody.put("current_version", "1.0.0");
        Eventually.within(Duration.ofSeconds(20), () -> assertEquals("the enrollment route is served", 400,
                anonymous.post("/api/v1/agents/enroll", "{}").status()));
        ApiClient.Response enrolled = anonymous.post("/api/v1/agents/enroll", enrollBody);
        assertEquals(enrolled.body(), 201, enrolled.status());
        String agentId = (String) enrolled.json().get("agent_id");
        ApiClient agent = anonymous.withToken((String) enrolled.json().get("credential"));

        // the agent checks in, saying when it will check in next
        Instant nextCheck = Instant.now().plus(Duration.ofDays(7)).truncatedTo(ChronoUnit.SECONDS);
        Map<String, Object> first = checkIn(agent, nextCheck.toString());
        assertEquals("nothing queued yet", List.of(), first.get("commands"));

        // downloading, then failed with HASH_MISMATCH: one single transition, then a batch as buffered offline
        Instant started = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        Map<String, Object> downloading = transition("downloading", null, started);
        downloading.put("metadata", Map.of("attempt", 1, "url", "/api/v1/agents/update/download/agent/1.1.0/linux-amd64"));
        ApiClient.Response one = agent.post("/api/v1/agents/update/telemetry", downloading);
        assertEquals(one.body(), 200, one.status());
        assertEquals(1, one.json().get("stored"));
        Map<String, Object> failed = transition("failed", "HASH_MISMATCH", started.plusSeconds(3));
        failed.put("error_message", "sha256 of the download does not match the signed manifest");
        failed.put("download_time_ms", 2950);
        failed.put("size_bytes", 104857600);
        ApiClient.Response batch = agent.post("/api/v1/agents/update/telemetry", Map.of("events", List.of(failed)));
        assertEquals(batch.body(), 200, batch.status());

        // a bad transition is refused, naming its field, and stores nothing
        ApiClient.Response bad = agent.post("/api/v1/agents/update/telemetry", transition("exploded", null, started));
        assertEquals("invalid_field", bad.assertError(400, "an unknown status"));
        assertEquals("status", ((Map<String, Object>) bad.json().get("error")).get("field"));

        ApiClient.Response listed = admin.get("/api/v1/agents/" + agentId + "/telemetry");
        assertEquals(listed.body(), 200, listed.status());
        List<Map<String, Object>> transitions = (List<Map<String, Object>>) listed.json().get("transitions");
        assertEquals("newest first: " + listed.body(), List.of("failed", "downloading"),
                transitions.stream().map(t -> t.get("status")).toList());
        Map<String, Object> newest = transitions.get(0);
        assertEquals("run-1", newest.get("run_id"));
        assertEquals("HASH_MISMATCH", newest.get("error_code"));
        assertEquals("sha256 of the download does not match the signed manifest", newest.get("error_message"));
        assertEquals(2950, newest.get("download_time_ms"));
        assertEquals(104857600, newest.get("size_bytes"));
        assertEquals("1.0.0", newest.get("current_version"));
        assertEquals("1.1.0", newest.get("target_version"));
        assertEquals(started.plusSeconds(3), Instant.parse((String) newest.get("timestamp")));
        assertEquals(1, ((Map<String, Object>) transitions.get(1).get("metadata")).get("attempt"));
        assertNull(listed.json().get("next_before"));
        ApiClient.Response paged = admin.get("/api/v1/agents/" + agentId + "/telemetry?limit=1");
        assertEquals(1, ((List<?>) paged.json().get("transitions")).size());
        ApiClient.Response page2 = admin.get("/api/v1/agents/" + agentId + "/telemetry?limit=1&before="
                + paged.json().get("next_before"));
        assertEquals("downloading", ((List<Map<String, Object>>) page2.json().get("transitions")).get(0).get("status"));

        // a check-in without consequences is recorded behind (within about a second): next_check_at shows then
        Eventually.within(Duration.ofSeconds(10), () -> {
            Map<String, Object> summary = ((List<Map<String, Object>>) admin.get("/api/v1/agents").json().get("agents"))
                    .stream().filter(a -> agentId.equals(a.get("id"))).findFirst().orElseThrow();
            assertEquals(summary.toString(), "failed", summary.get("status"));
            assertEquals("failed", summary.get("last_result"));
            assertEquals("HASH_MISMATCH", summary.get("last_error_code"));
            assertEquals("1.1.0", summary.get("target_version"));
            assertEquals("1.0.0", summary.get("current_version"));
            assertNotNull("next_check_at is recorded behind, within about a second", summary.get("next_check_at"));
            assertEquals(nextCheck, Instant.parse((String) summary.get("next_check_at")));
        });

        // "Update now": pending until the next check-in carries it, then gone
        ApiClient.Response command = admin.post("/api/v1/agents/" + agentId + "/commands", Map.of("command", "force_update"));
        assertEquals(command.body(), 202, command.status());
        String commandId = (String) command.json().get("id");
        assertNotNull(command.json().get("created_at"));
        List<Map<String, Object>> pending = (List<Map<String, Object>>) admin.get("/api/v1/agents/" + agentId).json()
                .get("pending_commands");
        assertEquals(List.of(commandId), pending.stream().map(c -> c.get("id")).toList());

        List<Map<String, Object>> delivered = (List<Map<String, Object>>) checkIn(agent, null).get("commands");
        assertEquals(1, delivered.size());
        assertEquals(commandId, delivered.get(0).get("id"));
        assertEquals("force_update", delivered.get(0).get("command"));
        assertEquals(command.json().get("created_at"), delivered.get(0).get("created_at"));
        assertEquals("the following check-in carries nothing", List.of(), checkIn(agent, null).get("commands"));
        assertEquals(List.of(), admin.get("/api/v1/agents/" + agentId).json().get("pending_commands"));

        ApiClient.Response audit = admin.get("/api/v1/audit?target=agent:" + agentId);
        assertTrue(audit.body(), audit.body().contains("\"action\":\"agent.command\""));
        ApiClient.Response badDate = agent.post("/api/v1/agents/update/manifest", Map.of("current_version", "1.0.0",
                "platform", "linux", "arch", "amd64", "hostname", "telemetry-host", "next_check_at", "next tuesday"));
        assertEquals("invalid_field", badDate.assertError(400, "a malformed next_check_at"));
        assertEquals("next_check_at", ((Map<String, Object>) badDate.json().get("error")).get("field"));
    }

    private static Map<String, Object> transition(String status, String errorCode, Instant at) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("run_id", "run-1");
        t.put("status", status);
        t.put("current_version", "1.0.0");
        t.put("target_version", "1.1.0");
        t.put("error_code", errorCode);
        t.put("timestamp", at.toString());
        return t;
    }

    private static Map<String, Object> checkIn(ApiClient agent, String nextCheckAt) throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("current_version", "1.0.0");
        body.put("platform", "linux");
        body.put("arch", "amd64");
        body.put("hostname", "telemetry-host");
        if (nextCheckAt != null) {
            body.put("next_check_at", nextCheckAt);
        }
        ApiClient.Response r = agent.post("/api/v1/agents/update/manifest", body);
        assertEquals(r.body(), 200, r.status());
        return r.json();
    }
}
