package io.printmaster.server.installers.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.server.signing.api.AgentTrust;
import io.printmaster.server.signing.api.SigningKey;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgentTransportTest {
    private static final String SERVED = "-----BEGIN CERTIFICATE-----\nSERVED\n-----END CERTIFICATE-----\n";
    private static final String CA = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n";
    private static final AgentTransport.Settings DEFAULTS = AgentTransport.Settings.from(Map.of());

    @Test
    void anInstallerMadeOverTheServersOwnHttpsPinsItsCertificate() {
        AgentTransport.Decision d = AgentTransport.decide("https://pm.lan:8443", SERVED, null, DEFAULTS);
        assertTrue(d.transport().tlsPinned());
        assertEquals(SERVED, d.caBundlePem());
        AgentTransport.Decision both = AgentTransport.decide("https://pm.lan:8443", SERVED, CA, DEFAULTS);
        assertEquals(SERVED + CA, both.caBundlePem(), "the configured CA rides along (a renewal under it keeps working)");
    }

    @Test
    void withoutTheServersOwnTlsOrWithPinningOffTheSystemCasStayTrusted() {
        AgentTransport.Decision proxied = AgentTransport.decide("https://updates.example.com", null, CA, DEFAULTS);
        assertFalse(proxied.transport().tlsPinned());
        assertEquals(CA, proxied.caBundlePem());
        AgentTransport.Decision off = AgentTransport.decide("https://updates.example.com", SERVED, null,
                AgentTransport.Settings.from(Map.of("pin_server_certificate", "false")));
        assertFalse(off.transport().tlsPinned());
        assertNull(off.caBundlePem());
    }

    @Test
    void plainHttpToAnotherHostIsRefusedUnlessAllowed() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> AgentTransport.decide("http://10.1.2.3:8080", null, null, DEFAULTS));
        assertTrue(e.getMessage().contains("allow_insecure_http=true in io.printmaster.server.installers"), e.getMessage());
        AgentTransport.Decision allowed = AgentTransport.decide("http://10.1.2.3:8080", null, null,
                AgentTransport.Settings.from(Map.of("allow_insecure_http", true)));
        assertTrue(allowed.transport().allowInsecureHttp());
        AgentTransport.Decision loopback = AgentTransport.decide("http://127.0.0.1:8080", null, null, DEFAULTS);
        assertEquals(AgentTransport.DEFAULT, loopback.transport(), "loopback http needs no flag");
    }

    private static final AgentTrust TRUST = new AgentTrust(0, new SigningKey("5555666677778888", "Ed25519", new byte[32],
            "-----BEGIN PUBLIC KEY-----\nBBB=\n-----END PUBLIC KEY-----\n", null, true, Instant.EPOCH, null), null, List.of(), null);

    @Test
    void fleetJsonCarriesTheFlagsOnlyWhenTrue() {
        FleetFilesComposer.Inputs plain = new FleetFilesComposer.Inputs("https://pm.lan", "lab", "Lab", UpdatePolicy.defaults(),
                "global", SERVED, "pmj_x", TRUST);
        FleetFilesComposer.Inputs pinned = new FleetFilesComposer.Inputs("https://pm.lan", "lab", "Lab", UpdatePolicy.defaults(),
                "global", SERVED, "pmj_x", TRUST, null,
                new AgentTransport(true, false));
        String plainJson = new String(FleetFilesComposer.compose(plain, Instant.EPOCH).get("etc/fleet.json").orElseThrow().content(),
                StandardCharsets.UTF_8);
        String pinnedJson = new String(FleetFilesComposer.compose(pinned, Instant.EPOCH).get("etc/fleet.json").orElseThrow().content(),
                StandardCharsets.UTF_8);
        assertFalse(plainJson.contains("tls_pinned") || plainJson.contains("allow_insecure_http"), plainJson);
        assertTrue(pinnedJson.contains("\"ca_bundle\":\"ca-bundle.pem\",\"tls_pinned\":true,\"generated_at\""), pinnedJson);
        assertFalse(FleetFilesComposer.configurationHash(plain).equals(FleetFilesComposer.configurationHash(pinned)));
    }
}
