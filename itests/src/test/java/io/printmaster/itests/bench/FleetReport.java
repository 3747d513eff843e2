package io.printmaster.itests.bench;

import static io.printmaster.itests.bench.FleetSimulator.say;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The simulation's reporting: snapshots of the processes' CPU at the window's edges, a progress line every 10 s, and
 * the final report (printed, and written as {@code name=value} lines to {@code --report}) with its verdict.
 */
final class FleetReport {
    private final SimOptions options;
    private final SimHttp http;
    private final SimMetrics metrics;
    private final FleetScheduler scheduler;
    private final FleetSetup setup;

    FleetReport(SimOptions options, SimHttp http, SimMetrics metrics, FleetScheduler scheduler, FleetSetup setup) {
        this.options = options;
        this.http = http;
        this.metrics = metrics;
        this.scheduler = scheduler;
        this.setup = setup;
    }


    /** A line every 10 s from {@code start} on. */
    Progress progress(long start) {
        return new Progress(start);
    }

    record Snapshot(long nanos, double serverCpu, double selfCpu, double databaseCpu, long requests,
                            double serverCheckIns) {
    }

    Snapshot snapshot() {
        return new Snapshot(System.nanoTime(), options.server == null ? -1 : options.server.cpuSeconds(),
                options.self.cpuSeconds(), options.database == null ? -1 : options.database.treeCpuSeconds(),
                metrics.totalRequests.sum(), http.serverCheckInCount());
    }

    /** A line every 10 s: what the last 10 s did. */
    final class Progress {
        private final long start;
        private long last;
        private long lastCheckIns;
        private double lastCpu;

        Progress(long start) {
            this.start = start;
            this.last = start;
            this.lastCpu = options.server == null ? 0 : options.server.cpuSeconds();
        }

        void maybePrint() {
            long now = System.nanoTime();
            if (now - last < 10_000_000_000L) {
                return;
            }
            double secs = (now - last) / 1e9;
            long c = metrics.totalCheckIns.sum();
            double cpu = options.server == null ? -1 : options.server.cpuSeconds();
            LatencyHistogram h = metrics.tick.getAndSet(new LatencyHistogram());
            String serverPart = options.server == null ? ""
                    : String.format("  server CPU %.0f %%, RSS %d MB, heap %d MB",
                    (cpu - lastCpu) / secs * 100, options.server.rssKb() / 1024, options.server.heapUsedKb() / 1024);
            say("t=%4.0fs %s %6.0f check-ins/s p99 %s ms, in flight %d, queued %d, runs %d/%d, commands %d/%d,"
                            + " errors %d%s, load %s",
                    (now - start) / 1e9, metrics.measuring ? "[window]" : "[      ]", (c - lastCheckIns) / secs,
                    LatencyHistogram.ms(h.percentileMicros(99)), scheduler.inFlightCount(),
                    scheduler.queued(), metrics.runsSucceeded.sum(), metrics.runsStarted.sum(),
                    metrics.commandsDelivered.get(),
                    metrics.commandsSent.get(), metrics.errorCount(), serverPart, ProcessProbe.loadAverage());
            last = now;
            lastCheckIns = c;
            lastCpu = cpu;
        }
    }

