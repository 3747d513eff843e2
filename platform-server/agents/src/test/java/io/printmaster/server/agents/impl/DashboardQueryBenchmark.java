package io.printmaster.server.agents.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.printmaster.server.agents.api.AgentStatistics;
import io.printmaster.store.impl.DerbyDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's queries ({@link JdbcAgentStatistics}) on a Derby filled in bulk with 10,000 agents in 10 fleets and
 * 1,000,000 telemetry rows over 35 days (runs of four transitions: downloading, staging with its download time,
 * applying, and an outcome: 85 % succeeded, 8 % failed, 4 % rolled back, 3 % cancelled; 10 versions, newest most
 * recent). Not part of the normal test run (its name does not end in Test); run it with
 * {@code mvn -o -pl platform-server/agents verify -Dtest=DashboardQueryBenchmark -Dsurefire.failIfNoSpecifiedTests=false}
 * (docs/benchmarks.md). The database is kept in {@code target/bench-dashboard-<agents>-<rows>} and reused when it
 * holds the rows (a database of schema 2 filled in bulk, then migrated as a server upgrade would).
 */
class DashboardQueryBenchmark {
    static final int AGENTS = Integer.getInteger("bench.agents", 10_000);
    static final int ROWS = Integer.getInteger("bench.rows", 1_000_000);
    static final int FLEETS = 10;
    static final int ROUNDS = Integer.getInteger("bench.rounds", 20);
    static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");

    @Test
    void dashboardQueries() throws Exception {
        Path dir = Paths.get("target", "bench-dashboard-" + AGENTS + "-" + ROWS);
        boolean fresh = !Files.exists(dir.resolve("db"));
        Files.createDirectories(dir);
        DerbyDatabase db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        try {
            // filled as a database of the version before (schema 2), then migrated: the migration's backfill of the
            // per-day counts is measured too
            if (fresh) {
                db.migrate(AgentsSchema.MODULE, io.printmaster.store.Migrations.fromClasspath(AgentsSchema.class,
                        AgentsSchema.MODULE).subList(0, 2));
            }
            long fillMs = fresh ? fill(db) : 0;
            long migrateMs = time(() -> AgentsSchema.ensure(db));
            JdbcAgentStatistics stats = new JdbcAgentStatistics(db);
            Instant since = NOW.minus(Duration.ofDays(30));
            Optional<Set<String>> oneFleet = Optional.of(Set.of("fleet-3"));

            long cold = time(() -> {
                stats.agents(Optional.empty(), NOW);
                stats.releases(Optional.empty(), since);
            });
            List<String> lines = new ArrayList<>();
            lines.add(String.format("filled in %d ms (0 = reused), migrated to schema 3 in %d ms; first dashboard"
                    + " (cold) %d ms", fillMs, migrateMs, cold));
            lines.add(measure("agents, all fleets", () -> stats.agents(Optional.empty(), NOW)));
            lines.add(measure("releases, all fleets, 30 days", () -> stats.releases(Optional.empty(), since)));
            lines.add(measure("whole dashboard, all fleets", () -> {
                stats.agents(Optional.empty(), NOW);
                stats.releases(Optional.empty(), since);
            }));
            lines.add(measure("whole dashboard, one fleet", () -> {
                stats.agents(oneFleet, NOW);
                stats.releases(oneFleet, since);
            }));
            lines.add(measure("whole dashboard, all fleets, 90 days", () -> {
                stats.agents(Optional.empty(), NOW);
                stats.releases(Optional.empty(), NOW.minus(Duration.ofDays(90)));
            }));
            AgentStatistics.AgentCounts counts = stats.agents(Optional.empty(), NOW);
            assertEquals(AGENTS, counts.total());
            List<AgentStatistics.ReleaseOutcomes> releases = stats.releases(Optional.empty(), since);
            lines.add("releases shown: " + releases.size() + "; newest " + releases.get(0).version() + " p50 "
                    + releases.get(0).downloadMsP50() + " ms, p95 " + releases.get(0).downloadMsP95() + " ms, success "
                    + releases.get(0).successRate());
            for (String line : lines) {
                System.out.println("[dashboard-bench] " + line);
            }
            Files.write(dir.resolve("results.txt"), lines);
        } finally {
            db.close();
        }
    }

    @FunctionalInterface
    interface Work {
        void run() throws Exception;
    }

    private static long time(Work w) throws Exception {
        long t = System.nanoTime();
        w.run();
        return (System.nanoTime() - t) / 1_000_000;
    }

