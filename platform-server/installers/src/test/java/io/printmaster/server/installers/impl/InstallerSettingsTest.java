package io.printmaster.server.installers.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Map;
import org.junit.jupiter.api.Test;

class InstallerSettingsTest {

    @Test
    void theInstallerJoinTokenIsLimitedTo100UsesByDefault() {
        InstallerSettings s = InstallerSettings.from(Map.of());
        assertEquals(100, s.joinTokenMaxUses());
        assertNull(s.error());
    }

    @Test
    void theLimitIsConfigurable() {
        assertEquals(2500, InstallerSettings.from(Map.of("join_token_max_uses", "2500")).joinTokenMaxUses());
        assertEquals(1, InstallerSettings.from(Map.of("join_token_max_uses", 1)).joinTokenMaxUses());
        assertEquals(1_000_000, InstallerSettings.from(Map.of("join_token_max_uses", " 1000000 ")).joinTokenMaxUses());
    }

    @Test
    void aLimitOutOfRangeIsAnErrorNamingTheKeyNeverUnlimited() {
        for (Object bad : new Object[] {"0", "-5", "lots", "1000001", 4_000_000_000L, "unlimited"}) {
            InstallerSettings s = InstallerSettings.from(Map.of("join_token_max_uses", bad));
            assertEquals("join_token_max_uses must be a whole number from 1 to 1000000, not '" + bad + "'", s.error());
            assertEquals(100, s.joinTokenMaxUses(), "the default stays in force: " + bad);
        }
    }

    @Test
    void anotherKeysErrorComesFirstAndTheLimitStillApplies() {
        InstallerSettings s = InstallerSettings.from(Map.of("server_url", "ftp://x", "join_token_max_uses", "7"));
        assertEquals(7, s.joinTokenMaxUses());
        assertEquals(true, s.error().contains("server_url"), s.error());
    }
}
