package io.printmaster.itests.bench;

import java.nio.file.Path;
import java.util.Map;

/** The fleet simulator's configuration: its {@code --name=value} options (see {@link FleetSimulator}). */
final class SimOptions {
    final String base;
    final String password;
    final int agentCount;
    final double minutes;
    final int intervalSeconds;
    final double jitter;
    final int waveSize;
    final int pushCount;
    final int connections;
    final int enrollConcurrency;
    final String version;
    final int downloadSample;
    final int rolloutJitterSeconds;
    final String fleet;
    final Path reportFile;
    final ProcessProbe server;
    final ProcessProbe self;
    /** The database server's process (PostgreSQL's postmaster), when it runs beside the server; else null. */
    final ProcessProbe database;

    SimOptions(Map<String, String> o) {
        base = require(o, "base");
        password = o.getOrDefault("password", System.getenv("PM_ADMIN_PASSWORD"));
        agentCount = Integer.parseInt(o.getOrDefault("agents", "1000"));
        minutes = Double.parseDouble(o.getOrDefault("minutes", "2"));
        intervalSeconds = Integer.parseInt(o.getOrDefault("interval", "60"));
        jitter = Double.parseDouble(o.getOrDefault("jitter", "0.1"));
        waveSize = Integer.parseInt(o.getOrDefault("wave", Integer.toString(Math.max(1, agentCount / 10))));
        pushCount = Integer.parseInt(o.getOrDefault("push", Integer.toString(Math.max(1, agentCount / 100))));
        connections = Integer.parseInt(o.getOrDefault("connections", "128"));
        enrollConcurrency = Integer.parseInt(o.getOrDefault("enroll-concurrency", "16"));
        version = require(o, "version");
        downloadSample = Integer.parseInt(o.getOrDefault("download-sample", "10"));
        rolloutJitterSeconds = Integer.parseInt(o.getOrDefault("rollout-jitter", "30"));
        fleet = o.getOrDefault("fleet", "sim");
        reportFile = o.containsKey("report") ? Path.of(o.get("report")) : null;
        int ticks = Integer.parseInt(o.getOrDefault("clk-tck", "100"));
        server = o.containsKey("server-pid") ? new ProcessProbe(Long.parseLong(o.get("server-pid")), ticks) : null;
        self = new ProcessProbe(ProcessHandle.current().pid(), ticks);
        database = o.containsKey("db-pid") ? new ProcessProbe(Long.parseLong(o.get("db-pid")), ticks) : null;
        if (password == null || password.isBlank()) {
            throw new IllegalArgumentException("--password (or PM_ADMIN_PASSWORD) is required");
        }
        if (pushCount > agentCount || waveSize > agentCount) {
            throw new IllegalArgumentException("--wave and --push must not exceed --agents");
        }
    }

    private static String require(Map<String, String> o, String name) {
        String v = o.get(name);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("--" + name + "=… is required");
        }
        return v;
    }
}
