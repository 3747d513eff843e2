package io.printmaster.itests.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

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
 */
public final class FleetSimulator {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String AGENT_VERSION = "0.0.1";
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration WAIT_TIMEOUT = Duration.ofSeconds(75);

    // ---- configuration
    private final String base;
    private final String password;
    private final int agentCount;
    private final double minutes;
    private final int intervalSeconds;
    private final double jitter;
    private final int waveSize;
    private final int pushCount;
    private final int connections;
    private final int enrollConcurrency;
    private final String version;
    private final int downloadSample;
    private final int rolloutJitterSeconds;
    private final String fleet;
    private final Path reportFile;
    private final ProcessProbe server;
    private final ProcessProbe self;
    /** The database server's process (PostgreSQL's postmaster), when it runs beside the server; else null. */
    private final ProcessProbe database;

    // ---- clients
    private final HttpClient agentHttp;
    private final HttpClient waitHttp;
    private final HttpClient adminHttp;
    private final ExecutorService callbacks = Executors.newFixedThreadPool(3, daemon("sim-http"));
    private final ExecutorService blocking = Executors.newFixedThreadPool(4, daemon("sim-blocking"));
    private String csrf;

    // ---- the fleet and its schedule
    private Agent[] agents;
    /** The periodic check-ins, by due time. */
    private final DelayQueue<Task> schedule = new DelayQueue<>();
    /** Update checks after a hold and the steps of update runs, by due time. */
    private final DelayQueue<Task> timers = new DelayQueue<>();
    /** What agents do at once (a push event's check-in, a command's update check, the check-in after a run). */
    private final java.util.concurrent.LinkedBlockingQueue<Task> urgent = new java.util.concurrent.LinkedBlockingQueue<>();
    private final Semaphore inFlight;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final AtomicBoolean pushAvailable = new AtomicBoolean(true);
    private final AtomicInteger pushProbed = new AtomicInteger();
    private final AtomicInteger downloadsStarted = new AtomicInteger();

    // ---- measurements (the window's; "measuring" gates them)
    private volatile boolean measuring;
    private final LatencyHistogram checkInLatency = new LatencyHistogram();
    private final LatencyHistogram telemetryLatency = new LatencyHistogram();
    private final LatencyHistogram lateness = new LatencyHistogram();
    private final LatencyHistogram commandDelivery = new LatencyHistogram();
    private final LatencyHistogram commandEvent = new LatencyHistogram();
    private final LatencyHistogram commandPostLatency = new LatencyHistogram();
    private final AtomicReference<LatencyHistogram> tick = new AtomicReference<>(new LatencyHistogram());
    private final LongAdder windowCheckIns = new LongAdder();
    private final LongAdder windowTelemetry = new LongAdder();
    private final LongAdder totalCheckIns = new LongAdder();
    private final LongAdder totalRequests = new LongAdder();
    private final LongAdder offers = new LongAdder();
    private final LongAdder holds = new LongAdder();
    private final LongAdder runsStarted = new LongAdder();
    private final LongAdder runsSucceeded = new LongAdder();
    private final LongAdder forcedRuns = new LongAdder();
    private final LongAdder waitsAnswered = new LongAdder();
    private final LongAdder waitEvents = new LongAdder();
    private final LongAdder downloadsVerified = new LongAdder();
    private final LongAdder answerBytes = new LongAdder();
    private final LongAdder unchangedAnswers = new LongAdder();
    private final AtomicInteger commandsSent = new AtomicInteger();
    private final AtomicInteger commandsDelivered = new AtomicInteger();
    private final Map<String, AtomicLong> errors = new ConcurrentHashMap<>();
    private final List<String> errorSamples = java.util.Collections.synchronizedList(new ArrayList<>());

    enum Kind { CHECK_IN, CHECK_IN_NOW, UPDATE_CHECK, RUN_STEP }

    /** One simulated agent: its identity and the little state the real agent keeps between check-ins. */
    static final class Agent {
        final int index;
        final String hostname;
        String id;
        String credential;
        volatile String version = AGENT_VERSION;
        volatile String policyEtag;
        volatile String manifestEtag;
        volatile long trustVersion;
        volatile boolean push;
        final AtomicInteger okCheckIns = new AtomicInteger();
        // guarded by this
        long updateCheckDue;
        boolean inRun;
        String runId;
        String target;
        String offerVersion;
        String offerRollout;
        String offerUrl;
        String offerSha256;
        long commandSentAt;
        boolean commandEventSeen;
        int runStep;

        Agent(int index) {
            this.index = index;
            this.hostname = String.format("sim-%06d", index);
        }
    }

    /** Something an agent does at a due time (nanoTime). */
    record Task(long due, Agent agent, Kind kind, long token) implements Delayed {
        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(due - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            return Long.compare(due, ((Task) o).due);
        }
    }

