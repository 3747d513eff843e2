package io.printmaster.agent.worker.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.printmaster.agent.config.api.Mode;
import io.printmaster.agent.config.api.PolicySource;
import io.printmaster.agent.enrollment.api.CheckIn;
import io.printmaster.agent.update.api.RunResult;
import io.printmaster.agent.update.api.RunState;
import io.printmaster.core.policy.MaintenanceWindowSettings;
import io.printmaster.core.policy.UpdatePolicy;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EffectivePolicyResolverTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-01-05T10:00:00Z");
    private static final UpdatePolicy LOCAL = UpdatePolicy.defaults();
    private static final UpdatePolicy FLEET = CheckScheduleTest.policy(3,
            MaintenanceWindowSettings.daily("01:00", "03:00", "Europe/Berlin"));

    private static CheckIn succeeded(UpdatePolicy policy) {
        ObjectNode answer = JSON.createObjectNode().put("agent_id", "a1").put("fleet_id", "f1")
                .put("policy_source", "fleet");
        answer.set("policy", JSON.valueToTree(policy));
        return succeeded(answer);
    }

    private static CheckIn succeeded(JsonNode answer) {
        return new CheckIn(NOW, 200, Optional.of(answer), Optional.empty());
    }

    private static CheckIn unreachable() {
        return new CheckIn(NOW, 0, Optional.empty(), Optional.of("cannot reach https://server:8443 (connection refused)"));
    }

    private static EffectivePolicy resolve(Mode mode, CheckIn lastCheckIn) {
        return EffectivePolicyResolver.resolve(mode, Optional.ofNullable(lastCheckIn), Optional.of(LOCAL));
    }

    @Test
    void inheritFollowsTheFleetPolicyOfASuccessfulCheckIn() {
        EffectivePolicy e = resolve(Mode.INHERIT, succeeded(FLEET));
        assertEquals(PolicySource.FLEET, e.source());
        assertEquals(Optional.of(FLEET), e.policy());
        assertEquals("fleet", e.source().wireName());
        assertTrue(e.scheduledChecks());
        assertEquals(Optional.empty(), e.refusal("r1", NOW));
    }

    @Test
    void inheritFallsBackToTheLocalScheduleUntilTheServerReturns() {
        EffectivePolicy before = resolve(Mode.INHERIT, null);
        assertEquals(PolicySource.LOCAL_FALLBACK, before.source());
        assertEquals(Optional.of(LOCAL), before.policy());
        assertTrue(before.reason().contains("no check-in"), before.reason());

        assertEquals(PolicySource.FLEET, resolve(Mode.INHERIT, succeeded(FLEET)).source());

        // the server goes away: the fleet policy held so far is not used, the local schedule takes over
        EffectivePolicy away = resolve(Mode.INHERIT, unreachable());
        assertEquals(PolicySource.LOCAL_FALLBACK, away.source());
        assertEquals("local_fallback", away.source().wireName());
        assertEquals(Optional.of(LOCAL), away.policy());
        assertTrue(away.reason().contains("unreachable") && away.reason().contains("connection refused"),
                away.reason());

        // it returns with a changed policy: the new one applies from that check-in on
        UpdatePolicy changed = CheckScheduleTest.policy(14, FLEET.maintenanceWindow());
        EffectivePolicy back = resolve(Mode.INHERIT, succeeded(changed));
        assertEquals(PolicySource.FLEET, back.source());
        assertEquals(14, back.policy().orElseThrow().updateCheckDays());
    }

    @Test
    void failedCheckInsAndUnusableFleetPoliciesFallBackToLocal() {
        CheckIn serverError = new CheckIn(NOW, 503, Optional.empty(), Optional.of("HTTP 503 maintenance"));
        EffectivePolicy e = resolve(Mode.INHERIT, serverError);
        assertEquals(PolicySource.LOCAL_FALLBACK, e.source());
        assertTrue(e.reason().contains("HTTP 503"), e.reason());

        ObjectNode invalid = (ObjectNode) JSON.valueToTree(FLEET);
        invalid.put("update_check_days", 400);
        EffectivePolicy bad = resolve(Mode.INHERIT, succeeded(JSON.createObjectNode().set("policy", invalid)));
        assertEquals(PolicySource.LOCAL_FALLBACK, bad.source());
        assertEquals(Optional.of(LOCAL), bad.policy());
        assertTrue(bad.reason().contains("update_check_days"), bad.reason());

        EffectivePolicy none = resolve(Mode.INHERIT, succeeded(JSON.createObjectNode().put("agent_id", "a1")));
        assertEquals(PolicySource.LOCAL_FALLBACK, none.source());
        assertTrue(none.reason().contains("no policy"), none.reason());
    }

    @Test
    void fieldsANewerServerAddsDoNotDiscardTheFleetPolicy() {
        ObjectNode newer = (ObjectNode) JSON.valueToTree(FLEET);
        newer.put("channel", "beta");
        EffectivePolicy e = resolve(Mode.INHERIT, succeeded(JSON.createObjectNode().set("policy", newer)));
        assertEquals(PolicySource.FLEET, e.source());
        assertEquals(Optional.of(FLEET), e.policy());
    }

    @Test
    void localModeIgnoresTheServer() {
        EffectivePolicy e = resolve(Mode.LOCAL, succeeded(FLEET));
        assertEquals(PolicySource.LOCAL, e.source());
        assertEquals(Optional.of(LOCAL), e.policy());
    }

    @Test
    void disabledModeSchedulesNothingAndRefusesTriggeredRuns() {
        EffectivePolicy e = resolve(Mode.DISABLED, succeeded(FLEET));
        assertEquals(PolicySource.DISABLED, e.source());
        assertEquals(Optional.empty(), e.policy());
        assertFalse(e.scheduledChecks());
        RunResult refused = e.refusal("run-7", NOW).orElseThrow();
        assertEquals("run-7", refused.runId());
        assertEquals(RunState.SKIPPED, refused.state());
        assertEquals("skipped", refused.state().wireName());
        assertEquals("POLICY_DISABLED", refused.errorCode());
        assertTrue(refused.errorMessage().contains("mode = disabled"), refused.errorMessage());
        assertEquals(NOW, refused.finishedAt());
    }

    @Test
    void noUsableLocalPolicyMeansNoUpdatesButKeepsTheSource() {
        EffectivePolicy e = EffectivePolicyResolver.resolve(Mode.LOCAL, Optional.empty(), Optional.empty());
        assertEquals(PolicySource.LOCAL, e.source());
        assertFalse(e.scheduledChecks());
        assertTrue(e.reason().contains("local-policy.json"), e.reason());
        assertEquals("POLICY_DISABLED", e.refusal("r", NOW).orElseThrow().errorCode());
    }

    @Test
    void zeroCheckDaysTurnsOffTheScheduleOnly() {
        EffectivePolicy e = resolve(Mode.INHERIT, succeeded(CheckScheduleTest.policy(0, FLEET.maintenanceWindow())));
        assertEquals(PolicySource.FLEET, e.source());
        assertFalse(e.scheduledChecks());
        assertEquals(Optional.empty(), e.refusal("r", NOW));
    }
}
