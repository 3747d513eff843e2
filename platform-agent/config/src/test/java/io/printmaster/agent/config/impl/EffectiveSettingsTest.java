package io.printmaster.agent.config.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.agent.config.api.AgentSettings;
import io.printmaster.agent.config.api.ConfigError;
import io.printmaster.agent.config.api.Mode;
import io.printmaster.agent.config.api.PolicySource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EffectiveSettingsTest {
    private static final AgentIdentity.Result ID = new AgentIdentity.Result(Optional.of("0b4c6a56-3a6f-4a53-9f57-58d7d4a5c0de"), Optional.empty());

    @Test
    void policySourceFollowsModeAndFleetPolicy() {
        assertEquals(PolicySource.DISABLED, EffectiveSource.of(Mode.DISABLED, true));
        assertEquals(PolicySource.LOCAL, EffectiveSource.of(Mode.LOCAL, true));
        assertEquals(PolicySource.LOCAL, EffectiveSource.of(Mode.LOCAL, false));
        assertEquals(PolicySource.FLEET, EffectiveSource.of(Mode.INHERIT, true));
        assertEquals(PolicySource.LOCAL_FALLBACK, EffectiveSource.of(Mode.INHERIT, false));
    }

    @Test
    void noConfigurationAtAllIsAnUnconfiguredAgentOnItsLocalSchedule() {
        AgentSettings s = AgentConfigurationService.snapshot(ID, FileSettings.none(), false);

        assertFalse(s.configured());
        assertTrue(s.updatesEnabled());
        assertEquals(PolicySource.LOCAL_FALLBACK, s.policySource());
        assertEquals(Mode.INHERIT, s.mode());
        assertEquals(List.of(), s.errors());
        assertEquals(ID.agentId(), s.agentId());
    }

    @Test
    void aServerAndTokenMakeTheAgentConfigured() {
        FileSettings file = SettingsParser.parse(Map.of("service.pid", "io.printmaster.agent",
                "server_url", "https://updates.example.com", "join_token", "tok-1"));

        AgentSettings s = AgentConfigurationService.snapshot(ID, file, false);

        assertTrue(s.configured());
        assertTrue(s.joinTokenSet());
        assertFalse(s.toString().contains("tok-1"), s.toString());
    }

    @Test
    void identityAndFileErrorsAreAllShown() {
        AgentIdentity.Result broken = new AgentIdentity.Result(Optional.empty(),
                Optional.of(new ConfigError("agent_id", "damaged")));
        FileSettings file = SettingsParser.parse(Map.of("service.pid", "io.printmaster.agent", "mode", "sometimes"));

        AgentSettings s = AgentConfigurationService.snapshot(broken, file, false);

        assertEquals(List.of("agent_id", "mode"), s.errors().stream().map(ConfigError::field).toList());
        assertEquals(PolicySource.DISABLED, s.policySource());
        assertFalse(s.updatesEnabled());
    }
}
