package io.printmaster.server.agents.impl;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.printmaster.core.wire.PluginVersion;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.core.policy.MaintenanceWindowSettings;
import io.printmaster.core.policy.RolloutControl;
import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.http.api.ApiException;
import io.printmaster.server.fleets.api.EffectivePolicy;
import io.printmaster.server.fleets.api.Fleet;
import io.printmaster.server.fleets.api.FleetDirectory;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.ReleaseCatalog;
import io.printmaster.server.releases.api.SignedManifest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Vendor plugins at check-in: what an agent may report ({@code plugins}, each problem a 400 naming its field) and what
 * it is offered ({@code plugin_updates}): the newest signed, non-pre-release {@code jar} of the component for its
 * platform or any, above the reported version, whatever the fleet's pin or target.
 */
class PluginOffersTest {
    private static final Instant EXPIRES = Instant.parse("2026-12-26T12:00:00Z");
    private static final UpdatePolicy PINNED_AND_TARGETED = new UpdatePolicy(7, "minor", false, "0.9.1", true,
            MaintenanceWindowSettings.defaults(), RolloutControl.defaults());
    private static final UpdatePolicy UPDATES_OFF = new UpdatePolicy(0, "minor", false, null, true,
            MaintenanceWindowSettings.defaults(), RolloutControl.defaults());

    private final OfferFixture offers = new OfferFixture(EXPIRES);
    private final List<Artifact> artifacts = offers.artifacts;
    private final Set<Long> unsigned = offers.unsigned;

    // --- what the agent reports ---

    @Test
    void absentPluginsAreNoneAndGoodOnesAreKeptInOrder() throws Exception {
        assertEquals(List.of(), AgentFactsValidator.plugins(null));
        List<PluginVersion> fifty = IntStream.range(0, 50)
                .mapToObj(i -> new PluginVersion("vendor-" + i, "1.0." + i)).toList();
        assertEquals(fifty, AgentFactsValidator.plugins(fifty));
        assertEquals(List.of(plugin("acme-label", "1.2.0"), plugin("0x", "0.1.0-SNAPSHOT")),
                AgentFactsValidator.plugins(List.of(plugin("acme-label", "1.2.0"), plugin("0x", "0.1.0-SNAPSHOT"))));
    }

    @Test
    void eachBadPluginIsA400NamingItsField() {
        PluginVersion good = plugin("acme-label", "1.0.0");
        assertEquals("plugins", rejected(IntStream.range(0, 51)
                .mapToObj(i -> new PluginVersion("vendor-" + i, "1.0.0")).toList()));
        assertEquals("plugins[1]", rejected(java.util.Arrays.asList(good, null)));
        for (String component : new String[] {null, "", "Acme", "acme_label", "-acme", "acme label", "agent", "server",
                "a".repeat(65), "acme/../x"}) {
            assertEquals("plugins[1].component", rejected(List.of(good, plugin(component, "1.0.0"))), component);
        }
        assertEquals("plugins[2].component", rejected(List.of(good, plugin("other", "1.0.0"), plugin("acme-label", "2.0.0"))));
        for (String version : new String[] {null, "", "1.0 beta", "../1.0.0", "v".repeat(65)}) {
            assertEquals("plugins[1].version", rejected(List.of(good, plugin("other", version))), version);
        }
    }

    // --- what it is offered ---

    @Test
    void theNewestSignedReleaseAboveTheReportedOneIsOfferedWhateverThePinOrTarget() throws Exception {
        artifact(1, "acme-label", "1.0.1", "linux", "amd64");
        artifact(2, "acme-label", "1.1.0", "linux", "amd64");
        artifact(3, "acme-label", "2.0.0", Artifact.ANY, Artifact.ANY);
        artifact(4, "acme-label", "2.1.0-beta.1", "linux", "amd64");          // a pre-release: never
        artifact(5, "acme-label", "3.0.0", "windows", "amd64");              // another platform
        artifact(6, "acme-label", "3.0.0", "linux", "arm64");                // another arch
        artifact(7, "acme-label", "4.0.0", "linux", "amd64", "tar.gz");      // not a jar
        artifact(8, "agent", "9.0.0", "linux", "amd64", "jar");              // another component

        Map<String, Object> offer = single(answer(PINNED_AND_TARGETED, plugin("acme-label", "1.0.0")));
        assertEquals("2.0.0", offer.get("version"), "a major upgrade, not held back by the minor pin or the target");
        assertEquals("acme-label", offer.get("component"));
        assertEquals("jar", offer.get("format"));
        assertEquals(sha(3), offer.get("sha256"));
        assertEquals(1003L, offer.get("size_bytes"));
        assertEquals(manifestText(3), offer.get("manifest"));
        assertEquals(Base64.getEncoder().encodeToString(manifestText(3).getBytes(StandardCharsets.UTF_8)),
                offer.get("manifest_base64"));
        assertEquals("sig-3", offer.get("signature"));
        assertEquals("key-1", offer.get("key_id"));
        assertEquals(EXPIRES.toString(), offer.get("expires_at"), "an ISO-8601 instant on the wire");
        assertEquals("/api/v1/agents/update/download/acme-label/2.0.0/linux-amd64?format=jar", offer.get("download_url"),
                "the agent's own platform-arch: the route falls back to any-any");
        assertEquals(List.of("component", "version", "format", "sha256", "size_bytes", "manifest", "manifest_base64",
                "signature", "key_id", "expires_at", "download_url"), List.copyOf(offer.keySet()));
    }