    FleetSimulator(Map<String, String> o) {
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
        inFlight = new Semaphore(connections);
        agentHttp = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(callbacks)
                .connectTimeout(Duration.ofSeconds(10)).build();
        waitHttp = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(callbacks)
                .connectTimeout(Duration.ofSeconds(10)).build();
        adminHttp = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).cookieHandler(new CookieManager())
                .connectTimeout(Duration.ofSeconds(10)).build();
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

    private static String require(Map<String, String> o, String name) {
        String v = o.get(name);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("--" + name + "=… is required");
        }
        return v;
    }

    int run() throws Exception {
        say("%d agents, check-in every %d s ± %.0f %% (configured %.0f check-ins/s), window %.1f min after a %d s"
                        + " warm-up, wave %d, commands to %d, %d connections", agentCount, intervalSeconds,
                jitter * 100, agentCount / (double) intervalSeconds, minutes, intervalSeconds, waveSize, pushCount,
                connections);
        login();
        String joinToken = prepareFleet();
        double enrollPerSecond = enroll(joinToken);

        pickPushAgents();
        if (server != null) {
            server.startHeapSampling(2000);
        }
        long start = System.nanoTime();
        Random r = new Random(42);
        for (Agent a : agents) {
            schedule.add(new Task(start + (long) (r.nextDouble() * intervalSeconds * 1e9), a, Kind.CHECK_IN, 0));
        }
        Thread dispatcher = new Thread(this::dispatch, "sim-dispatcher");
        dispatcher.start();
        for (Agent a : agents) {
            if (a.push) {
                waitLoop(a, "");
            }
        }
        long measureStart = start + intervalSeconds * 1_000_000_000L;
        long measureEnd = measureStart + (long) (minutes * 60e9);
        long rolloutAt = measureStart + 20_000_000_000L;
        long commandsAt = measureStart + Math.max((long) (minutes * 30e9), intervalSeconds * 1_000_000_000L);
        if (commandsAt + intervalSeconds * 1_000_000_000L > measureEnd) {
            say("note: the window ends less than one interval after the commands; their delivery is waited for after it");
        }

        Progress progress = new Progress(start);
        sleepUntil(measureStart, progress);
        Snapshot before = snapshot();
        measuring = true;
        say("measurement window starts (%d check-ins so far; load average %s)", totalCheckIns.sum(),
                ProcessProbe.loadAverage());
        sleepUntil(rolloutAt, progress);
        String rolloutId = createRollout();
        sleepUntil(commandsAt, progress);
        sendCommands();
        sleepUntil(measureEnd, progress);
        measuring = false;
        Snapshot after = snapshot();
        say("measurement window ends; waiting (at most %d s) for commands still on their way", 2 * intervalSeconds);
        long drainUntil = System.nanoTime() + 2L * intervalSeconds * 1_000_000_000L;
        while (commandsDelivered.get() < commandsSent.get() && System.nanoTime() < drainUntil) {
            sleepUntil(Math.min(drainUntil, System.nanoTime() + 1_000_000_000L), progress);
        }
        stopping.set(true);
        dispatcher.interrupt();
        dispatcher.join(10_000);
        inFlight.tryAcquire(connections, 30, TimeUnit.SECONDS); // the requests in flight end
        JsonNode rollout = rolloutId == null ? null : adminGet("/api/v1/rollouts/" + rolloutId);
        return report(enrollPerSecond, before, after, rollout);
    }

    // ---------------------------------------------------------------- set-up

    private void login() throws Exception {
        HttpResponse<String> r = adminHttp.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/auth/login"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"username\":\"admin\",\"password\":" + JSON.writeValueAsString(password) + "}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("login answered " + r.statusCode() + ": " + r.body());
        }
        csrf = JSON.readTree(r.body()).path("csrf_token").asText();
    }

    private String prepareFleet() throws Exception {
        adminSend("POST", "/api/v1/fleets", "{\"id\":\"" + fleet + "\",\"name\":\"Fleet simulation\"}", 201);
        JsonNode token = adminSend("POST", "/api/v1/fleets/" + fleet + "/join-tokens",
                "{\"max_uses\":" + agentCount + ",\"ttl_hours\":24}", 201);
        return token.path("token").asText();
    }

    private double enroll(String joinToken) throws Exception {
        agents = new Agent[agentCount];
        Semaphore permits = new Semaphore(enrollConcurrency);
        CountDownLatch done = new CountDownLatch(agentCount);
        AtomicInteger failed = new AtomicInteger();
        LatencyHistogram latency = new LatencyHistogram();
        long t0 = System.nanoTime();
        long lastSay = t0;
        say("enrolling %d agents through POST /api/v1/agents/enroll, one join token, %d at a time...", agentCount,
                enrollConcurrency);
        for (int i = 0; i < agentCount; i++) {
            Agent a = new Agent(i + 1);
            agents[i] = a;
            permits.acquire();
            if (failed.get() > 0) {
                permits.release();
                break;
            }
            String body = "{\"join_token\":\"" + joinToken + "\",\"hostname\":\"" + a.hostname
                    + "\",\"platform\":\"linux\",\"arch\":\"amd64\",\"current_version\":\"" + AGENT_VERSION + "\"}";
            long sent = System.nanoTime();
            agentHttp.sendAsync(post("/api/v1/agents/enroll", null, body), HttpResponse.BodyHandlers.ofByteArray())
                    .whenComplete((resp, err) -> {
                        try {
                            latency.recordNanos(System.nanoTime() - sent);
                            if (err != null || resp.statusCode() != 201) {
                                failed.incrementAndGet();
                                error("enroll", err, resp);
                                return;
                            }
                            JsonNode n = JSON.readTree(resp.body());
                            a.id = n.path("agent_id").asText();
                            a.credential = n.path("credential").asText();
                        } catch (IOException e) {
                            failed.incrementAndGet();
                            error("enroll", e, null);
                        } finally {
                            permits.release();
                            done.countDown();
                        }
                    });
            long now = System.nanoTime();
            if (now - lastSay > 10_000_000_000L) {
                lastSay = now;
                say("  %d enrolled (%.0f/s so far; load average %s)", i + 1, (i + 1) / ((now - t0) / 1e9),
                        ProcessProbe.loadAverage());
            }
        }
        permits.acquire(enrollConcurrency);
        if (failed.get() > 0) {
            throw new IllegalStateException("enrollment failed: " + errorSamples);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double rate = agentCount / seconds;
        say("enrolled %d agents in %.1f s: %.0f enrollments/s; latency %s", agentCount, seconds, rate,
                latency.summaryMillis());
        if (java.util.Arrays.stream(agents).map(a -> a.credential).distinct().count() != agentCount) {
            throw new IllegalStateException("the credentials are not all distinct");
        }
        return rate;
    }

    private void pickPushAgents() {
        // spread over the fleet, deterministic
        int step = Math.max(1, agentCount / pushCount);
        int picked = 0;
        for (int i = step / 2; i < agentCount && picked < pushCount; i += step, picked++) {
            agents[i].push = true;
        }
    }

    private String createRollout() throws Exception {
        int maxConcurrent = Math.min(100_000, waveSize + pushCount);
        String body = "{\"component\":\"agent\",\"version\":\"" + version + "\",\"fleets\":[\"" + fleet + "\"],"
                + "\"plan\":{\"canary\":null,\"waves\":[{\"batch_size\":" + waveSize + "},{\"batch_size\":1}],"
                + "\"delay_between_waves_seconds\":604800,\"max_concurrent\":" + maxConcurrent
                + ",\"jitter_seconds\":" + rolloutJitterSeconds
                + ",\"success_threshold_percent\":90,\"failure_threshold_percent\":10},\"require_approval\":false}";
        long t0 = System.nanoTime();
        JsonNode created = adminSend("POST", "/api/v1/rollouts", body, 201);
        JsonNode rollout = created.has("rollout") ? created.get("rollout") : created;
        String id = rollout.path("id").asText(null);
        say("rollout %s of %s created in %.0f ms: state %s, %s targeted, first wave %d, max_concurrent %d, jitter %d s",
                id, version, (System.nanoTime() - t0) / 1e6, rollout.path("state").asText(),
                rollout.path("counts").path("targeted").asText("?"), waveSize, maxConcurrent, rolloutJitterSeconds);
        if (!"running".equals(rollout.path("state").asText())) {
            throw new IllegalStateException("the rollout is not running: " + created);
        }
        return id;
    }

    private void sendCommands() {
        say("sending \"Update now\" (force_update) to %d agents (push %s)...", pushCount,
                pushAvailable.get() ? "route present" : "route absent: delivery by polling");
        Semaphore permits = new Semaphore(8);
        long t0 = System.nanoTime();
        for (Agent a : agents) {
            if (!a.push) {
                continue;
            }
            try {
                permits.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            long sent = System.nanoTime();
            synchronized (a) {
                a.commandSentAt = sent;
                a.commandEventSeen = false;
            }
            commandsSent.incrementAndGet();
            adminHttp.sendAsync(HttpRequest.newBuilder(URI.create(base + "/api/v1/agents/" + a.id + "/commands"))
                            .timeout(REQUEST_TIMEOUT).header("Content-Type", "application/json")
                            .header("X-CSRF-Token", csrf)
                            .POST(HttpRequest.BodyPublishers.ofString("{\"command\":\"force_update\"}")).build(),
                    HttpResponse.BodyHandlers.ofString()).whenComplete((resp, err) -> {
                        commandPostLatency.recordNanos(System.nanoTime() - sent);
                        if (err != null || resp.statusCode() != 202) {
                            error("command", err, resp);
                            synchronized (a) {
                                a.commandSentAt = 0;
                            }
                            commandsSent.decrementAndGet();
                        }
                        permits.release();
                    });
        }
        permits.acquireUninterruptibly(8);
        say("  %d commands accepted in %.1f s (POST latency %s)", commandsSent.get(), (System.nanoTime() - t0) / 1e9,
                commandPostLatency.summaryMillis());
    }

    // ---------------------------------------------------------------- the schedule

    /**
     * Takes a place among the requests in flight, then the most urgent due action: first what an agent does at once
     * (a check-in a push event or a finished run asks for, an update check a command asks for), then its run's and
     * holds' timers, then the periodic check-ins. A server slower than the schedule thus delays the periodic polls
     * (reported as lateness), not an agent's own reaction, as with real agents, which do not queue behind each other.
     */
    private void dispatch() {
        while (!stopping.get()) {
            Task t = null;
            try {
                inFlight.acquire();
                while (t == null && !stopping.get()) {
                    t = urgent.poll();
                    if (t == null) {
                        t = timers.poll();
                    }
                    if (t == null) {
                        t = schedule.poll(1, TimeUnit.MILLISECONDS);
                    }
                    if (t != null && t.kind == Kind.UPDATE_CHECK) {
                        synchronized (t.agent) {
                            if (t.agent.updateCheckDue != t.token || t.agent.inRun) {
                                t = null; // replaced by an earlier one, or a run already started
                            } else {
                                t.agent.updateCheckDue = 0;
                            }
                        }
                    }
                }
            } catch (InterruptedException e) {
                return;
            }
            if (t == null || stopping.get()) {
                inFlight.release();
                return;
            }
            if (measuring && t.kind == Kind.CHECK_IN) {
                lateness.recordNanos(System.nanoTime() - t.due);
            }
            try {
                switch (t.kind) {
                    case CHECK_IN, CHECK_IN_NOW, UPDATE_CHECK -> checkIn(t);
                    case RUN_STEP -> runStep(t.agent);
                }
            } catch (RuntimeException e) {
                inFlight.release();
                error("simulator", e, null);
            }
        }
    }

    private void at(long due, Agent a, Kind kind) {
        if (stopping.get()) {
            return;
        }
        Task t = new Task(due, a, kind, due);
        if (kind == Kind.CHECK_IN) {
            schedule.add(t);
        } else if (kind == Kind.CHECK_IN_NOW || due <= System.nanoTime()) {
            urgent.add(t);
        } else {
            timers.add(t);
        }
    }

    private int queued() {
        return schedule.size() + timers.size() + urgent.size();
    }

    /** An update check (a check-in with a run id) after {@code seconds}, unless one is due sooner. */
    private void updateCheckIn(Agent a, double seconds) {
        long due = System.nanoTime() + (long) (seconds * 1e9);
        synchronized (a) {
            if (a.inRun || (a.updateCheckDue != 0 && a.updateCheckDue <= due)) {
                return;
            }
            a.updateCheckDue = due;
        }
        at(due, a, Kind.UPDATE_CHECK);
    }

    private void checkIn(Task t) {
        Agent a = t.agent;
        String runId = t.kind == Kind.UPDATE_CHECK ? "sim-" + a.index + "-" + Long.toString(System.nanoTime(), 36) : null;
        StringBuilder b = new StringBuilder(256).append("{\"current_version\":\"").append(a.version)
                .append("\",\"platform\":\"linux\",\"arch\":\"amd64\",\"hostname\":\"").append(a.hostname)
                .append("\",\"next_check_at\":\"")
                .append(Instant.now().plusSeconds(intervalSeconds).truncatedTo(java.time.temporal.ChronoUnit.SECONDS))
                .append('"');
        if (a.trustVersion > 0) {
            b.append(",\"trust_version\":").append(a.trustVersion);
        }
        if (runId != null) {
            b.append(",\"run_id\":\"").append(runId).append('"');
        }
        String pe = a.policyEtag;
        String me = a.manifestEtag;
        if (pe != null || me != null) {
            b.append(",\"known\":{");
            if (pe != null) {
                b.append("\"policy_etag\":").append(quote(pe));
            }
            if (me != null) {
                b.append(pe != null ? "," : "").append("\"manifest_etag\":").append(quote(me));
            }
            b.append('}');
        }
        b.append('}');
        long sent = System.nanoTime();
        agentHttp.sendAsync(post("/api/v1/agents/update/manifest", a.credential, b.toString()),
                HttpResponse.BodyHandlers.ofByteArray()).whenComplete((resp, err) -> {
                    inFlight.release();
                    long took = System.nanoTime() - sent;
                    totalRequests.increment();
                    if (t.kind == Kind.CHECK_IN) {
                        // the cadence is kept from the due time, not from the answer: a slow server falls behind
                        double spread = 1 + jitter * (2 * ThreadLocalRandom.current().nextDouble() - 1);
                        at(t.due + (long) (intervalSeconds * spread * 1e9), a, Kind.CHECK_IN);
                    }
                    if (err != null || resp.statusCode() != 200) {
                        error("check-in", err, resp);
                        return;
                    }
                    totalCheckIns.increment();
                    tick.get().recordNanos(took);
                    if (measuring) {
                        checkInLatency.recordNanos(took);
                        windowCheckIns.increment();
                    }
                    answerBytes.add(resp.body().length);
                    a.okCheckIns.incrementAndGet();
                    try {
                        answered(a, t.kind, JSON.readTree(resp.body()));
                    } catch (IOException | RuntimeException e) {
                        error("check-in answer", e, null);
                    }
                });
    }

    private void answered(Agent a, Kind kind, JsonNode n) {
        long now = System.nanoTime();
        for (JsonNode s : n.path("trust_statements")) {
            a.trustVersion = Math.max(a.trustVersion, s.path("sequence").asLong());
        }
        if (n.hasNonNull("policy_etag")) {
            a.policyEtag = n.get("policy_etag").asText();
        }
        if (n.path("unchanged").size() > 0) {
            unchangedAnswers.increment();
        }
        boolean forced = false;
        for (JsonNode c : n.path("commands")) {
            String command = c.path("command").asText();
            synchronized (a) {
                if (a.commandSentAt != 0) {
                    commandDelivery.recordNanos(now - a.commandSentAt);
                    commandsDelivered.incrementAndGet();
                    a.commandSentAt = 0;
                }
            }
            if (command.equals("force_update") || command.equals("check_update")) {
                forced = true;
            }
        }
        JsonNode update = n.path("update");
        boolean available = n.path("update_available").asBoolean();
        String offered = null;
        String rolloutId = null;
        synchronized (a) {
            if (update.isObject()) {
                a.offerVersion = update.path("version").asText(null);
                a.offerRollout = update.path("rollout_id").asText(null);
                a.offerUrl = update.path("download_url").asText(null);
                a.offerSha256 = update.path("sha256").asText(null);
                if (n.hasNonNull("manifest_etag")) {
                    a.manifestEtag = n.get("manifest_etag").asText();
                }
            }
            if (available && (update.isObject() || containsText(n.path("unchanged"), "update"))) {
                offered = a.offerVersion;
                rolloutId = a.offerRollout;
            }
        }
        if (offered != null) {
            offers.increment();
        }
        if (kind == Kind.UPDATE_CHECK && offered != null && !offered.equals(a.version)) {
            boolean start;
            synchronized (a) {
                start = !a.inRun;
                if (start) {
                    a.inRun = true;
                    a.target = offered;
                    a.runStep = 0;
                    a.runId = "run-" + a.index + "-" + Long.toString(now, 36);
                }
            }
            if (start) {
                runsStarted.increment();
                at(now, a, Kind.RUN_STEP);
            }
            return;
        }
        if (forced) {
            forcedRuns.increment();
            updateCheckIn(a, 0); // the real agent's worker runs the command's update check at once
            return;
        }
        long retry = n.path("retry_after_seconds").asLong();
        if (offered == null && retry > 0) {
            holds.increment();
            updateCheckIn(a, retry);
        }
    }

    /** The update run: downloading → staging, applying, restarting → succeeded on the new version. */
    private void runStep(Agent a) {
        int step;
        String runId;
        String target;
        synchronized (a) {
            step = a.runStep++;
            runId = a.runId;
            target = a.target;
        }
        String event = switch (step) {
            case 0 -> event(runId, "downloading", a.version, target);
            case 1 -> "{\"events\":[" + event(runId, "staging", a.version, target) + ","
                    + event(runId, "applying", a.version, target) + "," + event(runId, "restarting", a.version, target)
                    + "]}";
            default -> event(runId, "succeeded", target, target);
        };
        if (step == 1 && a.offerUrl != null && downloadsStarted.getAndIncrement() < downloadSample) {
            inFlight.release(); // a download is slow: it does not hold a check-in's place
            blocking.execute(() -> {
                download(a);
                try {
                    inFlight.acquire();
                } catch (InterruptedException e) {
                    return;
                }
                telemetry(a, step, event, target);
            });
            return;
        }
        telemetry(a, step, event, target);
    }

    private void telemetry(Agent a, int step, String body, String target) {
        long sent = System.nanoTime();
        agentHttp.sendAsync(post("/api/v1/agents/update/telemetry", a.credential, body),
                HttpResponse.BodyHandlers.ofByteArray()).whenComplete((resp, err) -> {
                    inFlight.release();
                    totalRequests.increment();
                    if (measuring) {
                        telemetryLatency.recordNanos(System.nanoTime() - sent);
                        windowTelemetry.increment();
                    }
                    if (err != null || resp.statusCode() != 200) {
                        error("telemetry", err, resp);
                        synchronized (a) {
                            a.inRun = false; // the run ends here; a later check may start another
                        }
                        return;
                    }
                    long now = System.nanoTime();
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    switch (step) {
                        case 0 -> at(now + (long) (rnd.nextDouble(10, 40) * 1e9), a, Kind.RUN_STEP);
                        case 1 -> at(now + (long) (rnd.nextDouble(5, 15) * 1e9), a, Kind.RUN_STEP);
                        default -> {
                            synchronized (a) {
                                a.version = target;
                                a.inRun = false;
                            }
                            runsSucceeded.increment();
                            at(now, a, Kind.CHECK_IN_NOW); // the restarted agent checks in on its new version
                        }
                    }
                });
    }

    private static String event(String runId, String status, String current, String target) {
        return "{\"run_id\":\"" + runId + "\",\"status\":\"" + status + "\",\"current_version\":\"" + current
                + "\",\"target_version\":\"" + target + "\"}";
    }

    /** A real download of the offered artifact, its SHA-256 checked against the offer (a sample of the agents). */
    private void download(Agent a) {
        String url = a.offerUrl.startsWith("http") ? a.offerUrl : base + a.offerUrl;
        try {
            HttpResponse<InputStream> r = agentHttp.send(HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofMinutes(2)).header("Authorization", "Bearer " + a.credential).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long size = 0;
            try (InputStream in = r.body()) {
                byte[] buf = new byte[65536];
                int n;
                while ((n = in.read(buf)) > 0) {
                    sha.update(buf, 0, n);
                    size += n;
                }
            }
            String got = HexFormat.of().formatHex(sha.digest());
            if (r.statusCode() != 200 || !got.equalsIgnoreCase(a.offerSha256)) {
                error("download", new IOException("status " + r.statusCode() + ", sha256 " + got + " for "
                        + a.offerSha256 + " (" + size + " bytes)"), null);
            } else {
                downloadsVerified.increment();
            }
        } catch (Exception e) {
            error("download", e, null);
        }
    }

    // ---------------------------------------------------------------- push

    private void waitLoop(Agent a, String cursor) {
        if (stopping.get() || !pushAvailable.get()) {
            return;
        }
        // no cursor: the handshake (answered at once with one); then the cursor of the last answer
        String query = cursor.isEmpty() ? "" : "?cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8);
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/api/v1/agents/update/wait" + query))
                .timeout(WAIT_TIMEOUT)
                .header("Authorization", "Bearer " + a.credential).GET().build();
        waitHttp.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray()).whenComplete((resp, err) -> {
            if (stopping.get()) {
                return;
            }
            if (err == null && resp.statusCode() == 404 && pushProbed.get() == 0) {
                if (pushAvailable.compareAndSet(true, false)) {
                    say("GET /api/v1/agents/update/wait answers 404: no push on this server, commands arrive by polling");
                }
                return;
            }
            pushProbed.incrementAndGet();
            String next = cursor;
            if (err == null && resp.statusCode() == 200) {
                waitsAnswered.increment();
                try {
                    JsonNode n = JSON.readTree(resp.body());
                    next = n.path("cursor").asText(cursor);
                    boolean any = false;
                    for (JsonNode e : n.path("events")) {
                        waitEvents.increment();
                        any = true;
                        if ("command".equals(e.path("type").asText())) {
                            synchronized (a) {
                                if (a.commandSentAt != 0 && !a.commandEventSeen) {
                                    a.commandEventSeen = true;
                                    commandEvent.recordNanos(System.nanoTime() - a.commandSentAt);
                                }
                            }
                        }
                    }
                    if (any || cursor.isEmpty()) {
                        // an event is a hint: check in at once; so does the real agent after the handshake (the
                        // check-in covers what happened before the wait, the wait what happens after)
                        at(System.nanoTime(), a, Kind.CHECK_IN_NOW);
                    }
                } catch (IOException e) {
                    error("wait answer", e, null);
                }
            } else if (err == null && resp.statusCode() == 204) {
                waitsAnswered.increment();
                next = resp.headers().firstValue("PM-Wait-Cursor").orElse(cursor);
            } else {
                error("wait", err, resp);
                String c = next;
                CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS).execute(() -> waitLoop(a, c));
                return;
            }
            waitLoop(a, next);
        });
    }

    // ---------------------------------------------------------------- reporting

    private record Snapshot(long nanos, double serverCpu, double selfCpu, double databaseCpu, long requests,
                            double serverCheckIns) {
    }

    private Snapshot snapshot() {
        return new Snapshot(System.nanoTime(), server == null ? -1 : server.cpuSeconds(), self.cpuSeconds(),
                database == null ? -1 : database.treeCpuSeconds(), totalRequests.sum(), serverCheckInCount());
    }

    /** {@code printmaster_checkins_total{result="ok"}} from the server's own metrics (the admin session reads them). */
    private double serverCheckInCount() {
        try {
            HttpResponse<String> r = adminHttp.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                    .timeout(REQUEST_TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString());
            for (String line : r.body().split("\n")) {
                if (line.startsWith("printmaster_checkins_total{") && line.contains("result=\"ok\"")) {
                    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
        } catch (Exception e) {
            // the metrics bundle is optional for this report
        }
        return -1;
    }

    /** A line every 10 s: what the last 10 s did. */
    private final class Progress {
        private final long start;
        private long last;
        private long lastCheckIns;
        private double lastCpu;

        Progress(long start) {
            this.start = start;
            this.last = start;
            this.lastCpu = server == null ? 0 : server.cpuSeconds();
        }

        void maybePrint() {
            long now = System.nanoTime();
            if (now - last < 10_000_000_000L) {
                return;
            }
            double secs = (now - last) / 1e9;
            long c = totalCheckIns.sum();
            double cpu = server == null ? -1 : server.cpuSeconds();
            LatencyHistogram h = tick.getAndSet(new LatencyHistogram());
            String serverPart = server == null ? "" : String.format("  server CPU %.0f %%, RSS %d MB, heap %d MB",
                    (cpu - lastCpu) / secs * 100, server.rssKb() / 1024, server.heapUsedKb() / 1024);
            say("t=%4.0fs %s %6.0f check-ins/s p99 %s ms, in flight %d, queued %d, runs %d/%d, commands %d/%d, errors %d%s, load %s",
                    (now - start) / 1e9, measuring ? "[window]" : "[      ]", (c - lastCheckIns) / secs,
                    LatencyHistogram.ms(h.percentileMicros(99)), connections - inFlight.availablePermits(),
                    queued(), runsSucceeded.sum(), runsStarted.sum(), commandsDelivered.get(),
                    commandsSent.get(), errorCount(), serverPart, ProcessProbe.loadAverage());
            last = now;
            lastCheckIns = c;
            lastCpu = cpu;
        }
    }

    private void sleepUntil(long nanos, Progress progress) throws InterruptedException {
        while (System.nanoTime() < nanos) {
            Thread.sleep(Math.max(1, Math.min(500, (nanos - System.nanoTime()) / 1_000_000)));
            progress.maybePrint();
        }
    }

    private int report(double enrollPerSecond, Snapshot before, Snapshot after, JsonNode rollout) throws IOException {
        double window = (after.nanos - before.nanos) / 1e9;
        double configured = agentCount / (double) intervalSeconds;
        double achieved = windowCheckIns.sum() / window;
        double serverCores = server == null ? -1 : (after.serverCpu - before.serverCpu) / window;
        double selfCores = (after.selfCpu - before.selfCpu) / window;
        double databaseCores = database == null ? -1 : (after.databaseCpu - before.databaseCpu) / window;
        double serverCounted = before.serverCheckIns < 0 || after.serverCheckIns < 0 ? -1
                : (after.serverCheckIns - before.serverCheckIns) / window;
        long missing = java.util.Arrays.stream(agents).filter(a -> a.okCheckIns.get() == 0).count();
        int undelivered = commandsSent.get() - commandsDelivered.get();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("agents", agentCount);
        out.put("interval_seconds", intervalSeconds);
        out.put("window_seconds", round(window));
        out.put("enrollments_per_second", round(enrollPerSecond));
        out.put("checkins_per_second_configured", round(configured));
        out.put("checkins_per_second_achieved", round(achieved));
        out.put("checkins_per_second_server_counted", round(serverCounted));
        out.put("telemetry_per_second", round(windowTelemetry.sum() / window));
        out.put("checkin_p50_ms", LatencyHistogram.ms(checkInLatency.percentileMicros(50)));
        out.put("checkin_p99_ms", LatencyHistogram.ms(checkInLatency.percentileMicros(99)));
        out.put("checkin_p999_ms", LatencyHistogram.ms(checkInLatency.percentileMicros(99.9)));
        out.put("checkin_max_ms", LatencyHistogram.ms(checkInLatency.maxMicros()));
        out.put("lateness_p99_ms", LatencyHistogram.ms(lateness.percentileMicros(99)));
        out.put("answer_bytes_mean", totalCheckIns.sum() == 0 ? 0 : answerBytes.sum() / totalCheckIns.sum());
        out.put("unchanged_answers", unchangedAnswers.sum());
        out.put("server_cpu_cores", round(serverCores));
        out.put("server_rss_mb_max", server == null ? -1 : server.rssMaxKb() / 1024);
        out.put("server_heap_used_mb_max", server == null ? -1 : server.heapUsedMaxKb() / 1024);
        out.put("server_heap_committed_mb", server == null ? -1 : server.heapCommittedKb() / 1024);
        out.put("simulator_cpu_cores", round(selfCores));
        out.put("database_cpu_cores", round(databaseCores));
        out.put("load_average_end", ProcessProbe.loadAverage());
        out.put("push", pushAvailable.get() ? "long-poll" : "none (polling)");
        out.put("commands_sent", commandsSent.get());
        out.put("commands_delivered", commandsDelivered.get());
        out.put("command_delivery_p50_ms", LatencyHistogram.ms(commandDelivery.percentileMicros(50)));
        out.put("command_delivery_p99_ms", LatencyHistogram.ms(commandDelivery.percentileMicros(99)));
        out.put("command_delivery_max_ms", LatencyHistogram.ms(commandDelivery.maxMicros()));
        out.put("command_event_p50_ms", LatencyHistogram.ms(commandEvent.percentileMicros(50)));
        out.put("command_event_p99_ms", LatencyHistogram.ms(commandEvent.percentileMicros(99)));
        out.put("runs_started", runsStarted.sum());
        out.put("runs_succeeded", runsSucceeded.sum());
        out.put("forced_runs", forcedRuns.sum());
        out.put("downloads_verified", downloadsVerified.sum());
        out.put("errors", errorCount());
        out.put("agents_never_checked_in", missing);

        System.out.println();
        say("==== fleet simulation: %d agents, window %.0f s ====", agentCount, window);
        say("enrollment: %.0f/s", enrollPerSecond);
        say("check-ins: configured %.0f/s, achieved %.0f/s (the server counted %.0f/s), telemetry %.1f/s",
                configured, achieved, serverCounted, windowTelemetry.sum() / window);
        say("check-in latency: %s", checkInLatency.summaryMillis());
        say("telemetry latency: %s", telemetryLatency.summaryMillis());
        say("lateness (periodic check-ins started behind their due time): %s", lateness.summaryMillis());
        say("answers: %d bytes on average, %d said \"unchanged\"", out.get("answer_bytes_mean"), unchangedAnswers.sum());
        if (server != null) {
            say("server (pid %d): CPU %.2f cores (%.0f %% of %d), RSS max %d MB, heap used max %d MB of %d MB committed",
                    server.pid(), serverCores, serverCores * 100 / Runtime.getRuntime().availableProcessors(),
                    Runtime.getRuntime().availableProcessors(), server.rssMaxKb() / 1024,
                    server.heapUsedMaxKb() / 1024, server.heapCommittedKb() / 1024);
        }
        if (database != null) {
            say("database server (postmaster pid %d and its backends): CPU %.2f cores", database.pid(), databaseCores);
        }
        say("simulator: CPU %.2f cores; load average now %s", selfCores, ProcessProbe.loadAverage());
        say("commands (%s): %d sent, %d delivered; send → check-in answer %s", out.get("push"), commandsSent.get(),
                commandsDelivered.get(), commandDelivery.summaryMillis());
        if (commandEvent.count() > 0) {
            say("commands: send → wait event %s", commandEvent.summaryMillis());
        }
        say("long polls: %d answered, %d events", waitsAnswered.sum(), waitEvents.sum());
        say("update runs: %d started (%d forced by commands), %d succeeded; %d offers, %d holds; %d downloads verified",
                runsStarted.sum(), forcedRuns.sum(), runsSucceeded.sum(), offers.sum(), holds.sum(),
                downloadsVerified.sum());
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
        if (errorCount() > 0) {
            ok = false;
            say("FAILED: %d requests failed: %s", errorCount(), errors);
            errorSamples.forEach(s -> say("  %s", s));
        }
        if (missing > 0) {
            ok = false;
            say("FAILED: %d agents never checked in", missing);
        } else {
            say("every one of the %d agents checked in (at least once, %d check-ins in all)", agentCount,
                    totalCheckIns.sum());
        }
        if (undelivered > 0) {
            ok = false;
            say("FAILED: %d commands never reached their agent", undelivered);
        }
        if (reportFile != null) {
            StringBuilder b = new StringBuilder();
            out.forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
            Files.writeString(reportFile, b);
        }
        return ok ? 0 : 1;
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    private long errorCount() {
        return errors.values().stream().mapToLong(AtomicLong::get).sum();
    }

    private void error(String what, Throwable failure, HttpResponse<?> resp) {
        Throwable err = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        String key = what + " " + (err != null ? err.getClass().getSimpleName() : Integer.toString(resp.statusCode()));
        errors.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
        if (errorSamples.size() < 10) {
            Object body = resp == null ? null : resp.body();
            String text = body instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(body);
            errorSamples.add(key + ": " + (err != null ? err.toString() : text.substring(0, Math.min(300, text.length()))));
        }
    }

    // ---------------------------------------------------------------- HTTP helpers

    private HttpRequest post(String path, String credential, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (credential != null) {
            b.header("Authorization", "Bearer " + credential);
        }
        return b.build();
    }

    private JsonNode adminSend(String method, String path, String body, int expected) throws Exception {
        HttpResponse<String> r = adminHttp.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(2))
                .header("Content-Type", "application/json").header("X-CSRF-Token", csrf)
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != expected) {
            throw new IllegalStateException(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body());
    }

    private JsonNode adminGet(String path) {
        try {
            HttpResponse<String> r = adminHttp.send(HttpRequest.newBuilder(URI.create(base + path))
                    .timeout(Duration.ofMinutes(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static boolean containsText(JsonNode array, String text) {
        for (JsonNode n : array) {
            if (text.equals(n.asText())) {
                return true;
            }
        }
        return false;
    }

    private static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static void say(String format, Object... args) {
        System.out.println(String.format(format, args));
        System.out.flush();
    }

    private void close() {
        stopping.set(true);
        if (server != null) {
            server.close();
        }
        callbacks.shutdownNow();
        blocking.shutdownNow();
    }
}
