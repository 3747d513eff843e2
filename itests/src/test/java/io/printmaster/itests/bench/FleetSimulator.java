package io.printmaster.itests.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The fleet simulation benchmark (docs/benchmarks.md, "Fleet simulation"; run by {@code itests/bench/fleet-sim.sh}):
 * a whole fleet of simulated agents against a real server process over the real API, each agent a small record on a
 * schedule rather than a thread.
 *
 * <ol>
 * <li><b>Enrollment.</b> {@code --agents} agents enroll through {@code POST /api/v1/agents/enroll} with one join token
 * ({@code max_uses} = the fleet), {@code --enroll-concurrency} at a time; the rate is measured.</li>
 * <li><b>Polling.</b> Every agent checks in ({@code POST /api/v1/agents/update/manifest}, its own credential) every
 * {@code --interval} seconds ± {@code --jitter}, its first check-in placed at random within the first interval. A
 * scheduler fires check-ins at their due times with at most {@code --connections} requests in flight (HTTP/1.1
 * keep-alive); when the server is slower than the schedule, check-ins start late and the lateness is reported (the
 * achieved rate then falls below the configured one). The first interval is warm-up; the measurement window of
 * {@code --minutes} follows.</li>
 * <li><b>A rollout wave.</b> 20 s into the window an administrator's rollout of {@code --version} opens over the
 * fleet: a first wave of {@code --wave} agents, the rest in a second wave a week later. Agents behave as the real
 * agent: a check-in told {@code retry_after_seconds} runs an update check (a check-in with a {@code run_id}) that
 * much later; offered the update it reports {@code downloading}, then {@code staging}, {@code applying},
 * {@code restarting} (10–40 s later), then {@code succeeded} on the new version (5–15 s later) and checks in on it.
 * The bytes are not downloaded, except by the first {@code --download-sample} agents, which download the artifact
 * and check its SHA-256 against the offer.</li>
 * <li><b>Commands.</b> Half-way through the window (at least one interval in), "Update now" ({@code force_update})
 * is sent through {@code POST /api/v1/agents/{id}/commands} to {@code --push} agents, and the time from each command
 * being sent to the check-in answer that hands it to its agent is measured. These agents hold a long poll
 * ({@code GET /api/v1/agents/update/wait}) when the server has the route: an event makes them check in at once. A
 * 404 there means the server has no push: the commands then reach them with their next poll.</li>
 * </ol>
 *
 * Reported: the configured and achieved check-in rates, latency percentiles (log-bucket histogram), lateness, the
 * server's CPU (from {@code /proc/<pid>/stat}), RSS and heap ({@code jstat}), the load average, the command delivery
 * times, the rollout's counts. Any non-2xx answer or I/O failure is counted and fails the run (exit 1), and so does
 * an agent that never checked in or a command that never arrived.
 *
 * <p>The parts: {@link SimOptions} (the options), {@link SimHttp} (the clients and the administrator's session),
 * {@link FleetSetup} (fleet, enrollment, rollout, commands), {@link FleetScheduler} (the schedule and the requests in
 * flight), {@link AgentBehaviour} (what each {@link SimulatedAgent} does), {@link SimMetrics} and {@link FleetReport}.
 */
public final class FleetSimulator {
    private final SimOptions options;
    private final SimHttp http;
    private final SimMetrics metrics = new SimMetrics();
    private final FleetScheduler scheduler;
    private final AgentBehaviour behaviour;
    private final FleetSetup setup;
    private final FleetReport report;

    FleetSimulator(Map<String, String> o) {
        options = new SimOptions(o);
        scheduler = new FleetScheduler(options.connections, metrics);
        http = new SimHttp(options.base);
        behaviour = new AgentBehaviour(options, http, scheduler, metrics);
        setup = new FleetSetup(options, http, metrics);
        report = new FleetReport(options, http, metrics, scheduler, setup);
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new LinkedHashMap<>();
        for (String a : args) {
            if (!a.startsWith("--") || !a.contains("=")) {
                throw new IllegalArgumentException("options are --name=value, got " + a);
            }
            options.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
        }
        FleetSimulator sim = new FleetSimulator(options);
        int code;
        try {
            code = sim.run();
        } finally {
            sim.close();
        }
        System.exit(code);
    }

    int run() throws Exception {
        int agentCount = options.agentCount;
        int intervalSeconds = options.intervalSeconds;
        double minutes = options.minutes;
        say("%d agents, check-in every %d s ± %.0f %% (configured %.0f check-ins/s), window %.1f min after a %d s"
                        + " warm-up, wave %d, commands to %d, %d connections", agentCount, intervalSeconds,
                options.jitter * 100, agentCount / (double) intervalSeconds, minutes, intervalSeconds,
                options.waveSize, options.pushCount, options.connections);
        http.login(options.password);
        String joinToken = setup.prepareFleet();
        double enrollPerSecond = setup.enroll(joinToken);

        setup.pickPushAgents();
        if (options.server != null) {
            options.server.startHeapSampling(2000);
        }
        long start = System.nanoTime();
        scheduler.firstCheckIns(setup.agents(), start, intervalSeconds);
        Thread dispatcher = new Thread(() -> scheduler.dispatch(behaviour), "sim-dispatcher");
        dispatcher.start();
        for (SimulatedAgent a : setup.agents()) {
            if (a.push) {
                behaviour.waitLoop(a, "");
            }
        }
        long measureStart = start + intervalSeconds * 1_000_000_000L;
        long measureEnd = measureStart + (long) (minutes * 60e9);
        long rolloutAt = measureStart + 20_000_000_000L;
        long commandsAt = measureStart + Math.max((long) (minutes * 30e9), intervalSeconds * 1_000_000_000L);
        if (commandsAt + intervalSeconds * 1_000_000_000L > measureEnd) {
            say("note: the window ends less than one interval after the commands; their delivery is waited for after it");
        }

        FleetReport.Progress progress = report.progress(start);
        sleepUntil(measureStart, progress);
        FleetReport.Snapshot before = report.snapshot();
        metrics.measuring = true;
        say("measurement window starts (%d check-ins so far; load average %s)", metrics.totalCheckIns.sum(),
                ProcessProbe.loadAverage());
        sleepUntil(rolloutAt, progress);
        String rolloutId = setup.createRollout();
        sleepUntil(commandsAt, progress);
        setup.sendCommands();
        sleepUntil(measureEnd, progress);
        metrics.measuring = false;
        FleetReport.Snapshot after = report.snapshot();
        say("measurement window ends; waiting (at most %d s) for commands still on their way", 2 * intervalSeconds);
        long drainUntil = System.nanoTime() + 2L * intervalSeconds * 1_000_000_000L;
        while (metrics.commandsDelivered.get() < metrics.commandsSent.get() && System.nanoTime() < drainUntil) {
            sleepUntil(Math.min(drainUntil, System.nanoTime() + 1_000_000_000L), progress);
        }
        scheduler.stopping.set(true);
        dispatcher.interrupt();
        dispatcher.join(10_000);
        scheduler.inFlight.tryAcquire(options.connections, 30, TimeUnit.SECONDS); // the requests in flight end
        JsonNode rollout = rolloutId == null ? null : http.adminGet("/api/v1/rollouts/" + rolloutId);
        return report.report(enrollPerSecond, before, after, rollout);
    }

    private static void sleepUntil(long nanos, FleetReport.Progress progress) throws InterruptedException {
        while (System.nanoTime() < nanos) {
            Thread.sleep(Math.max(1, Math.min(500, (nanos - System.nanoTime()) / 1_000_000)));
            progress.maybePrint();
        }
    }

    static void say(String format, Object... args) {
        System.out.println(String.format(format, args));
        System.out.flush();
    }

    private void close() {
        scheduler.stopping.set(true);
        if (options.server != null) {
            options.server.close();
        }
        http.close();
    }
}
