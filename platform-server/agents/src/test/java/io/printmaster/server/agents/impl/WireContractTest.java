package io.printmaster.server.agents.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.core.wire.AgentCommand;
import io.printmaster.core.wire.CheckInAnswer;
import io.printmaster.core.wire.CheckInRequest;
import io.printmaster.core.wire.EnrollAnswer;
import io.printmaster.core.wire.EnrollRequest;
import io.printmaster.core.wire.PluginVersion;
import io.printmaster.http.api.ApiException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The server's half of the wire contract: what it writes to agents is byte for byte (as JSON trees) the golden files
 * of {@code bundles/core/src/test/resources/wire/}, and what agents write (the same files) it reads with its strict
 * request mapper. The agent's half (the enrollment bundle's {@code WireContractTest}) reads and writes the same
 * files, so a name changed on one side fails here or there, not in an end-to-end test.
 */
class WireContractTest {
    private static final Instant EXPIRES = Instant.parse("2026-12-26T12:00:00Z");
    private final ServerJson json = new ServerJson();

    @Test
    void aCheckInAnswerWithAnUpdatePluginOffersAndCommandsIsTheGoldenFile() throws Exception {
        OfferFixture offers = new OfferFixture(EXPIRES);
        offers.artifact(1, "acme-label", "1.1.0", "linux", "amd64", "jar");
        offers.artifact(3, "agent", "1.0.1", "linux", "amd64", "tar.gz");
        CheckInAnswer answer = new CheckInAnswers(new OfferFixture.Fleets(UpdatePolicy.defaults()), offers.catalog(),
                new PolicyOnlyGate()).answer(agent(), List.of(new PluginVersion("acme-label", "1.0.0")), null).answer()
                .withCommands(List.of(new AgentCommand("cmd-1", AgentCommand.FORCE_UPDATE,
                        Instant.parse("2026-11-26T12:00:00.250Z"))))
                .withTrustStatements(List.of(AgentTrustStatements.wire(rotation())));
        assertEquals(golden("checkin-answer.json"), json.tree(answer));
    }

    @Test
    void aCheckInAnswerWithoutAnythingToOfferIsTheGoldenFile() throws Exception {
        OfferFixture nothing = new OfferFixture(EXPIRES);
        CheckInAnswer answer = new CheckInAnswers(new OfferFixture.Fleets(UpdatePolicy.defaults()), nothing.catalog(),
                new PolicyOnlyGate()).answer(agent(), List.of(), null).answer();
        JsonNode written = json.tree(answer);
        assertEquals(golden("checkin-answer-nothing.json"), written);
        assertTrue(written.path("latest_version").isNull(), "written as null, not left out");
        assertTrue(written.path("update").isMissingNode(), "left out when there is no update");
        assertTrue(written.path("trust_statements").isArray() && written.path("trust_statements").isEmpty(),
                "written as an empty list when the agent is up to date");
    }

    @Test
    void anAgentKnowingThePolicyAndTheOfferGetsTheUnchangedGoldenFile() throws Exception {
        OfferFixture offers = new OfferFixture(EXPIRES);
        offers.artifact(1, "acme-label", "1.1.0", "linux", "amd64", "jar");
        offers.artifact(3, "agent", "1.0.1", "linux", "amd64", "tar.gz");
        CheckInAnswer full = new CheckInAnswers(new OfferFixture.Fleets(UpdatePolicy.defaults()), offers.catalog(),
                new PolicyOnlyGate()).answer(agent(), List.of(new PluginVersion("acme-label", "1.0.0")), null).answer()
                .withCommands(List.of(new AgentCommand("cmd-1", AgentCommand.FORCE_UPDATE,
                        Instant.parse("2026-11-26T12:00:00.250Z"))))
                .withTrustStatements(List.of(AgentTrustStatements.wire(rotation())));
        CheckInRequest request = json.read("checkin-request-known.json", CheckInRequest.class);
        JsonNode written = json.tree(full.forKnown(request.known()));
        assertEquals(golden("checkin-answer-unchanged.json"), written);
        assertTrue(written.path("policy").isNull(), "written as null");
        assertTrue(written.path("update").isMissingNode(), "left out");
        assertEquals(Boolean.TRUE, written.path("update_available").asBoolean(), "still available: the agent keeps it");
        assertTrue(json.tree(full).toString().length() > written.toString().length() + 500, "smaller");

        // only what matches is left out; an old agent (no known) gets the whole answer
        CheckInAnswer otherPolicy = full.forKnown(new io.printmaster.core.wire.KnownEtags("stale", full.manifestEtag()));
        assertEquals(full.policy(), otherPolicy.policy());
        assertNull(otherPolicy.update());
        assertEquals(List.of("update"), otherPolicy.unchanged());
        assertEquals(json.tree(full), json.tree(full.forKnown(null)));
        assertEquals(json.tree(full), json.tree(full.forKnown(new io.printmaster.core.wire.KnownEtags(null, null))));
    }

