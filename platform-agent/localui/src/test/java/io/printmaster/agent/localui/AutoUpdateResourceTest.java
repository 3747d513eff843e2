package io.printmaster.agent.localui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.printmaster.agent.config.api.AgentSettings;
import io.printmaster.agent.config.api.ConfigError;
import io.printmaster.agent.config.api.Mode;
import io.printmaster.agent.config.api.PolicySource;
import io.printmaster.agent.update.api.RunResult;
import io.printmaster.agent.update.api.RunState;
import io.printmaster.agent.update.api.TriggerRefusedException;
import io.printmaster.agent.update.api.TriggerResult;
import io.printmaster.agent.update.api.UpdateWorker;
import io.printmaster.agent.update.api.WorkerStatus;
import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Route;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AutoUpdateResourceTest {
    /** Configured like the API dispatcher's mapper, so the test sees the JSON a client sees. */
    private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .build();

    private static final String AGENT_ID = "0b4c6a56-3a6f-4a53-9f57-58d7d4a5c0de";

    private static AgentSettings unconfigured() {
        return new AgentSettings(Optional.of(AGENT_ID), Optional.empty(), Optional.empty(), Optional.empty(),
                Mode.INHERIT, false, PolicySource.LOCAL_FALLBACK, Optional.of(UpdatePolicy.defaults()), List.of());
    }

    private static AgentSettings configured(Mode mode, PolicySource source, boolean allowOverride) {
        return new AgentSettings(Optional.of(AGENT_ID), Optional.of(URI.create("https://updates.example.com")),
                Optional.of("lab"), Optional.of("tok-secret-1"), mode, allowOverride, source,
                source == PolicySource.DISABLED ? Optional.empty() : Optional.of(UpdatePolicy.defaults()), List.of());
    }

    private static JsonNode json(ApiResponse response) throws Exception {
        return JSON.readTree(JSON.writeValueAsBytes(response.json()));
    }

    @Test
    void anAgentEnrolledFromItsInstallerShowsItsServerAndFleet() throws Exception {
        AutoUpdateResource resource = new AutoUpdateResource(AutoUpdateResourceTest::unconfigured, "1.4.2");
        java.time.Instant t = java.time.Instant.parse("2026-11-26T10:00:00Z");
        resource.enrollment = new io.printmaster.agent.enrollment.api.Enrollment() {
            @Override
            public java.util.Optional<io.printmaster.agent.enrollment.api.EnrolledAgent> current() {
                return java.util.Optional.of(new io.printmaster.agent.enrollment.api.EnrolledAgent("agt_1", "lab",
                        java.net.URI.create("https://updates.example.com"), t));
            }

            @Override
            public java.util.Optional<String> credential() {
                return java.util.Optional.of("pma_secret");
            }

            @Override
            public java.util.Optional<io.printmaster.agent.enrollment.api.CheckIn> lastCheckIn() {
                return java.util.Optional.empty();
            }

            @Override
            public io.printmaster.agent.enrollment.api.EnrollmentState state() {
                return new io.printmaster.agent.enrollment.api.EnrollmentState(
                        io.printmaster.agent.enrollment.api.EnrollmentState.Phase.ENROLLED, "enrolled", t);
            }

            @Override
            public java.util.Optional<io.printmaster.agent.enrollment.api.CheckIn> checkInNow(java.time.Duration d) {
                return java.util.Optional.empty();
            }
        };
        ApiResponse response = resource.status(FakeRequest.get(AutoUpdateResource.STATUS));
        JsonNode s = json(response);
        // no server in etc/io.printmaster.agent.cfg, but etc/fleet.json enrolled it: it is configured
        assertEquals(true, s.get("configured").asBoolean());
        assertEquals("https://updates.example.com", s.get("server_url").asText());
        assertEquals("lab", s.get("fleet").asText());
        assertEquals("agt_1", s.get("agent_id").asText(), "the id the server's console shows");
        assertEquals(AGENT_ID, s.get("local_id").asText());
        assertFalse(JSON.writeValueAsString(response.json()).contains("pma_secret"), "the credential never shows");
    }

    @Test
    void theStatusOfAFreshAgentHasExactlyTheDocumentedFields() throws Exception {
        AutoUpdateResource resource = new AutoUpdateResource(AutoUpdateResourceTest::unconfigured, "1.4.2");

        ApiResponse response = resource.status(FakeRequest.get(AutoUpdateResource.STATUS));
        JsonNode s = json(response);

        assertEquals(200, response.status());
        List<String> names = new ArrayList<>();
        s.fieldNames().forEachRemaining(names::add);
        assertEquals(List.of("enabled", "policy_source", "current_version", "latest_version", "status", "last_check_at",
                "next_check_at", "last_result", "worker_installed", "agent_id", "local_id", "configured", "server_url", "fleet",
                "join_token_set", "mode", "allow_local_override", "policy", "config_errors"), names);
        assertTrue(s.get("enabled").asBoolean());
        assertEquals("local_fallback", s.get("policy_source").asText());
        assertEquals("1.4.2", s.get("current_version").asText());
        assertTrue(s.get("latest_version").isNull());
        assertEquals("idle", s.get("status").asText());
        assertTrue(s.get("last_check_at").isNull());
        assertTrue(s.get("next_check_at").isNull());
        assertTrue(s.get("last_result").isNull());
        assertFalse(s.get("worker_installed").asBoolean());
        assertTrue(s.get("agent_id").isNull(), "not enrolled: the server has not named it yet");
        assertEquals(AGENT_ID, s.get("local_id").asText());
        assertFalse(s.get("configured").asBoolean());
        assertTrue(s.get("server_url").isNull());
        assertEquals("inherit", s.get("mode").asText());
        assertEquals(0, s.get("config_errors").size());
        // the policy in force, in the wire format shared with the server
        assertEquals(7, s.get("policy").get("update_check_days").asInt());
        assertEquals("minor", s.get("policy").get("version_pin_strategy").asText());
        assertEquals("UTC", s.get("policy").get("maintenance_window").get("timezone").asText());
    }

    @Test
    void theStatusShowsSettingsButNeverTheJoinToken() throws Exception {
        AutoUpdateResource resource = new AutoUpdateResource(() -> configured(Mode.LOCAL, PolicySource.LOCAL, true), "1.4.2");

        ApiResponse response = resource.status(FakeRequest.get(AutoUpdateResource.STATUS));
        String text = JSON.writeValueAsString(response.json());
        JsonNode s = JSON.readTree(text);

        assertFalse(text.contains("tok-secret-1"), text);
        assertTrue(s.get("join_token_set").asBoolean());
        assertEquals("https://updates.example.com", s.get("server_url").asText());
        assertEquals("lab", s.get("fleet").asText());
        assertEquals("local", s.get("mode").asText());
        assertEquals("local", s.get("policy_source").asText());
        assertTrue(s.get("allow_local_override").asBoolean());
        assertTrue(s.get("configured").asBoolean());
    }

    @Test
    void configErrorsAndADisabledModeAreVisible() throws Exception {
        AgentSettings broken = new AgentSettings(Optional.of(AGENT_ID), Optional.empty(), Optional.empty(), Optional.empty(),
                Mode.DISABLED, false, PolicySource.DISABLED, Optional.empty(),
                List.of(new ConfigError("mode", "'sometimes' is not one of inherit, local, disabled")));
        AutoUpdateResource resource = new AutoUpdateResource(() -> broken, "1.4.2");

        JsonNode s = json(resource.status(FakeRequest.get(AutoUpdateResource.STATUS)));

        assertFalse(s.get("enabled").asBoolean());
        assertEquals("disabled", s.get("policy_source").asText());
        assertTrue(s.get("policy").isNull());
        assertEquals("mode", s.get("config_errors").get(0).get("field").asText());
        assertTrue(s.get("config_errors").get(0).get("message").asText().contains("sometimes"));
    }

    @Test
    void withoutAWorkerCheckAndForceAnswer503AndStartNothing() {
        AutoUpdateResource resource = new AutoUpdateResource(() -> configured(Mode.INHERIT, PolicySource.LOCAL_FALLBACK, true), "1.4.2");

        for (boolean force : List.of(false, true)) {
            ApiException e = assertThrows(ApiException.class,
                    () -> resource.trigger(FakeRequest.post(force ? AutoUpdateResource.FORCE : AutoUpdateResource.CHECK), force));
            assertEquals(503, e.status());
            assertEquals("worker_unavailable", e.code());
            assertTrue(e.getMessage().contains("update worker is not installed"), e.getMessage());
        }
    }

    @Test
    void theRoutesArePublicBecauseTheAgentListensOnLoopbackOnly() {
        AutoUpdateResource resource = new AutoUpdateResource(AutoUpdateResourceTest::unconfigured, "1.4.2");

        List<String> routes = resource.routes().stream().map(r -> r.method() + " " + r.path() + " " + r.access()).toList();

        assertEquals(List.of("GET /api/autoupdate/status public", "POST /api/autoupdate/check public",
                "POST /api/autoupdate/force public"), routes);
        assertTrue(resource.routes().stream().allMatch(r -> Route.PUBLIC.equals(r.access())));
    }

    /** A worker that records what it was asked to do. */
    static final class RecordingWorker implements UpdateWorker {
        final List<String> calls = new ArrayList<>();
        WorkerStatus status = new WorkerStatus(RunState.IDLE, null, null, null, null);
        TriggerRefusedException refuse;

        @Override
        public WorkerStatus status() {
            return status;
        }

        @Override
        public TriggerResult check() throws TriggerRefusedException {
            return run("check");
        }

        @Override
        public TriggerResult force() throws TriggerRefusedException {
            return run("force");
        }

        private TriggerResult run(String what) throws TriggerRefusedException {
            if (refuse != null) {
                throw refuse;
            }
            calls.add(what);
            return new TriggerResult("run-" + calls.size(), RunState.CHECKING);
        }
    }

    @Test
    void aWorkerIsAskedAndItsStateShown() throws Exception {
        RecordingWorker worker = new RecordingWorker();
        Instant last = Instant.parse("2026-11-26T08:00:00Z");
        Instant next = Instant.parse("2026-11-27T08:00:00Z");
        worker.status = new WorkerStatus(RunState.DOWNLOADING, "1.5.0", last, next,
                new RunResult("run-0", RunState.FAILED, "1.5.0", "OUTSIDE_WINDOW", "outside the maintenance window", last));
        AutoUpdateResource resource = new AutoUpdateResource(() -> configured(Mode.INHERIT, PolicySource.FLEET, false), "1.4.2");
        resource.setWorker(worker);

        ApiResponse started = resource.trigger(FakeRequest.post(AutoUpdateResource.CHECK), false);
        JsonNode s = json(resource.status(FakeRequest.get(AutoUpdateResource.STATUS)));

        assertEquals(202, started.status());
        assertEquals("run-1", json(started).get("run_id").asText());
        assertEquals(List.of("check"), worker.calls);
        assertEquals("downloading", s.get("status").asText());
        assertEquals("1.5.0", s.get("latest_version").asText());
        assertEquals("2026-11-26T08:00:00Z", s.get("last_check_at").asText());
        assertEquals("2026-11-27T08:00:00Z", s.get("next_check_at").asText());
        assertEquals("failed", s.get("last_result").get("status").asText());
        assertEquals("OUTSIDE_WINDOW", s.get("last_result").get("error_code").asText());
        assertTrue(s.get("worker_installed").asBoolean());

        resource.unsetWorker(worker);
        assertThrows(ApiException.class, () -> resource.trigger(FakeRequest.post(AutoUpdateResource.CHECK), false));
    }

    @Test
    void forcingNeedsLocalOverridesEnabled() throws Exception {
        RecordingWorker worker = new RecordingWorker();
        AutoUpdateResource readOnly = new AutoUpdateResource(() -> configured(Mode.INHERIT, PolicySource.FLEET, false), "1.4.2");
        readOnly.setWorker(worker);

        ApiException e = assertThrows(ApiException.class, () -> readOnly.trigger(FakeRequest.post(AutoUpdateResource.FORCE), true));
        assertEquals(403, e.status());
        assertEquals("local_override_disabled", e.code());
        assertEquals(List.of(), worker.calls);

        AutoUpdateResource overridable = new AutoUpdateResource(() -> configured(Mode.INHERIT, PolicySource.FLEET, true), "1.4.2");
        overridable.setWorker(worker);
        assertEquals(202, overridable.trigger(FakeRequest.post(AutoUpdateResource.FORCE), true).status());
        assertEquals(List.of("force"), worker.calls);
    }

    @Test
    void aRefusingWorkerIsAConflictWithItsReason() {
        RecordingWorker worker = new RecordingWorker();
        worker.refuse = new TriggerRefusedException("run_in_progress", "an update run is already in progress");
        AutoUpdateResource resource = new AutoUpdateResource(() -> configured(Mode.INHERIT, PolicySource.FLEET, false), "1.4.2");
        resource.setWorker(worker);

        ApiException e = assertThrows(ApiException.class, () -> resource.trigger(FakeRequest.post(AutoUpdateResource.CHECK), false));

        assertEquals(409, e.status());
        assertEquals("run_in_progress", e.code());
    }

    @Test
    void requestsAForeignPageWasTrickedIntoSendingAreRefused() {
        RecordingWorker worker = new RecordingWorker();
        AutoUpdateResource resource = new AutoUpdateResource(() -> configured(Mode.INHERIT, PolicySource.FLEET, true), "1.4.2");
        resource.setWorker(worker);

        // DNS rebinding: the browser thinks it talks to evil.example
        ApiException rebound = assertThrows(ApiException.class,
                () -> resource.status(FakeRequest.get(AutoUpdateResource.STATUS).with("Host", "evil.example:8181")));
        assertEquals(403, rebound.status());
        // cross-site form post to the loopback address
        ApiException csrf = assertThrows(ApiException.class, () -> resource.trigger(
                FakeRequest.post(AutoUpdateResource.FORCE).with("Origin", "https://evil.example"), true));
        assertEquals("not_local", csrf.code());
        assertEquals(List.of(), worker.calls);
    }

    @Test
    void theLocalPageAndLocalToolsMayTrigger() throws Exception {
        RecordingWorker worker = new RecordingWorker();
        AutoUpdateResource resource = new AutoUpdateResource(() -> configured(Mode.INHERIT, PolicySource.FLEET, true), "1.4.2");
        resource.setWorker(worker);

        resource.trigger(FakeRequest.post(AutoUpdateResource.CHECK).with("Origin", "http://127.0.0.1:8181"), false);
        resource.trigger(FakeRequest.post(AutoUpdateResource.CHECK).with("Host", "localhost:8181")
                .with("Origin", "http://localhost:8181"), false);
        resource.trigger(FakeRequest.post(AutoUpdateResource.CHECK), false); // curl: no Origin

        assertEquals(List.of("check", "check", "check"), worker.calls);
    }
}
