package io.printmaster.server.agents.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.http.api.ApiException;
import io.printmaster.store.AuditLog;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Update telemetry (validation, storage, the agent's summary, retention) and admin commands (queueing, replacement,
 * delivery by exactly one check-in) on a real embedded Derby shared by the tests of this class; each test enrolls
 * agents of its own.
 */
class TelemetryAndCommandsTest {
    @TempDir
    static Path dir;
    static AgentsFixture f;
    private static final AtomicInteger NAMES = new AtomicInteger();
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void open() throws Exception {
        f = new AgentsFixture(dir);
    }

    @AfterAll
    static void close() {
        f.close();
    }

    private static AgentRecord newAgent() throws Exception {
        String fleet = f.fleet("tel-" + NAMES.incrementAndGet());
        return f.agents.enroll(f.tokens.create(fleet, 24, null, "admin").token(), AgentsFixture.facts("h-" + fleet))
                .orElseThrow().agent();
    }

    private static TelemetryValidator.Event event(String runId, String status, String errorCode, String at) {
        return new TelemetryValidator.Event(null, runId, status, "1.0.0", "1.1.0", errorCode,
                errorCode == null ? null : "went wrong: " + errorCode, at, 1200L, 4096L, null);
    }

    private static TelemetryValidator.Body single(TelemetryValidator.Event e) {
        return new TelemetryValidator.Body(e.agentId(), e.runId(), e.status(), e.currentVersion(), e.targetVersion(),
                e.errorCode(), e.errorMessage(), e.timestamp(), e.downloadTimeMs(), e.sizeBytes(), e.metadata(), null);
    }

    private static TelemetryValidator.Body batch(List<TelemetryValidator.Event> events) {
        return new TelemetryValidator.Body(null, null, null, null, null, null, null, null, null, null, null, events);
    }

    /** Validates and stores, as the route does. */
    private static void report(AgentRecord agent, TelemetryValidator.Body body) throws Exception {
        assertTrue(f.telemetry.record(agent.id(), TelemetryValidator.validate(body, agent.id(), f.clock.instant())));
    }

    private static String rejectedField(AgentRecord agent, TelemetryValidator.Body body) {
        ApiException e = assertThrows(ApiException.class, () -> TelemetryValidator.validate(body, agent.id(), f.clock.instant()));
        assertEquals(400, e.status());
        return e.field();
    }

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    private static String at(int minutes) {
        return Instant.parse("2026-11-26T10:00:00Z").plus(Duration.ofMinutes(minutes)).toString();
    }