    int report(double enrollPerSecond, Snapshot before, Snapshot after, JsonNode rollout) throws IOException {
        double window = (after.nanos - before.nanos) / 1e9;
        double configured = options.agentCount / (double) options.intervalSeconds;
        double achieved = metrics.windowCheckIns.sum() / window;
        double serverCores = options.server == null ? -1 : (after.serverCpu - before.serverCpu) / window;
        double selfCores = (after.selfCpu - before.selfCpu) / window;
        double databaseCores = options.database == null ? -1 : (after.databaseCpu - before.databaseCpu) / window;
        double serverCounted = before.serverCheckIns < 0 || after.serverCheckIns < 0 ? -1
                : (after.serverCheckIns - before.serverCheckIns) / window;
        long missing = java.util.Arrays.stream(setup.agents()).filter(a -> a.okCheckIns.get() == 0).count();
        int undelivered = metrics.commandsSent.get() - metrics.commandsDelivered.get();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("agents", options.agentCount);
        out.put("interval_seconds", options.intervalSeconds);
        out.put("window_seconds", round(window));
        out.put("enrollments_per_second", round(enrollPerSecond));
        out.put("checkins_per_second_configured", round(configured));
        out.put("checkins_per_second_achieved", round(achieved));
        out.put("checkins_per_second_server_counted", round(serverCounted));
        out.put("telemetry_per_second", round(metrics.windowTelemetry.sum() / window));
        out.put("checkin_p50_ms", LatencyHistogram.ms(metrics.checkInLatency.percentileMicros(50)));
        out.put("checkin_p99_ms", LatencyHistogram.ms(metrics.checkInLatency.percentileMicros(99)));
        out.put("checkin_p999_ms", LatencyHistogram.ms(metrics.checkInLatency.percentileMicros(99.9)));
        out.put("checkin_max_ms", LatencyHistogram.ms(metrics.checkInLatency.maxMicros()));
        out.put("lateness_p99_ms", LatencyHistogram.ms(metrics.lateness.percentileMicros(99)));
        long checkIns = metrics.totalCheckIns.sum();
        out.put("answer_bytes_mean", checkIns == 0 ? 0 : metrics.answerBytes.sum() / checkIns);
        out.put("unchanged_answers", metrics.unchangedAnswers.sum());
        out.put("server_cpu_cores", round(serverCores));
        out.put("server_rss_mb_max", options.server == null ? -1 : options.server.rssMaxKb() / 1024);
        out.put("server_heap_used_mb_max", options.server == null ? -1 : options.server.heapUsedMaxKb() / 1024);
        out.put("server_heap_committed_mb", options.server == null ? -1 : options.server.heapCommittedKb() / 1024);
        out.put("simulator_cpu_cores", round(selfCores));
        out.put("database_cpu_cores", round(databaseCores));
        out.put("load_average_end", ProcessProbe.loadAverage());
        out.put("push", metrics.pushAvailable.get() ? "long-poll" : "none (polling)");
        out.put("commands_sent", metrics.commandsSent.get());
        out.put("commands_delivered", metrics.commandsDelivered.get());
        out.put("command_delivery_p50_ms", LatencyHistogram.ms(metrics.commandDelivery.percentileMicros(50)));
        out.put("command_delivery_p99_ms", LatencyHistogram.ms(metrics.commandDelivery.percentileMicros(99)));
        out.put("command_delivery_max_ms", LatencyHistogram.ms(metrics.commandDelivery.maxMicros()));
        out.put("command_event_p50_ms", LatencyHistogram.ms(metrics.commandEvent.percentileMicros(50)));
        out.put("command_event_p99_ms", LatencyHistogram.ms(metrics.commandEvent.percentileMicros(99)));
        out.put("runs_started", metrics.runsStarted.sum());
        out.put("runs_succeeded", metrics.runsSucceeded.sum());
        out.put("forced_runs", metrics.forcedRuns.sum());
        out.put("downloads_verified", metrics.downloadsVerified.sum());
        out.put("errors", metrics.errorCount());
        out.put("agents_never_checked_in", missing);

        System.out.println();
        say("==== fleet simulation: %d agents, window %.0f s ====", options.agentCount, window);
        say("enrollment: %.0f/s", enrollPerSecond);
        say("check-ins: configured %.0f/s, achieved %.0f/s (the server counted %.0f/s), telemetry %.1f/s",
                configured, achieved, serverCounted, metrics.windowTelemetry.sum() / window);
        say("check-in latency: %s", metrics.checkInLatency.summaryMillis());
        say("telemetry latency: %s", metrics.telemetryLatency.summaryMillis());
        say("lateness (periodic check-ins started behind their due time): %s", metrics.lateness.summaryMillis());
        say("answers: %d bytes on average, %d said \"unchanged\"", out.get("answer_bytes_mean"),
                metrics.unchangedAnswers.sum());
        if (options.server != null) {
            say("server (pid %d): CPU %.2f cores (%.0f %% of %d), RSS max %d MB, heap used max %d MB of %d MB"
                            + " committed",
                    options.server.pid(), serverCores, serverCores * 100 / Runtime.getRuntime().availableProcessors(),
                    Runtime.getRuntime().availableProcessors(), options.server.rssMaxKb() / 1024,
                    options.server.heapUsedMaxKb() / 1024, options.server.heapCommittedKb() / 1024);
        }
        if (options.database != null) {
            say("database server (postmaster pid %d and its backends): CPU %.2f cores", options.database.pid(),
                    databaseCores);
        }
        say("simulator: CPU %.2f cores; load average now %s", selfCores, ProcessProbe.loadAverage());
        say("commands (%s): %d sent, %d delivered; send → check-in answer %s", out.get("push"),
                metrics.commandsSent.get(),
                metrics.commandsDelivered.get(), metrics.commandDelivery.summaryMillis());
        if (metrics.commandEvent.count() > 0) {
            say("commands: send → wait event %s", metrics.commandEvent.summaryMillis());
        }
        say("long polls: %d answered, %d events", metrics.waitsAnswered.sum(), metrics.waitEvents.sum());
        say("update runs: %d started (%d forced by commands), %d succeeded; %d offers, %d holds; %d downloads verified",
                metrics.runsStarted.sum(), metrics.forcedRuns.sum(), metrics.runsSucceeded.sum(), metrics.offers.sum(),
                metrics.holds.sum(),
                metrics.downloadsVerified.sum());
        if (rollout != null) {
            JsonNode r = rollout.has("rollout") ? rollout.get("rollout") : rollout;
            say("rollout %s: state %s, counts %s", r.path("id").asText(), r.path("state").asText(), r.path("counts"));
            for (JsonNode w : r.path("waves")) {
                say("  wave %s: %s, targeted %s, assigned %s, succeeded %s, in progress %s", w.path("index"),
                        w.path("state").asText(), w.path("targeted"), w.path("assigned"), w.path("succeeded"),
                        w.path("in_progress"));
            }
            out.put("rollout_counts", r.path("counts").toString());
        }
        boolean ok = true;
        if (metrics.errorCount() > 0) {
            ok = false;
            say("FAILED: %d requests failed: %s", metrics.errorCount(), metrics.errors);
            metrics.errorSamples.forEach(s -> say("  %s", s));
        }
        if (missing > 0) {
            ok = false;
            say("FAILED: %d agents never checked in", missing);
        } else {
            say("every one of the %d agents checked in (at least once, %d check-ins in all)", options.agentCount,
                    metrics.totalCheckIns.sum());
        }
        if (undelivered > 0) {
            ok = false;
            say("FAILED: %d commands never reached their agent", undelivered);
        }
        if (options.reportFile != null) {
            StringBuilder b = new StringBuilder();
            out.forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
            Files.writeString(options.reportFile, b);
        }
        return ok ? 0 : 1;
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