    private static String measure(String what, Work w) throws Exception {
        w.run(); // warm: the statement compiled, the pages cached
        long[] ms = new long[ROUNDS];
        for (int i = 0; i < ROUNDS; i++) {
            ms[i] = time(w);
        }
        Arrays.sort(ms);
        return String.format("%-40s median %4d ms, p95 %4d ms, max %4d ms (%d rounds)", what, ms[ROUNDS / 2],
                ms[Math.min(ROUNDS - 1, (int) Math.ceil(ROUNDS * 0.95) - 1)], ms[ROUNDS - 1], ROUNDS);
    }

    /** Inserts the agents and the telemetry unless the database holds them already; returns the time taken. */
    private static long fill(DerbyDatabase db) throws Exception {
        int have = db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM PM_AGENT_TELEMETRY");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        });
        if (have != 0) {
            throw new IllegalStateException("a new database holds " + have + " rows");
        }
        long t = System.nanoTime();
        Random random = new Random(15);
        String[] versions = new String[10];
        for (int v = 0; v < versions.length; v++) {
            versions[v] = "1." + v + ".0";
        }
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_AGENT (ID, FLEET_ID, CREDENTIAL_SHA256,"
                    + " JOIN_TOKEN_ID, HOSTNAME, PLATFORM, ARCH, CURRENT_VERSION, ENROLLED_AT, LAST_SEEN_AT,"
                    + " STATUS, LAST_RESULT, LAST_ERROR_CODE) VALUES (?, ?, ?, 'jt', ?, 'linux', 'amd64', ?, ?, ?, ?, ?, ?)")) {
                for (int i = 0; i < AGENTS; i++) {
                    Instant seen = i % 50 == 0 ? null : NOW.minusSeconds(random.nextInt(20 * 86_400));
                    String result = pick(random);
                    ps.setString(1, String.format("agt_%08d", i));
                    ps.setString(2, "fleet-" + (i % FLEETS));
                    ps.setString(3, String.format("%064d", i));
                    ps.setString(4, String.format("host-%05d", i));
                    ps.setString(5, versions[9 - Math.min(9, random.nextInt(4) * random.nextInt(4))]);
                    ps.setTimestamp(6, Timestamp.from(NOW.minus(Duration.ofDays(60))));
                    ps.setTimestamp(7, seen == null ? null : Timestamp.from(seen));
                    ps.setString(8, result);
                    ps.setString(9, result);
                    ps.setString(10, error(result, random));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
        int runs = ROWS / 4;
        int batch = 50_000 / 4;
        for (int start = 0; start < runs; start += batch) {
            int first = start;
            db.inTransaction(c -> {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_AGENT_TELEMETRY (AGENT_ID, RUN_ID, STATUS,"
                        + " CURRENT_VERSION, TARGET_VERSION, ERROR_CODE, REPORTED_AT, RECEIVED_AT, DOWNLOAD_TIME_MS)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                    for (int run = first; run < Math.min(runs, first + batch); run++) {
                        int agent = random.nextInt(AGENTS);
                        // 35 days back; the newer the run, the newer the version it installs
                        long ago = (long) random.nextInt(35 * 86_400);
                        int v = Math.max(1, 9 - (int) (ago / (4 * 86_400)));
                        Instant at = NOW.minusSeconds(ago);
                        String outcome = pick(random);
                        String[] statuses = {"downloading", "staging", "applying", outcome};
                        for (String status : statuses) {
                            ps.setString(1, String.format("agt_%08d", agent));
                            ps.setString(2, "run-" + run);
                            ps.setString(3, status);
                            ps.setString(4, versions[v - 1]);
                            ps.setString(5, versions[v]);
                            ps.setString(6, status.equals(outcome) ? error(outcome, random) : null);
                            ps.setTimestamp(7, Timestamp.from(at));
                            ps.setTimestamp(8, Timestamp.from(at));
                            if ("staging".equals(status)) {
                                ps.setLong(9, 200 + (long) (Math.abs(random.nextGaussian()) * 3000));
                            } else {
                                ps.setNull(9, java.sql.Types.BIGINT);
                            }
                            ps.addBatch();
                        }
                    }
                    ps.executeBatch();
                }
                return null;
            });
        }
        return (System.nanoTime() - t) / 1_000_000;
    }

    private static String pick(Random random) {
        int p = random.nextInt(100);
        return p < 85 ? "succeeded" : p < 93 ? "failed" : p < 97 ? "rolled_back" : "cancelled";
    }

    private static String error(String outcome, Random random) {
        return switch (outcome) {
            case "failed" -> List.of("DOWNLOAD_FAILED", "DISK_SPACE", "APPLY_FAILED", "HASH_MISMATCH",
                    "STAGING_FAILED", "RESTART_FAILED").get(random.nextInt(6));
            case "rolled_back" -> "HEALTH_CHECK";
            case "cancelled" -> "ROLLOUT_ABORTED";
            default -> null;
        };
    }
}
