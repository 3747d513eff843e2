package io.printmaster.server.installers.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.installer.FleetFile;
import io.printmaster.api.installer.FleetFiles;
import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.server.signing.api.AgentTrust;
import io.printmaster.server.signing.api.RootKey;
import io.printmaster.server.signing.api.TrustStatement;
import io.printmaster.server.signing.api.SigningKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FleetFilesComposerTest {
    private static final SigningKey OLD = new SigningKey("1111222233334444", "Ed25519", new byte[32],
            "-----BEGIN PUBLIC KEY-----\nAAA=\n-----END PUBLIC KEY-----\n", "first", false,
            Instant.parse("2026-01-01T00:00:00Z"), Instant.parse("2026-02-01T00:00:00Z"));
    private static final SigningKey NEW = new SigningKey("5555666677778888", "Ed25519", new byte[32],
            "-----BEGIN PUBLIC KEY-----\nBBB=\n-----END PUBLIC KEY-----\n", null, true,
            Instant.parse("2026-02-01T00:00:00Z"), null);
    private static final TrustStatement DELEGATION = new TrustStatement(4, "delegation", "5555666677778888",
            "9999000011112222", "{\"type\":\"x\"}".getBytes(StandardCharsets.UTF_8), new byte[] {1, 2, 3},
            Instant.parse("2026-02-01T00:00:00Z"));
    private static final RootKey ROOT = new RootKey("9999000011112222", new byte[32],
            "-----BEGIN PUBLIC KEY-----\nRRR=\n-----END PUBLIC KEY-----\n", Instant.parse("2026-02-01T00:00:00Z"));
    private static final String CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

    private static FleetFilesComposer.Inputs inputs(String token, String ca) {
        return new FleetFilesComposer.Inputs("https://updates.example.com", "lab", "Lab printers", UpdatePolicy.defaults(),
                "global", ca, token, new AgentTrust(5, NEW, ROOT, List.of(DELEGATION), null));
    }

    private static String text(FleetFiles files, String path) {
        return new String(files.get(path).orElseThrow().content(), StandardCharsets.UTF_8);
    }

    @Test
    void theFilesOfContractB() {
        FleetFiles files = FleetFilesComposer.compose(inputs("pmj_abc", CA), Instant.parse("2026-03-04T05:06:07Z"));
        assertEquals(List.of("etc/fleet.json", "etc/join-token", "etc/ca-bundle.pem", "etc/trust.json"), files.paths());
        assertEquals(FleetFile.MODE_FILE, files.get("etc/fleet.json").orElseThrow().mode());
        assertEquals(0600, files.get("etc/join-token").orElseThrow().mode());
        assertEquals(FleetFile.MODE_FILE, files.get("etc/ca-bundle.pem").orElseThrow().mode());
        assertEquals(FleetFile.MODE_FILE, files.get("etc/trust.json").orElseThrow().mode());

        assertEquals("{\"server_url\":\"https://updates.example.com\",\"fleet_id\":\"lab\",\"fleet_name\":\"Lab printers\","
                + "\"policy\":{\"update_check_days\":7,\"version_pin_strategy\":\"minor\",\"allow_major_upgrade\":false,"
                + "\"target_version\":null,\"collect_telemetry\":true,\"maintenance_window\":{\"enabled\":false,\"start_hour\":2,"
                + "\"start_min\":0,\"end_hour\":4,\"end_min\":0,\"timezone\":\"UTC\",\"days_of_week\":[0,1,2,3,4,5,6]},"
                + "\"rollout_control\":{\"staggered\":false,\"max_concurrent\":10,\"batch_size\":50,\"delay_between_waves\":1800,"
                + "\"jitter_seconds\":300,\"emergency_abort\":false},\"require_approval\":false},\"policy_source\":\"global\",\"ca_bundle\":\"ca-bundle.pem\","
                + "\"generated_at\":\"2026-03-04T05:06:07Z\"}\n", text(files, "etc/fleet.json"));
        assertEquals("pmj_abc\n", text(files, "etc/join-token"));
        assertEquals(CA, text(files, "etc/ca-bundle.pem"));
        // only the active key (never the retired OLD), the root, the active key's delegation, the trust version
        assertEquals("{\"format\":\"printmaster.trust.v2\",\"trust_version\":5,\"keys\":[{\"id\":\"5555666677778888\","
                + "\"algorithm\":\"Ed25519\",\"public_key_pem\":"
                + "\"-----BEGIN PUBLIC KEY-----\\nBBB=\\n-----END PUBLIC KEY-----\\n\",\"active\":true,\"created_at\":"
                + "\"2026-02-01T00:00:00Z\",\"rotated_at\":null}],\"root\":{\"id\":\"9999000011112222\",\"public_key_pem\":"
                + "\"-----BEGIN PUBLIC KEY-----\\nRRR=\\n-----END PUBLIC KEY-----\\n\"},\"statements\":[{\"sequence\":4,"
                + "\"type\":\"delegation\",\"key_id\":\"5555666677778888\",\"statement\":\"{\\\"type\\\":\\\"x\\\"}\","
                + "\"statement_base64\":\"eyJ0eXBlIjoieCJ9\",\"signature\":\"AQID\"}]}\n", text(files, "etc/trust.json"));
        assertFalse(text(files, "etc/trust.json").contains(OLD.id()), "a retired key is never embedded");
    }

    @Test
    void theInstalledReleaseAndItsSignedCounterGoIntoReleaseJson() {
        FleetFilesComposer.Inputs plain = inputs("pmj_abc", null);
        FleetFilesComposer.Inputs withRelease = new FleetFilesComposer.Inputs(plain.serverUrl(), plain.fleetId(),
                plain.fleetName(), plain.policy(), plain.policySource(), null, plain.joinToken(), plain.trust(),
                new FleetFilesComposer.InstalledRelease("1.4.0", 42));
        FleetFiles files = FleetFilesComposer.compose(withRelease, Instant.EPOCH);
        assertEquals(List.of("etc/fleet.json", "etc/join-token", "etc/trust.json", "etc/release.json"), files.paths());
        assertEquals(FleetFile.MODE_FILE, files.get("etc/release.json").orElseThrow().mode());
        assertEquals("{\"component\":\"agent\",\"version\":\"1.4.0\",\"release_counter\":42}\n",
                text(files, "etc/release.json"));
        assertTrue(FleetFilesComposer.publicFiles(withRelease, Instant.EPOCH).get("etc/release.json").isPresent(),
                "public: it goes into the cached base");
        assertNotEquals(FleetFilesComposer.configurationHash(plain), FleetFilesComposer.configurationHash(withRelease));
    }

    @Test
    void withoutACaBundleThereIsNoPemFileAndTheFieldIsNull() {
        FleetFiles files = FleetFilesComposer.compose(inputs("pmj_abc", null), Instant.EPOCH);
        assertEquals(List.of("etc/fleet.json", "etc/join-token", "etc/trust.json"), files.paths());
        assertTrue(text(files, "etc/fleet.json").contains("\"ca_bundle\":null,"));
    }

    @Test
    void theConfigurationHashIgnoresTheTimeButNothingElse() {
        String hash = FleetFilesComposer.configurationHash(inputs("pmj_abc", CA));
        assertEquals(hash, FleetFilesComposer.configurationHash(inputs("pmj_abc", CA)));
        assertNotEquals(hash, FleetFilesComposer.configurationHash(inputs("pmj_other", CA)), "a new token");
        assertNotEquals(hash, FleetFilesComposer.configurationHash(inputs("pmj_abc", null)), "no CA bundle");
        assertFalse(hash.contains("pmj_"));
        assertFalse(inputs("pmj_abc", CA).toString().contains("pmj_"), "the token stays out of logs");
    }

    @Test
    void theCaBundleMustBeCertificatesInPem(@TempDir Path dir) throws Exception {
        Path notPem = dir.resolve("a.pem");
        Files.writeString(notPem, "hello");
        assertTrue(assertThrows(IOException.class, () -> CaBundle.read(notPem)).getMessage().contains("no PEM certificate"));
        Path key = dir.resolve("k.pem");
        Files.writeString(key, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        assertTrue(assertThrows(IOException.class, () -> CaBundle.read(key)).getMessage().contains("PRIVATE KEY"));
        Path broken = dir.resolve("b.pem");
        Files.writeString(broken, CA);
        assertTrue(assertThrows(IOException.class, () -> CaBundle.read(broken)).getMessage().contains("does not parse"));
        assertTrue(assertThrows(IOException.class, () -> CaBundle.read(dir.resolve("missing.pem"))).getMessage().contains("not a readable file"));
    }

    @Test
    void settingsAreReadAsNamedAndCheckedWithoutFailing() {
        InstallerSettings none = InstallerSettings.from(java.util.Map.of());
        assertEquals(InstallerSettings.DEFAULT_CACHE_MAX_BYTES, none.cacheMaxBytes());
        assertTrue(none.serverUrl().isEmpty());
        InstallerSettings s = InstallerSettings.from(java.util.Map.of("server_url", "https://u.example.com/",
                "cache_max_bytes", "1000", "ca_bundle", "/etc/ca.pem"));
        assertEquals("https://u.example.com", s.serverUrl().orElseThrow());
        assertEquals(1000, s.cacheMaxBytes());
        assertEquals(Path.of("/etc/ca.pem"), s.caBundle().orElseThrow());
        assertTrue(InstallerSettings.from(java.util.Map.of("server_url", "ftp://x")).error().contains("server_url"));
        assertTrue(InstallerSettings.from(java.util.Map.of("cache_max_bytes", "lots")).error().contains("cache_max_bytes"));
        assertTrue(InstallerSettings.from(java.util.Map.of("ca_bundle", "ca.pem")).error().contains("absolute"));
    }
}