    @Test
    void eachBadFieldIsRejectedByItsNameAndNothingIsStored() throws Exception {
        AgentRecord agent = newAgent();
        TelemetryValidator.Event good = event("run-1", "downloading", null, at(0));
        Map<String, UnaryOperator<TelemetryValidator.Event>> bad = new java.util.LinkedHashMap<>();
        bad.put("run_id", e -> new TelemetryValidator.Event(null, "run 1!", e.status(), e.currentVersion(), e.targetVersion(), e.errorCode(), e.errorMessage(), e.timestamp(), e.downloadTimeMs(), e.sizeBytes(), e.metadata()));
        bad.put("status", e -> new TelemetryValidator.Event(null, e.runId(), "exploded", e.currentVersion(), e.targetVersion(), e.errorCode(), e.errorMessage(), e.timestamp(), e.downloadTimeMs(), e.sizeBytes(), e.metadata()));
        bad.put("current_version", e -> new TelemetryValidator.Event(null, e.runId(), e.status(), "1.0 beta", e.targetVersion(), e.errorCode(), e.errorMessage(), e.timestamp(), e.downloadTimeMs(), e.sizeBytes(), e.metadata()));
        bad.put("target_version", e -> new TelemetryValidator.Event(null, e.runId(), e.status(), e.currentVersion(), "../2.0", e.errorCode(), e.errorMessage(), e.timestamp(), e.downloadTimeMs(), e.sizeBytes(), e.metadata()));
        bad.put("error_code", e -> new TelemetryValidator.Event(null, e.runId(), e.status(), e.currentVersion(), e.targetVersion(), "OOPS", e.errorMessage(), e.timestamp(), e.downloadTimeMs(), e.sizeBytes(), e.metadata()));
        bad.put("error_message", e -> new TelemetryValidator.Event(null, e.runId(), e.status(), e.currentVersion(), e.targetVersion(), e.errorCode(), "x".repeat(2001), e.timestamp(), e.downloadTimeMs(), e.sizeBytes(), e.metadata()));
        bad.put("timestamp", e -> new TelemetryValidator.Event(null, e.runId(), e.status(), e.currentVersion(), e.targetVersion(), e.errorCode(), e.errorMessage(), "yesterday", e.downloadTimeMs(), e.sizeBytes(), e.metadata()));
        bad.put("download_time_ms", e -> new TelemetryValidator.Event(null, e.runId(), e.status(), e.currentVersion(), e.targetVersion(), e.errorCode(), e.errorMessage(), e.timestamp(), -1L, e.sizeBytes(), e.metadata()));
        bad.put("size_bytes", e -> new TelemetryValidator.Event(null, e.runId(), e.status(), e.currentVersion(), e.targetVersion(), e.errorCode(), e.errorMessage(), e.timestamp(), e.downloadTimeMs(), -5L, e.metadata()));
        bad.put("metadata", e -> {
            try {
                return new TelemetryValidator.Event(null, e.runId(), e.status(), e.currentVersion(), e.targetVersion(), e.errorCode(), e.errorMessage(), e.timestamp(), e.downloadTimeMs(), e.sizeBytes(), json("[1,2]"));
            } catch (Exception ex) {
                throw new IllegalStateException(ex);
            }
        });
        bad.put("agent_id", e -> new TelemetryValidator.Event("agt_someoneelse", e.runId(), e.status(), e.currentVersion(), e.targetVersion(), e.errorCode(), e.errorMessage(), e.timestamp(), e.downloadTimeMs(), e.sizeBytes(), e.metadata()));
        for (Map.Entry<String, UnaryOperator<TelemetryValidator.Event>> b : bad.entrySet()) {
            TelemetryValidator.Event broken = b.getValue().apply(good);
            assertEquals(b.getKey(), rejectedField(agent, single(broken)), "one transition with a bad " + b.getKey());
            assertEquals("events[2]." + b.getKey(), rejectedField(agent, batch(List.of(good, good, broken, good))),
                    "a batch whose third transition has a bad " + b.getKey());
        }
        // a missing run_id or status, metadata too big, a run_id too long, a year the database cannot hold
        assertEquals("run_id", rejectedField(agent, single(event(null, "idle", null, null))));
        assertEquals("run_id", rejectedField(agent, single(event("r".repeat(65), "idle", null, null))));
        assertEquals("status", rejectedField(agent, single(event("run-1", null, null, null))));
        assertEquals("timestamp", rejectedField(agent, single(event("run-1", "idle", null, "+10000-01-01T00:00:00Z"))));
        TelemetryValidator.Event huge = new TelemetryValidator.Event(null, "run-1", "idle", null, null, null, null, null,
                null, null, json("{\"log\":\"" + "x".repeat(8200) + "\"}"));
        assertEquals("metadata", rejectedField(agent, single(huge)));
        // a batch: not empty, at most 100, and not mixed with a single transition's fields
        assertEquals("events", rejectedField(agent, batch(List.of())));
        List<TelemetryValidator.Event> tooMany = new ArrayList<>();
        for (int i = 0; i < 101; i++) {
            tooMany.add(good);
        }
        assertEquals("events", rejectedField(agent, batch(tooMany)));
        assertEquals("run_id", rejectedField(agent, new TelemetryValidator.Body(null, "run-1", null, null, null, null,
                null, null, null, null, null, List.of(good))));

        assertEquals(0, f.count("SELECT COUNT(*) FROM PM_AGENT_TELEMETRY WHERE AGENT_ID = '" + agent.id() + "'"));
        AgentRecord after = f.agents.find(agent.id()).orElseThrow();
        assertNull(after.status(), "a rejected report changes nothing");

        // the boundaries themselves pass: the agent's own id, 2000 characters, 8 KiB of metadata, zeros
        TelemetryValidator.Event edge = new TelemetryValidator.Event(agent.id(), "r".repeat(64), "failed", null, null,
                "SERVER_ERROR", "m".repeat(2000), null, 0L, 0L, json("{\"k\":\"" + "v".repeat(8192 - 10) + "\"}"));
        report(agent, single(edge));
        assertEquals(1, f.telemetry.list(agent.id(), Optional.empty(), 10).size());
    }

