package io.printmaster.itests.bench;

import static io.printmaster.itests.bench.FleetSimulator.say;

import com.fasterxml.jackson.databind.JsonNode;
import io.printmaster.itests.bench.AgentTask.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a simulated agent does, as the real agent does it: its check-ins and what it makes of their answers (holds,
 * offers, commands), its update runs' telemetry (a sample of agents really downloads the artifact), and the long poll
 * of the agents that hold one.
 */
final class AgentBehaviour {
    private final SimOptions options;
    private final SimHttp http;
    private final FleetScheduler scheduler;
    private final SimMetrics metrics;
    private final AtomicInteger pushProbed = new AtomicInteger();
    private final AtomicInteger downloadsStarted = new AtomicInteger();

    AgentBehaviour(SimOptions options, SimHttp http, FleetScheduler scheduler, SimMetrics metrics) {
        this.options = options;
        this.http = http;
        this.scheduler = scheduler;
        this.metrics = metrics;
    }

    void checkIn(AgentTask t) {
        SimulatedAgent a = t.agent();
        String runId = t.kind() == Kind.UPDATE_CHECK
                ? "sim-" + a.index + "-" + Long.toString(System.nanoTime(), 36) : null;
        StringBuilder b = new StringBuilder(256).append("{\"current_version\":\"").append(a.version)
                .append("\",\"platform\":\"linux\",\"arch\":\"amd64\",\"hostname\":\"").append(a.hostname)
                .append("\",\"next_check_at\":\"")
                .append(Instant.now().plusSeconds(options.intervalSeconds)
                        .truncatedTo(java.time.temporal.ChronoUnit.SECONDS))
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
                b.append("\"policy_etag\":").append(SimHttp.quote(pe));
            }
            if (me != null) {
                b.append(pe != null ? "," : "").append("\"manifest_etag\":").append(SimHttp.quote(me));
            }
            b.append('}');
        }
        b.append('}');
        long sent = System.nanoTime();
        http.agentHttp.sendAsync(http.post("/api/v1/agents/update/manifest", a.credential, b.toString()),
                HttpResponse.BodyHandlers.ofByteArray()).whenComplete((resp, err) -> {
                    scheduler.inFlight.release();
                    long took = System.nanoTime() - sent;
                    metrics.totalRequests.increment();
                    if (t.kind() == Kind.CHECK_IN) {
                        // the cadence is kept from the due time, not from the answer: a slow server falls behind
                        double spread = 1 + options.jitter * (2 * ThreadLocalRandom.current().nextDouble() - 1);
                        scheduler.at(t.due() + (long) (options.intervalSeconds * spread * 1e9), a, Kind.CHECK_IN);
                    }
                    if (err != null || resp.statusCode() != 200) {
                        metrics.error("check-in", err, resp);
                        return;
                    }
                    metrics.totalCheckIns.increment();
                    metrics.tick.get().recordNanos(took);
                    if (metrics.measuring) {
                        metrics.checkInLatency.recordNanos(took);
                        metrics.windowCheckIns.increment();
                    }
                    metrics.answerBytes.add(resp.body().length);
                    a.okCheckIns.incrementAndGet();
                    try {
                        answered(a, t.kind(), SimHttp.JSON.readTree(resp.body()));
                    } catch (IOException | RuntimeException e) {
                        metrics.error("check-in answer", e, null);
                    }
                });
    }

    private void answered(SimulatedAgent a, Kind kind, JsonNode n) {
        long now = System.nanoTime();
        for (JsonNode s : n.path("trust_statements")) {
            a.trustVersion = Math.max(a.trustVersion, s.path("sequence").asLong());
        }
        if (n.hasNonNull("policy_etag")) {
            a.policyEtag = n.get("policy_etag").asText();
        }
        if (n.path("unchanged").size() > 0) {
            metrics.unchangedAnswers.increment();
        }
        boolean forced = false;
        for (JsonNode c : n.path("commands")) {
            String command = c.path("command").asText();
            synchronized (a) {
                if (a.commandSentAt != 0) {
                    metrics.commandDelivery.recordNanos(now - a.commandSentAt);
                    metrics.commandsDelivered.incrementAndGet();
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
            metrics.offers.increment();
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
                metrics.runsStarted.increment();
                scheduler.at(now, a, Kind.RUN_STEP);
            }
            return;
        }
        if (forced) {
            metrics.forcedRuns.increment();
            scheduler.updateCheckIn(a, 0); // the real agent's worker runs the command's update check at once
            return;
        }
        long retry = n.path("retry_after_seconds").asLong();
        if (offered == null && retry > 0) {
            metrics.holds.increment();
            scheduler.updateCheckIn(a, retry);
        }
    }

    /** The update run: downloading → staging, applying, restarting → succeeded on the new version. */
    void runStep(SimulatedAgent a) {
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
        if (step == 1 && a.offerUrl != null && downloadsStarted.getAndIncrement() < options.downloadSample) {
            scheduler.inFlight.release(); // a download is slow: it does not hold a check-in's place
            http.blocking.execute(() -> {
                download(a);
                try {
                    scheduler.inFlight.acquire();
                } catch (InterruptedException e) {
                    return;
                }
                telemetry(a, step, event, target);
            });
            return;
        }
        telemetry(a, step, event, target);
    }

    private void telemetry(SimulatedAgent a, int step, String body, String target) {
        long sent = System.nanoTime();
        http.agentHttp.sendAsync(http.post("/api/v1/agents/update/telemetry", a.credential, body),
                HttpResponse.BodyHandlers.ofByteArray()).whenComplete((resp, err) -> {
                    scheduler.inFlight.release();
                    metrics.totalRequests.increment();
                    if (metrics.measuring) {
                        metrics.telemetryLatency.recordNanos(System.nanoTime() - sent);
                        metrics.windowTelemetry.increment();
                    }
                    if (err != null || resp.statusCode() != 200) {
                        metrics.error("telemetry", err, resp);
                        synchronized (a) {
                            a.inRun = false; // the run ends here; a later check may start another
                        }
                        return;
                    }
                    long now = System.nanoTime();
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    switch (step) {
                        case 0 -> scheduler.at(now + (long) (rnd.nextDouble(10, 40) * 1e9), a, Kind.RUN_STEP);
                        case 1 -> scheduler.at(now + (long) (rnd.nextDouble(5, 15) * 1e9), a, Kind.RUN_STEP);
                        default -> {
                            synchronized (a) {
                                a.version = target;
                                a.inRun = false;
                            }
                            metrics.runsSucceeded.increment();
                            scheduler.at(now, a, Kind.CHECK_IN_NOW); // the restarted agent checks in on its new version
                        }
                    }
                });
    }

    private static String event(String runId, String status, String current, String target) {
        return "{\"run_id\":\"" + runId + "\",\"status\":\"" + status + "\",\"current_version\":\"" + current
                + "\",\"target_version\":\"" + target + "\"}";
    }

    /** A real download of the offered artifact, its SHA-256 checked against the offer (a sample of the agents). */
    private void download(SimulatedAgent a) {
        String url = a.offerUrl.startsWith("http") ? a.offerUrl : http.base + a.offerUrl;
        try {
            HttpResponse<InputStream> r = http.agentHttp.send(HttpRequest.newBuilder(URI.create(url))
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
                metrics.error("download", new IOException("status " + r.statusCode() + ", sha256 " + got + " for "
                        + a.offerSha256 + " (" + size + " bytes)"), null);
            } else {
                metrics.downloadsVerified.increment();
            }
        } catch (Exception e) {
            metrics.error("download", e, null);
        }
    }


    void waitLoop(SimulatedAgent a, String cursor) {
        if (scheduler.stopping.get() || !metrics.pushAvailable.get()) {
            return;
        }
        // no cursor: the handshake (answered at once with one); then the cursor of the last answer
        String query = cursor.isEmpty() ? "" : "?cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8);
        HttpRequest req = HttpRequest.newBuilder(URI.create(http.base + "/api/v1/agents/update/wait" + query))
                .timeout(SimHttp.WAIT_TIMEOUT)
                .header("Authorization", "Bearer " + a.credential).GET().build();
        http.waitHttp.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray()).whenComplete((resp, err) -> {
            if (scheduler.stopping.get()) {
                return;
            }
            if (err == null && resp.statusCode() == 404 && pushProbed.get() == 0) {
                if (metrics.pushAvailable.compareAndSet(true, false)) {
                    say("GET /api/v1/agents/update/wait answers 404: no push on this server, commands arrive by polling");
                }
                return;
            }
            pushProbed.incrementAndGet();
            String next = cursor;
            if (err == null && resp.statusCode() == 200) {
                metrics.waitsAnswered.increment();
                try {
                    JsonNode n = SimHttp.JSON.readTree(resp.body());
                    next = n.path("cursor").asText(cursor);
                    boolean any = false;
                    for (JsonNode e : n.path("events")) {
                        metrics.waitEvents.increment();
                        any = true;
                        if ("command".equals(e.path("type").asText())) {
                            synchronized (a) {
                                if (a.commandSentAt != 0 && !a.commandEventSeen) {
                                    a.commandEventSeen = true;
                                    metrics.commandEvent.recordNanos(System.nanoTime() - a.commandSentAt);
                                }
                            }
                        }
                    }
                    if (any || cursor.isEmpty()) {
                        // an event is a hint: check in at once; so does the real agent after the handshake (the
                        // check-in covers what happened before the wait, the wait what happens after)
                        scheduler.at(System.nanoTime(), a, Kind.CHECK_IN_NOW);
                    }
                } catch (IOException e) {
                    metrics.error("wait answer", e, null);
                }
            } else if (err == null && resp.statusCode() == 204) {
                metrics.waitsAnswered.increment();
                next = resp.headers().firstValue("PM-Wait-Cursor").orElse(cursor);
            } else {
                metrics.error("wait", err, resp);
                String c = next;
                CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS).execute(() -> waitLoop(a, c));
                return;
            }
            waitLoop(a, next);
        });
    }

    private static boolean containsText(JsonNode array, String text) {
        for (JsonNode n : array) {
            if (text.equals(n.asText())) {
                return true;
            }
        }
        return false;
    }
}
