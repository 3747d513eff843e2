package io.printmaster.agent.enrollment.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.printmaster.agent.enrollment.api.CheckIn;
import io.printmaster.agent.update.api.DeliveredPlugin;
import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.core.wire.AgentCommand;
import io.printmaster.core.wire.CheckInAnswer;
import io.printmaster.core.wire.EnrollAnswer;
import io.printmaster.core.wire.ReleaseManifest;
import io.printmaster.core.wire.TrustStatement;
import io.printmaster.core.wire.UpdateOffer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent's half of the wire contract: the requests its {@link ServerClient} sends are the golden files of
 * {@code bundles/core/src/test/resources/wire/} (which the server's strict mapper reads in the server's
 * {@code WireContractTest}), and it reads the server's golden answers, including tomorrow's answer with members this
 * agent has never heard of, into the same values as today's.
 */
class WireContractTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HostFacts HOST = new HostFacts("printer-host-1", "linux", "amd64", "1.0.0");
    private HttpServer server;
    private final AtomicReference<JsonNode> lastBody = new AtomicReference<>();
    private volatile String answerFile;
    private volatile int answerStatus = 200;
    private ServerClient client;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::answer);
        server.start();
        client = new ServerClient(URI.create("http://127.0.0.1:" + server.getAddress().getPort()), null,
                Duration.ofSeconds(5), Duration.ofSeconds(10));
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void theEnrollmentRequestAndAnswerAreTheGoldenFiles() throws Exception {
        answerFile = "enroll-answer.json";
        answerStatus = 201;
        ServerClient.Answer a = client.enroll("pmj_" + "j".repeat(43), HOST);
        assertEquals(golden("enroll-request.json"), lastBody.get());
        assertEquals(Optional.of(new EnrollAnswer("agent-1", "pma_" + "c".repeat(43), "f")), a.as(EnrollAnswer.class));
        assertFalse(a.as(EnrollAnswer.class).orElseThrow().toString().contains("pma_"), "the credential is never shown");
    }

    @Test
    void theCheckInRequestsAreTheGoldenFiles() throws Exception {
        answerFile = "checkin-answer-nothing.json";
        client.checkIn("pma_x", HOST);
        assertEquals(golden("checkin-request.json"), lastBody.get(), "no plugins member without plugins");
        client.checkIn("pma_x", HOST.withPlugins(List.of(new DeliveredPlugin("acme-label", "1.0.0", "com.acme.label",
                Path.of("plugins/acme-label.jar")))).withTrustVersion(3));
        assertEquals(golden("checkin-request-plugins.json"), lastBody.get(), "with plugins and a trust version");
        client.checkIn("pma_x", HOST, "run-0123456789abcdef0123");
        assertEquals(golden("checkin-request-run.json"), lastBody.get(), "an update run's check-in carries its run id");
        client.checkIn("pma_x", HOST.withNextCheckAt(Instant.parse("2026-12-03T10:15:30Z")));
        com.fasterxml.jackson.databind.node.ObjectNode expected = (com.fasterxml.jackson.databind.node.ObjectNode)
                golden("checkin-request.json");
        expected.put("next_check_at", "2026-12-03T10:15:30Z");
        assertEquals(expected, lastBody.get(), "a check-in says when the worker checks next (wire 1.3)");
    }

    @Test
    void theHeldPolicyAndOfferAreSentAsKnownAndPutBackWhenUnchanged() throws Exception {
        HeldAnswerParts held = new HeldAnswerParts();
        assertEquals(null, held.known(), "nothing held: no known member (an older server refuses it)");
        JsonNode full = held.complete(golden("checkin-answer.json"));
        assertEquals(golden("checkin-answer.json"), full);
        answerFile = "checkin-answer-unchanged.json";
        ServerClient.Answer a = client.checkIn("pma_x", HOST, null, held.known());
        assertEquals(golden("checkin-request-known.json"), lastBody.get(), "the etags of what it holds");
        JsonNode whole = held.complete(a.body());
        assertEquals(golden("checkin-answer.json"), whole, "the unchanged parts are put back");
        CheckInAnswer read = new CheckIn(Instant.now(), 200, Optional.of(whole), Optional.empty()).wireAnswer()
                .orElseThrow();
        assertEquals(UpdatePolicy.defaults(), read.policy());
        assertEquals("1.0.1", read.offeredUpdate().orElseThrow().version());

        // an unchanged part it does not hold (cannot happen short of a bug): nothing is held, the next asks for all
        HeldAnswerParts empty = new HeldAnswerParts();
        JsonNode incomplete = empty.complete(golden("checkin-answer-unchanged.json"));
        assertTrue(incomplete.path("policy").isNull());
        assertEquals(null, empty.known());
    }

    @Test
    void todaysCheckInAnswerReadsIntoTheContractsRecords() throws Exception {
        CheckInAnswer today = checkIn("checkin-answer.json");
        assertEquals("agent-1", today.agentId());
        assertEquals("f", today.fleetId());
        assertEquals(UpdatePolicy.defaults(), today.policy());
        assertEquals("fleet", today.policySource());
        assertEquals("1.0.1", today.latestVersion());
        UpdateOffer update = today.offeredUpdate().orElseThrow();
        assertTrue(today.updateAvailable());
        assertEquals(null, update.component(), "the agent's own update names no component");
        assertEquals("1.0.1", update.version());
        assertEquals("{\"artifact\":3}", new String(Base64.getDecoder().decode(update.manifestBase64())));
        assertEquals("sig-3", update.signature());
        assertEquals(Instant.parse("2026-12-26T12:00:00Z"), update.expiresAt());
        assertEquals("/api/v1/agents/update/download/agent/1.0.1/linux-amd64?format=tar.gz", update.downloadUrl());
        assertEquals(List.of("acme-label 1.1.0 jar"), today.pluginUpdates().stream()
                .map(o -> o.component() + " " + o.version() + " " + o.format()).toList());
        assertEquals(List.of(new AgentCommand("cmd-1", "force_update", Instant.parse("2026-11-26T12:00:00.250Z"))),
                today.commands());
        assertEquals(1, today.trustStatements().size());
        TrustStatement rotation = today.trustStatements().get(0);
        assertEquals(3, rotation.sequence());
        assertEquals(TrustStatement.ROTATION, rotation.type());
        assertEquals("2222222222222222", rotation.keyId());
        assertEquals(rotation.statement(), new String(Base64.getDecoder().decode(rotation.statementBase64())),
                "the string and the base64 are the same signed bytes");
        assertEquals("sig-rotation", new String(Base64.getDecoder().decode(rotation.signature())));

        CheckInAnswer nothing = checkIn("checkin-answer-nothing.json");
        assertFalse(nothing.updateAvailable());
        assertEquals(Optional.empty(), nothing.offeredUpdate());
        assertEquals(null, nothing.latestVersion());
        assertEquals(List.of(), nothing.pluginUpdates());
        assertEquals(List.of(), nothing.commands());
        assertEquals(List.of(), nothing.trustStatements());
    }

    @Test
    void tomorrowsAnswerWithAddedMembersReadsAsTodaysValues() throws Exception {
        CheckInAnswer today = checkIn("checkin-answer.json");
        CheckInAnswer tomorrow = checkIn("checkin-answer-next.json");
        assertEquals(2, tomorrow.commands().size(), "a command this agent does not know still arrives (and is ignored)");
        assertEquals("collect_diagnostics", tomorrow.commands().get(1).command());
        assertEquals(today, tomorrow.withCommands(today.commands()),
                "members added at the top, in the policy, in offers and in commands are ignored; the rest is the same");
    }

    @Test
    void aPolicyThisAgentCannotUseDoesNotHideTheOfferOrTheCommands() throws Exception {
        com.fasterxml.jackson.databind.node.ObjectNode answer = (com.fasterxml.jackson.databind.node.ObjectNode)
                golden("checkin-answer.json");
        ((com.fasterxml.jackson.databind.node.ObjectNode) answer.get("policy")).remove("maintenance_window");
        CheckInAnswer read = new CheckIn(Instant.now(), 200, Optional.of(answer), Optional.empty()).wireAnswer()
                .orElseThrow(() -> new AssertionError("the rest of the answer is lost"));
        assertEquals(null, read.policy());
        assertEquals("1.0.1", read.offeredUpdate().orElseThrow().version());
        assertEquals(List.of("force_update"), read.commands().stream().map(AgentCommand::command).toList());
    }

    @Test
    void theSignedManifestsReadIntoTheContractsRecord() throws Exception {
        ReleaseManifest agent = JSON.readValue(goldenBytes("manifest-agent-archive.json"), ReleaseManifest.class);
        assertEquals(ReleaseManifest.VERSION_1, agent.manifestVersion());
        assertEquals(2L, agent.releaseCounter());
        assertEquals(List.of("io.printmaster.agent.worker", "io.printmaster.core"),
                agent.bundles().stream().map(b -> b.symbolicName()).toList());
        assertEquals(Boolean.FALSE, agent.restartRequired());
        ReleaseManifest plugin = JSON.readValue(goldenBytes("manifest-plugin.json"), ReleaseManifest.class);
        assertEquals(List.of(), plugin.bundles());
        assertEquals(null, plugin.runtimeSha256());
        assertEquals(null, plugin.publishedAt());
    }

    private CheckInAnswer checkIn(String golden) throws Exception {
        answerFile = golden;
        ServerClient.Answer a = client.checkIn("pma_x", HOST);
        assertEquals(200, a.status());
        CheckIn checkIn = new CheckIn(Instant.now(), a.status(), Optional.of(a.body()), Optional.empty());
        return checkIn.wireAnswer().orElseThrow(() -> new AssertionError(golden + " did not read as a CheckInAnswer"));
    }

    private void answer(HttpExchange ex) throws IOException {
        lastBody.set(JSON.readTree(ex.getRequestBody().readAllBytes()));
        byte[] body = goldenBytes(answerFile);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(answerStatus, body.length);
        ex.getResponseBody().write(body);
        ex.close();
    }

    private static JsonNode golden(String name) throws IOException {
        return JSON.readTree(goldenBytes(name));
    }

    private static byte[] goldenBytes(String name) throws IOException {
        return Files.readAllBytes(Path.of("").toAbsolutePath()
                .resolve("../../bundles/core/src/test/resources/wire").normalize().resolve(name));
    }
}