    @Test
    void theEtagsChangeWithThePolicyAndTheOffer() throws Exception {
        OfferFixture offers = new OfferFixture(EXPIRES);
        offers.artifact(3, "agent", "1.0.1", "linux", "amd64", "tar.gz");
        CheckInAnswer before = new CheckInAnswers(new OfferFixture.Fleets(UpdatePolicy.defaults()), offers.catalog(),
                new PolicyOnlyGate()).answer(agent(), List.of(), null).answer();
        offers.artifact(4, "agent", "1.0.2", "linux", "amd64", "tar.gz");
        UpdatePolicy weekly = UpdatePolicy.defaults();
        CheckInAnswer after = new CheckInAnswers(new OfferFixture.Fleets(new UpdatePolicy(3, weekly.versionPinStrategy(),
                weekly.allowMajorUpgrade(), weekly.targetVersion(), weekly.collectTelemetry(), weekly.maintenanceWindow(),
                weekly.rolloutControl())), offers.catalog(), new PolicyOnlyGate())
                .answer(agent(), List.of(), null).answer();
        assertEquals("1.0.2", after.update().version());
        assertTrue(!before.policyEtag().equals(after.policyEtag()), "another policy, another etag");
        assertTrue(!before.manifestEtag().equals(after.manifestEtag()), "another offer, another etag");
    }

    @Test
    void anEnrollmentAnswerIsTheGoldenFile() throws Exception {
        assertEquals(golden("enroll-answer.json"), json.tree(new EnrollAnswer("agent-1", "pma_" + "c".repeat(43), "f")));
    }

    @Test
    void whatAgentsSendIsReadByTheStrictRequestMapper() throws Exception {
        EnrollRequest enroll = json.read("enroll-request.json", EnrollRequest.class);
        assertEquals(new EnrollRequest("pmj_" + "j".repeat(43), "printer-host-1", "linux", "amd64", "1.0.0"), enroll);
        AgentFactsValidator.validate(enroll.hostname(), enroll.platform(), enroll.arch(), enroll.currentVersion());

        CheckInRequest minimal = json.read("checkin-request.json", CheckInRequest.class);
        assertEquals(new CheckInRequest("1.0.0", "linux", "amd64", "printer-host-1", null, null), minimal);
        assertNull(minimal.known(), "an agent older than 1.4 sends no known");
        CheckInRequest known = json.read("checkin-request-known.json", CheckInRequest.class);
        assertEquals("c53d3116e6e6498d9fd171b94275147a", known.known().policyEtag());
        assertEquals("a4c8e1cbfc16b4abd6ef04f57ebd21e5", known.known().manifestEtag());
        CheckInRequest full = json.read("checkin-request-plugins.json", CheckInRequest.class);
        assertNull(full.nextCheckAt(), "agents do not announce their next check yet");
        assertEquals(3L, full.trustVersion(), "the newest trust statement the agent holds");
        assertEquals(0, minimal.heldTrustVersion(), "absent means 0");
        assertEquals(List.of(new PluginVersion("acme-label", "1.0.0")), AgentFactsValidator.plugins(full.plugins()));

        TelemetryValidator.Body one = json.read("telemetry-event.json", TelemetryValidator.Body.class);
        List<TelemetryEvent> stored = TelemetryValidator.validate(one, "agent-1", Instant.EPOCH);
        assertEquals(1, stored.size());
        assertEquals("downloading", stored.get(0).status());
        assertEquals(Instant.parse("2026-11-26T12:00:05Z"), stored.get(0).reportedAt());
        assertEquals("{\"mode\":\"hot-swap\",\"bundles\":3}", stored.get(0).metadataJson());

        TelemetryValidator.Body batch = json.read("telemetry-batch.json", TelemetryValidator.Body.class);
        List<TelemetryEvent> two = TelemetryValidator.validate(batch, "agent-1", Instant.EPOCH);
        assertEquals(List.of("failed", "rolled_back"), two.stream().map(TelemetryEvent::status).toList());
        assertEquals("HEALTH_CHECK", two.get(0).errorCode());
        assertNull(two.get(1).downloadTimeMs());
    }

