package io.printmaster.agent.localui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.printmaster.agent.enrollment.api.CheckIn;
import io.printmaster.agent.enrollment.api.EnrolledAgent;
import io.printmaster.agent.enrollment.api.Enrollment;
import io.printmaster.agent.enrollment.api.EnrollmentState;
import io.printmaster.http.api.ApiResponse;
import java.net.URI;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EnrollmentResourceTest {
    private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).build();
    private static final String CREDENTIAL = "pma_topsecret";

    /** An enrolled agent whose last check-in could not reach the server. */
    private static Enrollment enrolledButOffline() {
        Instant t = Instant.parse("2025-01-02T03:04:05Z");
        return enrolled(new CheckIn(t, 0, Optional.empty(), Optional.of("cannot reach the server")));
    }

    /** An enrolled agent whose last check-in was {@code last}. */
    private static Enrollment enrolled(CheckIn last) {
        Instant t = Instant.parse("2025-01-02T03:04:05Z");
        return new Enrollment() {
            @Override
            public Optional<EnrolledAgent> current() {
                return Optional.of(new EnrolledAgent("agent-7", "fleet-a", URI.create("https://updates.example.com"), t));
            }

            @Override
            public Optional<String> credential() {
                return Optional.of(CREDENTIAL);
            }

            @Override
            public Optional<CheckIn> lastCheckIn() {
                return Optional.of(last);
            }

            @Override
            public EnrollmentState state() {
                return new EnrollmentState(EnrollmentState.Phase.ENROLLED, "enrolled; cannot reach the server", t);
            }

            @Override
            public Optional<CheckIn> checkInNow(java.time.Duration timeout) {
                return lastCheckIn();
            }
        };
    }

    private static JsonNode json(ApiResponse r) throws Exception {
        return JSON.readTree(JSON.writeValueAsBytes(r.json()));
    }

    @Test
    void statusShowsTheEnrollmentButNeverTheCredential() throws Exception {
        EnrollmentResource resource = new EnrollmentResource("1.0.0", System.currentTimeMillis());
        resource.setEnrollment(enrolledButOffline());
        ApiResponse r = resource.status(FakeRequest.get(EnrollmentResource.STATUS));
        JsonNode s = json(r);
        assertEquals("enrolled", s.get("state").asText());
        assertEquals("agent-7", s.get("agent_id").asText());
        assertEquals("fleet-a", s.get("fleet_id").asText());
        assertEquals("https://updates.example.com", s.get("server_url").asText());
        assertEquals(0, s.get("last_check_in").get("status").asInt());
        assertFalse(s.get("last_check_in").get("succeeded").asBoolean());
        assertFalse(JSON.writeValueAsString(r.json()).contains(CREDENTIAL));
    }

    @Test
    void statusShowsWhatTheLastAnswerOffered() throws Exception {
        EnrollmentResource resource = new EnrollmentResource("1.0.0", System.currentTimeMillis());
        JsonNode answer = JSON.readTree("{\"agent_id\":\"agent-7\",\"fleet_id\":\"fleet-a\",\"update_available\":true,"
                + "\"policy_source\":\"global\",\"latest_version\":\"1.1.0\",\"plugin_updates\":[],\"commands\":[],"
                + "\"a_member_of_a_newer_server\":1}");
        resource.setEnrollment(enrolled(new CheckIn(Instant.parse("2025-01-02T03:04:05Z"), 200, Optional.of(answer),
                Optional.empty())));
        JsonNode last = json(resource.status(FakeRequest.get(EnrollmentResource.STATUS))).get("last_check_in");
        assertTrue(last.get("succeeded").asBoolean());
        assertTrue(last.get("update_available").asBoolean());
        assertEquals("global", last.get("policy_source").asText());
    }

    @Test
    void anAgentThatCannotReachItsServerIsHealthyAndSaysSo() throws Exception {
        EnrollmentResource resource = new EnrollmentResource("1.0.0", System.currentTimeMillis());
        JsonNode alone = json(resource.health());
        assertEquals("UP", alone.get("status").asText(), "no enrollment bundle: still up");
        resource.setEnrollment(enrolledButOffline());
        ApiResponse r = resource.health();
        assertEquals(200, r.status());
        JsonNode h = json(r);
        assertEquals("UP", h.get("status").asText());
        assertEquals("enrolled", h.get("enrollment").get("state").asText());
        assertFalse(h.get("enrollment").get("server_reachable").asBoolean(true));
        assertTrue(h.has("uptime_seconds"));
    }
}
