package io.printmaster.server.agents.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.printmaster.server.agents.api.RunTransition;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many agents reporting batches at once (as a fleet does after a wave): every batch is stored, none is refused for
 * contention, and the gate hears every run's terminal transition.
 */
class TelemetryConcurrencyTest {
    @TempDir
    Path dir;

    @Test
    void concurrentBatchesOfManyAgentsAreAllStored() throws Exception {
        try (AgentsFixture f = new AgentsFixture(dir)) {
            String fleet = f.fleet("busy");
            List<String> agents = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                agents.add(f.agents.enroll(f.tokens.create(fleet, 24, null, "admin").token(),
                        AgentsFixture.facts("h-" + i)).orElseThrow().agent().id());
            }
            ExecutorService pool = Executors.newFixedThreadPool(16);
            try {
                List<Future<Boolean>> results = new ArrayList<>();
                for (String agent : agents) {
                    results.add(pool.submit(() -> {
                        List<TelemetryEvent> batch = new ArrayList<>();
                        Instant at = Instant.parse("2026-12-01T10:00:00Z");
                        for (String status : List.of("downloading", "staging", "applying", "restarting", "succeeded")) {
                            at = at.plusSeconds(1);
                            batch.add(new TelemetryEvent("run-" + agent, status, "1.0.0", "1.1.0", null, null, at,
                                    null, null, null, false));
                        }
                        return f.telemetry.record(agent, batch);
                    }));
                }
                for (Future<Boolean> r : results) {
                    assertEquals(true, r.get(60, TimeUnit.SECONDS));
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(200, f.count("SELECT COUNT(*) FROM PM_AGENT_TELEMETRY"));
            // the gate hears each run's end: a transaction that lost a lock conflict runs again (the gate then hears
            // it again on the new connection, and only that call commits), so this counts runs, not calls
            assertEquals(40, f.gate.transitions.stream().filter(t -> t.terminal()).map(RunTransition::runId)
                    .distinct().count());
            assertEquals(40, f.count("SELECT COUNT(*) FROM PM_AGENT WHERE LAST_RESULT = 'succeeded'"));
        }
    }
}