    @Test
    void anUnknownRequestMemberIsStillRefusedByName() {
        ApiException e = org.junit.jupiter.api.Assertions.assertThrows(ApiException.class, () -> json.mapper
                .read("{\"current_version\":\"1.0.0\",\"platform\":\"linux\",\"arch\":\"amd64\",\"hostname\":\"h\",\"x\":1}"
                        .getBytes(), CheckInRequest.class));
        assertEquals("unknown_field", e.code());
        assertEquals("x", e.field());
    }

    /** The golden rotation statement (sequence 3), as the signing bundle stores it. */
    private static io.printmaster.server.signing.api.TrustStatement rotation() {
        String statement = "{\"new_key_id\":\"2222222222222222\",\"new_public_key\":\"" + "A".repeat(43) + "=\","
                + "\"old_key_id\":\"1111111111111111\",\"rotated_at\":\"2026-11-26T12:00:00Z\","
                + "\"type\":\"printmaster.key-rotation.v1\"}";
        return new io.printmaster.server.signing.api.TrustStatement(3, "rotation", "2222222222222222",
                "1111111111111111", statement.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                "sig-rotation".getBytes(java.nio.charset.StandardCharsets.UTF_8), Instant.EPOCH);
    }

    @Test
    void aNegativeTrustVersionIsRefusedByName() {
        ApiException e = org.junit.jupiter.api.Assertions.assertThrows(ApiException.class,
                () -> AgentTrustStatements.newerThan(null, -1L));
        assertEquals("trust_version", e.field());
    }

    private static AgentRecord agent() {
        return AgentRecord.enrolled("agent-1", "f", "linux", "amd64", "1.0.0", "printer-host-1", Instant.EPOCH);
    }

    static Path goldenDir() {
        return Path.of("").toAbsolutePath().resolve("../../bundles/core/src/test/resources/wire").normalize();
    }

    static JsonNode golden(String name) throws Exception {
        return new ObjectMapper().readTree(Files.readAllBytes(goldenDir().resolve(name)));
    }

    /** The http bundle's JSON configuration, the one every route answers with (its class is bundle-private). */
    static final class ServerJson {
        final Mapper mapper = new Mapper();

        JsonNode tree(Object value) throws Exception {
            return new ObjectMapper().readTree(mapper.bytes(value));
        }

        <T> T read(String golden, Class<T> type) throws Exception {
            return mapper.read(Files.readAllBytes(goldenDir().resolve(golden)), type);
        }
    }

    static final class Mapper {
        private final Object target;
        private final Method bytes;
        private final Method read;

        Mapper() {
            try {
                Class<?> type = Class.forName("io.printmaster.http.impl.JsonMapper");
                Constructor<?> c = type.getDeclaredConstructor();
                c.setAccessible(true);
                target = c.newInstance();
                bytes = type.getDeclaredMethod("bytes", Object.class);
                bytes.setAccessible(true);
                read = type.getDeclaredMethod("read", byte[].class, Class.class);
                read.setAccessible(true);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }

        byte[] bytes(Object value) throws Exception {
            return (byte[]) invoke(bytes, value);
        }

        <T> T read(byte[] body, Class<T> type) throws Exception {
            return type.cast(invoke(read, body, type));
        }

        private Object invoke(Method m, Object... args) throws Exception {
            try {
                return m.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause() instanceof Exception x ? x : e;
            }
        }
    }
}
