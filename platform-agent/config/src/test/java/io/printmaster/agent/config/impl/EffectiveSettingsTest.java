package io.printmaster.agent.config.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.agent.config.api.AgentSettings;
import io.printmaster.agent.config.api.ConfigError;
import io.printmaster.agent.config.api.FleetPolicy;
import io.printmaster.agent.config.api.Mode;
import io.printmaster.agent.config.api.PolicySource;
import io.printmaster.agent.config.impl.AgentConfigurationService.FleetPolicyReading;
import io.printmaster.core.policy.MaintenanceWindowSettings;
import io.printmaster.core.policy.RolloutControl;
import io.printmaster.core.policy.UpdatePolicy;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EffectiveSettingsTest {
    private static final AgentIdentity.Result ID = new AgentIdentity.Result(Optional.of("0b4c6a56-3a6f-4a53-9f57-58d7d4a5c0de"), Optional.empty());
    private static final UpdatePolicy LOCAL_POLICY = new UpdatePolicy(1, "patch", false, null, false,
            MaintenanceWindowSettings.daily("01:00", "03:00", "Europe/Berlin"), RolloutControl.defaults());
    private static final UpdatePolicy FLEET_POLICY = new UpdatePolicy(3, "minor", true, null, true,
            MaintenanceWindowSettings.defaults(), RolloutControl.defaults());
    private static final LocalPolicy LOCAL = new LocalPolicy(Optional.of(LOCAL_POLICY), List.of());
    private static final FleetPolicyReading FLEET = FleetPolicyReading.check(
            Optional.of(new FleetPolicy(FLEET_POLICY, Instant.parse("2026-11-26T10:00:00Z"))));

    private static FileSettings file(String... keyValues) {
        Map<String, Object> m = new java.util.HashMap<>();
        m.put("service.pid", "io.printmaster.agent");
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return SettingsParser.parse(m);
    }

    @Test
    void policySourceFollowsModeAndFleetPolicy() {
        assertEquals(PolicySource.DISABLED, EffectiveSource.of(Mode.DISABLED, true));
        assertEquals(PolicySource.LOCAL, EffectiveSource.of(Mode.LOCAL, true));
        assertEquals(PolicySource.LOCAL, EffectiveSource.of(Mode.LOCAL, false));
        assertEquals(PolicySource.FLEET, EffectiveSource.of(Mode.INHERIT, true));
        assertEquals(PolicySource.LOCAL_FALLBACK, EffectiveSource.of(Mode.INHERIT, false));
    }

    @Test
    void noConfigurationAtAllIsAnUnconfiguredAgentOnTheDefaultLocalSchedule() {
        AgentSettings s = AgentConfigurationService.snapshot(ID, FileSettings.none(), LocalPolicy.defaults(), FleetPolicyReading.NONE);

        assertFalse(s.configured());
        assertTrue(s.updatesEnabled());
        assertEquals(PolicySource.LOCAL_FALLBACK, s.policySource());
        assertEquals(Optional.of(UpdatePolicy.defaults()), s.policy());
        assertEquals(Mode.INHERIT, s.mode());
        assertEquals(List.of(), s.errors());
        assertEquals(ID.agentId(), s.agentId());
    }

    @Test
    void inheritFollowsTheFleetPolicyOnceKnownAndTheLocalOneBefore() {
        FileSettings inherit = file("mode", "inherit");

        AgentSettings before = AgentConfigurationService.snapshot(ID, inherit, LOCAL, FleetPolicyReading.NONE);
        AgentSettings after = AgentConfigurationService.snapshot(ID, inherit, LOCAL, FLEET);

        assertEquals(PolicySource.LOCAL_FALLBACK, before.policySource());
        assertEquals(Optional.of(LOCAL_POLICY), before.policy());
        assertEquals(PolicySource.FLEET, after.policySource());
        assertEquals(Optional.of(FLEET_POLICY), after.policy());
    }

    @Test
    void localModeIgnoresTheFleetPolicy() {
        AgentSettings s = AgentConfigurationService.snapshot(ID, file("mode", "local"), LOCAL, FLEET);

        assertEquals(PolicySource.LOCAL, s.policySource());
        assertEquals(Optional.of(LOCAL_POLICY), s.policy());
    }

    @Test
    void disabledModeHasNoPolicyAndNoUpdates() {
        AgentSettings s = AgentConfigurationService.snapshot(ID, file("mode", "disabled"), LOCAL, FLEET);

        assertEquals(PolicySource.DISABLED, s.policySource());
        assertEquals(Optional.empty(), s.policy());
        assertFalse(s.updatesEnabled());
    }

    @Test
    void aPolicyThatNeverChecksMeansUpdatesAreOff() {
        UpdatePolicy never = new UpdatePolicy(0, "minor", false, null, true, MaintenanceWindowSettings.defaults(), RolloutControl.defaults());

        AgentSettings s = AgentConfigurationService.snapshot(ID, file(), new LocalPolicy(Optional.of(never), List.of()), FleetPolicyReading.NONE);

        assertEquals(PolicySource.LOCAL_FALLBACK, s.policySource());
        assertFalse(s.updatesEnabled());
    }

    @Test
    void anInvalidFleetPolicyCountsAsUnknownAndIsReported() {
        UpdatePolicy broken = new UpdatePolicy(7, "sideways", false, null, true, MaintenanceWindowSettings.defaults(), RolloutControl.defaults());
        FleetPolicyReading fleet = FleetPolicyReading.check(Optional.of(new FleetPolicy(broken, Instant.now())));

        AgentSettings s = AgentConfigurationService.snapshot(ID, file(), LOCAL, fleet);

        assertEquals(PolicySource.LOCAL_FALLBACK, s.policySource());
        assertEquals(Optional.of(LOCAL_POLICY), s.policy());
        assertEquals(List.of("fleet_policy.version_pin_strategy"), s.errors().stream().map(ConfigError::field).toList());
    }

    @Test
    void aServerAndTokenMakeTheAgentConfigured() {
        AgentSettings s = AgentConfigurationService.snapshot(ID, file("server_url", "https://updates.example.com",
                "join_token", "tok-1"), LOCAL, FleetPolicyReading.NONE);

        assertTrue(s.configured());
        assertTrue(s.joinTokenSet());
        assertFalse(s.toString().contains("tok-1"), s.toString());
    }

    @Test
    void identityFileAndPolicyErrorsAreAllShown() {
        AgentIdentity.Result broken = new AgentIdentity.Result(Optional.empty(),
                Optional.of(new ConfigError("agent_id", "damaged")));
        LocalPolicy badLocal = new LocalPolicy(Optional.empty(),
                List.of(new ConfigError("local_policy.update_check_days", "must be 0 or 1 to 365")));

        AgentSettings s = AgentConfigurationService.snapshot(broken, file("mode", "sometimes"), badLocal, FleetPolicyReading.NONE);

        assertEquals(List.of("agent_id", "mode", "local_policy.update_check_days"),
                s.errors().stream().map(ConfigError::field).toList());
        assertEquals(PolicySource.DISABLED, s.policySource());
        assertFalse(s.updatesEnabled());
    }
}