    @Test
    void nothingIsOfferedToAnUpToDateOrUnknownOrUnparseablePluginNorWhileUpdatesAreOff() throws Exception {
        artifact(1, "acme-label", "1.1.0", "linux", "amd64");
        artifact(2, "acme-label", "1.2.0-rc.1", "linux", "amd64");
        assertEquals(List.of(), pluginUpdates(answer(UpdatePolicy.defaults(), plugin("acme-label", "1.1.0"))));
        assertEquals(List.of(), pluginUpdates(answer(UpdatePolicy.defaults(), plugin("acme-label", "1.2.0"))),
                "a newer plugin than any cached release is not offered a downgrade");
        assertEquals(List.of(), pluginUpdates(answer(UpdatePolicy.defaults(), plugin("other-vendor", "0.0.1"))));
        assertEquals(List.of(), pluginUpdates(answer(UpdatePolicy.defaults(), plugin("acme-label", "1_0"))));
        assertEquals(List.of(), pluginUpdates(answer(UPDATES_OFF, plugin("acme-label", "1.0.0"))));
        assertEquals(List.of(), pluginUpdates(answer(UpdatePolicy.defaults())), "always present, also without plugins");
    }

    @Test
    void aVersionWithoutSignedManifestIsSkippedForTheNextLowerOne() throws Exception {
        artifact(1, "acme-label", "1.1.0", "linux", "amd64");
        artifact(2, "acme-label", "1.2.0", "linux", "amd64");
        unsigned.add(2L);
        assertEquals("1.1.0", single(answer(UpdatePolicy.defaults(), plugin("acme-label", "1.0.0"))).get("version"));
        unsigned.add(1L);
        assertEquals(List.of(), pluginUpdates(answer(UpdatePolicy.defaults(), plugin("acme-label", "1.0.0"))));
    }

    @Test
    void ofOneVersionTheAgentsOwnPlatformWinsOverAnyAsTheDownloadRouteServesIt() throws Exception {
        artifact(1, "acme-label", "1.1.0", Artifact.ANY, Artifact.ANY);
        artifact(2, "acme-label", "1.1.0", "linux", "amd64");
        assertEquals(sha(2), single(answer(UpdatePolicy.defaults(), plugin("acme-label", "1.0.0"))).get("sha256"));
        // the own one unsigned: its bytes are what the route serves, so the any-any manifest must not be offered
        unsigned.add(2L);
        assertEquals(List.of(), pluginUpdates(answer(UpdatePolicy.defaults(), plugin("acme-label", "1.0.0"))));
    }

    @Test
    void eachPluginGetsItsOwnOfferInTheOrderReportedAndTheAgentsUpdateIsUnchanged() throws Exception {
        artifact(1, "acme-label", "1.1.0", "linux", "amd64");
        artifact(2, "zebra-scan", "0.3.0", Artifact.ANY, Artifact.ANY);
        artifact(3, "agent", "1.0.1", "linux", "amd64", "tar.gz");
        Map<String, Object> answer = answer(UpdatePolicy.defaults(), plugin("zebra-scan", "0.2.9"),
                plugin("up-to-date", "1.0.0"), plugin("acme-label", "1.0.0"));
        assertEquals(List.of("zebra-scan 0.3.0", "acme-label 1.1.0"), pluginUpdates(answer).stream()
                .map(o -> o.get("component") + " " + o.get("version")).toList());
        assertEquals(true, answer.get("update_available"));
        @SuppressWarnings("unchecked")
        Map<String, Object> update = (Map<String, Object>) answer.get("update");
        assertEquals("1.0.1", update.get("version"));
        assertNull(update.get("component"), "the agent's update keeps its members");
        assertEquals("/api/v1/agents/update/download/agent/1.0.1/linux-amd64?format=tar.gz", update.get("download_url"));
        assertFalse(answer.containsKey("plugins"));
        assertTrue(answer.containsKey("plugin_updates"));
    }

    // --- fixtures ---

    private static PluginVersion plugin(String component, String version) {
        return new PluginVersion(component, version);
    }

    private static String rejected(List<PluginVersion> plugins) {
        ApiException e = assertThrows(ApiException.class, () -> AgentFactsValidator.plugins(plugins));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().startsWith(e.field()), e.getMessage());
        return e.field();
    }

    private void artifact(long id, String component, String version, String platform, String arch) {
        artifact(id, component, version, platform, arch, "jar");
    }

    private void artifact(long id, String component, String version, String platform, String arch, String format) {
        offers.artifact(id, component, version, platform, arch, format);
    }

    private static String sha(long id) {
        return OfferFixture.sha(id);
    }

    private static String manifestText(long id) {
        return OfferFixture.manifestText(id);
    }

    private Map<String, Object> answer(UpdatePolicy policy, PluginVersion... plugins) throws Exception {
        CheckInAnswers answers = new CheckInAnswers(new OfferFixture.Fleets(policy), offers.catalog(), new PolicyOnlyGate());
        AgentRecord agent = AgentRecord.enrolled("agent-1", "f", "linux", "amd64", "1.0.0", "h", Instant.EPOCH);
        // read as the agent reads it: the wire names of the JSON the route writes
        return WIRE.convertValue(answers.answer(agent, List.of(plugins), null).answer(), new TypeReference<Map<String, Object>>() { });
    }

    private static final ObjectMapper WIRE = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> pluginUpdates(Map<String, Object> answer) {
        return (List<Map<String, Object>>) answer.get("plugin_updates");
    }

    private static Map<String, Object> single(Map<String, Object> answer) {
        List<Map<String, Object>> offers = pluginUpdates(answer);
        assertEquals(1, offers.size(), offers.toString());
        return offers.get(0);
    }
}