    @Test
    void transitionsAreStoredNewestFirstAndTheSummaryFollowsThem() throws Exception {
        AgentRecord agent = newAgent();
        TelemetryValidator.Event downloading = new TelemetryValidator.Event(null, "run-1", "downloading", "1.0.0", "1.1.0",
                null, null, at(0), null, null, json("{\"attempt\":1,\"Mixed_Case\":true}"));
        report(agent, single(downloading));
        AgentRecord mid = f.agents.find(agent.id()).orElseThrow();
        assertEquals("downloading", mid.status());
        assertEquals("1.1.0", mid.targetVersion());
        assertEquals("run-1", mid.lastRunId());
        assertNull(mid.lastResult(), "no run has ended yet");

        report(agent, single(event("run-1", "failed", "HASH_MISMATCH", at(1))));
        AgentRecord failed = f.agents.find(agent.id()).orElseThrow();
        assertEquals("failed", failed.status());
        assertEquals("failed", failed.lastResult());
        assertEquals("HASH_MISMATCH", failed.lastErrorCode());
        assertEquals(Instant.parse(at(1)), failed.statusAt());

        List<TelemetryStore.StoredTransition> stored = f.telemetry.list(agent.id(), Optional.empty(), 10);
        assertEquals(List.of("failed", "downloading"), stored.stream().map(TelemetryStore.StoredTransition::status).toList());
        TelemetryStore.StoredTransition last = stored.get(0);
        assertEquals("HASH_MISMATCH", last.errorCode());
        assertEquals("went wrong: HASH_MISMATCH", last.errorMessage());
        assertEquals(1200L, last.downloadTimeMs());
        assertEquals(4096L, last.sizeBytes());
        assertEquals(Instant.parse(at(1)), last.timestamp());
        assertEquals(f.clock.instant(), last.receivedAt());
        assertEquals(json("{\"attempt\":1,\"Mixed_Case\":true}"), json(stored.get(1).metadata()), "metadata kept as sent");
        assertNull(stored.get(1).downloadTimeMs());

        // a new run that ends well clears the old error; a late transition of the old run is kept but changes nothing
        report(agent, batch(List.of(event("run-2", "checking", null, at(10)), event("run-2", "succeeded", null, at(12)),
                event("run-1", "rolled_back", "HEALTH_CHECK", at(2)))));
        AgentRecord ok = f.agents.find(agent.id()).orElseThrow();
        assertEquals("succeeded", ok.status());
        assertEquals("succeeded", ok.lastResult());
        assertNull(ok.lastErrorCode());
        assertEquals("run-2", ok.lastRunId());
        assertEquals(5, f.telemetry.list(agent.id(), Optional.empty(), 10).size());

        // a transition without a timestamp is dated on receipt; the listing pages by id
        f.clock.advance(Duration.ofDays(400));
        report(agent, single(event("run-3", "pending", "OUTSIDE_WINDOW", null)));
        AgentRecord pending = f.agents.find(agent.id()).orElseThrow();
        assertEquals("pending", pending.status());
        assertEquals("OUTSIDE_WINDOW", pending.lastErrorCode(), "an error code is kept even before the run ends");
        assertEquals("succeeded", pending.lastResult(), "the last result is the last run's end");
        assertEquals(f.clock.instant(), pending.statusAt());
        List<TelemetryStore.StoredTransition> page1 = f.telemetry.list(agent.id(), Optional.empty(), 4);
        List<TelemetryStore.StoredTransition> page2 = f.telemetry.list(agent.id(), Optional.of(page1.get(3).id()), 4);
        assertEquals(List.of("pending", "rolled_back", "succeeded", "checking"), page1.stream().map(TelemetryStore.StoredTransition::status).toList());
        assertEquals(List.of("failed", "downloading"), page2.stream().map(TelemetryStore.StoredTransition::status).toList());
    }

    @Test
    void aPluginsRunIsStoredButLeavesTheAgentsOwnStatusAlone() throws Exception {
        AgentRecord agent = newAgent();
        report(agent, single(new TelemetryValidator.Event(null, "run-1", "succeeded", "1.0.0", "1.1.0", null, null,
                at(0), null, null, null)));
        report(agent, single(new TelemetryValidator.Event(null, "run-2-acme-label", "rolled_back", "1.1.0", "3.0.0",
                "HEALTH_CHECK", "plugin acme-label 3.0.0 failed its health check", at(1), null, null,
                json("{\"mode\":\"plugin\",\"component\":\"acme-label\"}"))));

        AgentRecord after = f.agents.find(agent.id()).orElseThrow();
        assertEquals("succeeded", after.status(), "the agent's own last run");
        assertEquals("1.1.0", after.targetVersion(), "not the plugin's version");
        assertNull(after.lastErrorCode());
        assertEquals("run-1", after.lastRunId());
        assertEquals(2, f.count("SELECT COUNT(*) FROM PM_AGENT_TELEMETRY WHERE AGENT_ID = '" + agent.id() + "'"),
                "the plugin's transition is kept for the agent's page");
    }

    @Test
    void onlyTheNewestThousandTransitionsOfAnAgentAreKept() throws Exception {
        AgentRecord chatty = newAgent();
        AgentRecord quiet = newAgent();
        report(quiet, single(event("quiet", "idle", null, at(0))));
        for (int b = 0; b < 11; b++) {
            List<TelemetryValidator.Event> events = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                events.add(event("run-" + (b * 100 + i), "checking", null, at(b * 100 + i)));
            }
            report(chatty, batch(events));
        }
        assertEquals(1000, f.count("SELECT COUNT(*) FROM PM_AGENT_TELEMETRY WHERE AGENT_ID = '" + chatty.id() + "'"));
        List<String> runs = new ArrayList<>();
        Optional<Long> before = Optional.empty();
        while (true) {
            List<TelemetryStore.StoredTransition> page = f.telemetry.list(chatty.id(), before, 200);
            page.forEach(t -> runs.add(t.runId()));
            if (page.size() < 200) {
                break;
            }
            before = Optional.of(page.get(page.size() - 1).id());
        }
        assertEquals(1000, runs.size());
        assertEquals("run-1099", runs.get(0), "the newest is kept");
        assertEquals("run-100", runs.get(999), "the oldest kept is the thousandth newest");
        assertEquals(1, f.count("SELECT COUNT(*) FROM PM_AGENT_TELEMETRY WHERE AGENT_ID = '" + quiet.id() + "'"),
                "another agent's transitions are not touched");
    }

    @Test
    void aRevokedAgentReportsNothing() throws Exception {
        AgentRecord agent = newAgent();
        assertTrue(f.agents.revoke(agent.id(), "admin"));
        assertFalse(f.telemetry.record(agent.id(), TelemetryValidator.validate(single(event("r", "idle", null, null)),
                agent.id(), f.clock.instant())));
        assertFalse(f.telemetry.record("agt_unknown", List.of()));
        assertEquals(0, f.count("SELECT COUNT(*) FROM PM_AGENT_TELEMETRY WHERE AGENT_ID = '" + agent.id() + "'"));
    }

    @Test
    void aCommandIsDeliveredByExactlyOneCheckIn() throws Exception {
        AgentRecord agent = newAgent();
        AgentCommandStore.AgentCommand force = f.commands.issue(agent.id(), "force_update", "admin").orElseThrow();
        assertTrue(force.id().startsWith("cmd_"), force.id());
        assertEquals("pending", force.state());
        assertEquals(List.of(force.id()), f.commands.pending(agent.id()).stream().map(AgentCommandStore.AgentCommand::id).toList());
        AuditLog.Entry audited = f.audit.list(new AuditLog.Query(Optional.of("agent:" + agent.id()), Optional.empty(),
                Optional.of(Set.of(agent.fleet())), Optional.empty(), 1)).get(0);
        assertEquals("agent.command", audited.action());
        assertEquals("admin", audited.actor());
        assertTrue(audited.after().contains("force_update"), audited.after());

        f.clock.advance(Duration.ofMinutes(1));
        Instant next = f.clock.instant().plus(Duration.ofDays(7));
        AgentStore.CheckedIn<Object> first = f.agents.checkIn(agent.id(), AgentsFixture.facts("h"), next, c -> null).orElseThrow();
        assertEquals(List.of(force.id()), first.commands().stream().map(AgentCommandStore.AgentCommand::id).toList());
        assertEquals("force_update", first.commands().get(0).command());
        assertEquals(next, first.agent().nextCheckAt(), "next_check_at is stored");
        assertEquals(List.of(), f.commands.pending(agent.id()));
        assertEquals(1, f.count("SELECT COUNT(*) FROM PM_AGENT_COMMAND WHERE ID = '" + force.id()
                + "' AND STATE = 'delivered' AND DELIVERED_AT IS NOT NULL"));

        AgentStore.CheckedIn<Object> second = f.agents.checkIn(agent.id(), AgentsFixture.facts("h"), null, c -> null).orElseThrow();
        assertEquals(List.of(), second.commands(), "a delivered command is not delivered again");
        assertNull(second.agent().nextCheckAt(), "an agent that does not say when it checks in next has no next check");
    }

    @Test
    void aNewerCommandOfTheSameKindReplacesAPendingOne() throws Exception {
        AgentRecord agent = newAgent();
        AgentCommandStore.AgentCommand check1 = f.commands.issue(agent.id(), "check_update", "admin").orElseThrow();
        AgentCommandStore.AgentCommand force = f.commands.issue(agent.id(), "force_update", "admin").orElseThrow();
        AgentCommandStore.AgentCommand check2 = f.commands.issue(agent.id(), "check_update", "ops").orElseThrow();
        AgentCommandStore.AgentCommand cancel = f.commands.issue(agent.id(), "cancel_update", "ops").orElseThrow();
        assertEquals(List.of(force.id(), check2.id(), cancel.id()),
                f.commands.pending(agent.id()).stream().map(AgentCommandStore.AgentCommand::id).toList(),
                "the first check_update is replaced; the others wait, oldest first");
        assertEquals(1, f.count("SELECT COUNT(*) FROM PM_AGENT_COMMAND WHERE ID = '" + check1.id() + "' AND STATE = 'replaced'"));
        List<String> delivered = f.agents.checkIn(agent.id(), AgentsFixture.facts("h"), null, c -> null).orElseThrow().commands().stream()
                .map(AgentCommandStore.AgentCommand::command).toList();
        assertEquals(List.of("force_update", "check_update", "cancel_update"), delivered, "in the order issued");

        // a delivered command is not replaced by a new one: the new one is simply pending
        AgentCommandStore.AgentCommand again = f.commands.issue(agent.id(), "force_update", "admin").orElseThrow();
        assertEquals(List.of(again.id()), f.commands.pending(agent.id()).stream().map(AgentCommandStore.AgentCommand::id).toList());
        assertEquals(1, f.count("SELECT COUNT(*) FROM PM_AGENT_COMMAND WHERE ID = '" + force.id() + "' AND STATE = 'delivered'"));
    }

    @Test
    void handledCommandsOlderThanThirtyDaysAreDroppedWhenTheAgentGetsANewOnePendingOnesNever() throws Exception {
        AgentRecord agent = newAgent();
        AgentCommandStore.AgentCommand old = f.commands.issue(agent.id(), "force_update", "admin").orElseThrow();
        AgentCommandStore.AgentCommand replaced = f.commands.issue(agent.id(), "check_update", "admin").orElseThrow();
        f.commands.issue(agent.id(), "check_update", "admin").orElseThrow();
        f.agents.checkIn(agent.id(), AgentsFixture.facts("h"), null, c -> null).orElseThrow(); // delivers force and the 2nd check
        AgentCommandStore.AgentCommand waiting = f.commands.issue(agent.id(), "cancel_update", "admin").orElseThrow();
        String ofAgent = "SELECT COUNT(*) FROM PM_AGENT_COMMAND WHERE AGENT_ID = '" + agent.id() + "'";
        assertEquals(4, f.count(ofAgent));

        f.clock.advance(AgentCommandStore.HANDLED_KEPT.plusMinutes(1));
        AgentCommandStore.AgentCommand fresh = f.commands.issue(agent.id(), "force_update", "ops").orElseThrow();

        assertEquals(2, f.count(ofAgent), "the delivered and replaced month-old ones are gone");
        assertEquals(0, f.count(ofAgent + " AND ID IN ('" + old.id() + "', '" + replaced.id() + "')"));
        assertEquals(List.of(waiting.id(), fresh.id()),
                f.commands.pending(agent.id()).stream().map(AgentCommandStore.AgentCommand::id).toList(),
                "a command still waiting for its agent is never dropped, however old");
    }

    @Test
    void badCommandsUnknownAndRevokedAgentsAreRefused() throws Exception {
        AgentRecord agent = newAgent();
        ApiException unknownCommand = assertThrows(ApiException.class, () -> f.commands.issue(agent.id(), "reboot", "admin"));
        assertEquals(400, unknownCommand.status());
        assertEquals("command", unknownCommand.field());
        assertEquals("command", assertThrows(ApiException.class, () -> f.commands.issue(agent.id(), null, "admin")).field());
        assertEquals(Optional.empty(), f.commands.issue("agt_unknown", "check_update", "admin"));
        assertTrue(f.agents.revoke(agent.id(), "admin"));
        assertEquals(409, assertThrows(ApiException.class, () -> f.commands.issue(agent.id(), "check_update", "admin")).status());
        assertEquals(0, f.count("SELECT COUNT(*) FROM PM_AGENT_COMMAND WHERE AGENT_ID = '" + agent.id() + "'"));
    }
}
