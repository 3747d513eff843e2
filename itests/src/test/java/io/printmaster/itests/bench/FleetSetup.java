package io.printmaster.itests.bench;

import static io.printmaster.itests.bench.FleetSimulator.say;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the administrator and the fleet's enrollment do around the simulation: the fleet and its join token, every
 * agent's enrollment (its rate measured), the agents that get "Update now", the rollout, and the commands.
 */
final class FleetSetup {
    private final SimOptions options;
    private final SimHttp http;
    private final SimMetrics metrics;
    private SimulatedAgent[] agents;

    FleetSetup(SimOptions options, SimHttp http, SimMetrics metrics) {
        this.options = options;
        this.http = http;
        this.metrics = metrics;
    }

    /** The enrolled fleet (after {@link #enroll}). */
    SimulatedAgent[] agents() {
        return agents;
    }

    String prepareFleet() throws Exception {
        http.adminSend("POST", "/api/v1/fleets", "{\"id\":\"" + options.fleet + "\",\"name\":\"Fleet simulation\"}",
                201);
        JsonNode token = http.adminSend("POST", "/api/v1/fleets/" + options.fleet + "/join-tokens",
                "{\"max_uses\":" + options.agentCount + ",\"ttl_hours\":24}", 201);
        return token.path("token").asText();
    }

    double enroll(String joinToken) throws Exception {
        agents = new SimulatedAgent[options.agentCount];
        Semaphore permits = new Semaphore(options.enrollConcurrency);
        CountDownLatch done = new CountDownLatch(options.agentCount);
        AtomicInteger failed = new AtomicInteger();
        LatencyHistogram latency = new LatencyHistogram();
        long t0 = System.nanoTime();
        long lastSay = t0;
        say("enrolling %d agents through POST /api/v1/agents/enroll, one join token, %d at a time...",
                options.agentCount,
                options.enrollConcurrency);
        for (int i = 0; i < options.agentCount; i++) {
            SimulatedAgent a = new SimulatedAgent(i + 1);
            agents[i] = a;
            permits.acquire();
            if (failed.get() > 0) {
                permits.release();
                break;
            }
            String body = "{\"join_token\":\"" + joinToken + "\",\"hostname\":\"" + a.hostname
                    + "\",\"platform\":\"linux\",\"arch\":\"amd64\",\"current_version\":\""
                    + SimulatedAgent.INITIAL_VERSION + "\"}";
            long sent = System.nanoTime();
            http.agentHttp.sendAsync(http.post("/api/v1/agents/enroll", null, body),
                            HttpResponse.BodyHandlers.ofByteArray())
                    .whenComplete((resp, err) -> {
                        try {
                            latency.recordNanos(System.nanoTime() - sent);
                            if (err != null || resp.statusCode() != 201) {
                                failed.incrementAndGet();
                                metrics.error("enroll", err, resp);
                                return;
                            }
                            JsonNode n = SimHttp.JSON.readTree(resp.body());
                            a.id = n.path("agent_id").asText();
                            a.credential = n.path("credential").asText();
                        } catch (IOException e) {
                            failed.incrementAndGet();
                            metrics.error("enroll", e, null);
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
        permits.acquire(options.enrollConcurrency);
        if (failed.get() > 0) {
            throw new IllegalStateException("enrollment failed: " + metrics.errorSamples);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double rate = options.agentCount / seconds;
        say("enrolled %d agents in %.1f s: %.0f enrollments/s; latency %s", options.agentCount, seconds, rate,
                latency.summaryMillis());
        if (java.util.Arrays.stream(agents).map(a -> a.credential).distinct().count() != options.agentCount) {
            throw new IllegalStateException("the credentials are not all distinct");
        }
        return rate;
    }

    void pickPushAgents() {
        // spread over the options.fleet, deterministic
        int step = Math.max(1, options.agentCount / options.pushCount);
        int picked = 0;
        for (int i = step / 2; i < options.agentCount && picked < options.pushCount; i += step, picked++) {
            agents[i].push = true;
        }
    }

    String createRollout() throws Exception {
        int maxConcurrent = Math.min(100_000, options.waveSize + options.pushCount);
        String body = "{\"component\":\"agent\",\"version\":\"" + options.version + "\",\"fleets\":[\""
                + options.fleet + "\"],"
                + "\"plan\":{\"canary\":null,\"waves\":[{\"batch_size\":" + options.waveSize + "},{\"batch_size\":1}],"
                + "\"delay_between_waves_seconds\":604800,\"max_concurrent\":" + maxConcurrent
                + ",\"jitter_seconds\":" + options.rolloutJitterSeconds
                + ",\"success_threshold_percent\":90,\"failure_threshold_percent\":10},\"require_approval\":false}";
        long t0 = System.nanoTime();
        JsonNode created = http.adminSend("POST", "/api/v1/rollouts", body, 201);
        JsonNode rollout = created.has("rollout") ? created.get("rollout") : created;
        String id = rollout.path("id").asText(null);
        say("rollout %s of %s created in %.0f ms: state %s, %s targeted, first wave %d, max_concurrent %d, jitter %d s",
                id, options.version, (System.nanoTime() - t0) / 1e6, rollout.path("state").asText(),
                rollout.path("counts").path("targeted").asText("?"), options.waveSize, maxConcurrent,
                options.rolloutJitterSeconds);
        if (!"running".equals(rollout.path("state").asText())) {
            throw new IllegalStateException("the rollout is not running: " + created);
        }
        return id;
    }

    void sendCommands() {
        say("sending \"Update now\" (force_update) to %d agents (push %s)...", options.pushCount,
                metrics.pushAvailable.get() ? "route present" : "route absent: delivery by polling");
        Semaphore permits = new Semaphore(8);
        long t0 = System.nanoTime();
        for (SimulatedAgent a : agents) {
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
            metrics.commandsSent.incrementAndGet();
            URI commands = URI.create(http.base + "/api/v1/agents/" + a.id + "/commands");
            http.adminHttp.sendAsync(HttpRequest.newBuilder(commands)
                            .timeout(SimHttp.REQUEST_TIMEOUT).header("Content-Type", "application/json")
                            .header("X-CSRF-Token", http.csrf())
                            .POST(HttpRequest.BodyPublishers.ofString("{\"command\":\"force_update\"}")).build(),
                    HttpResponse.BodyHandlers.ofString()).whenComplete((resp, err) -> {
                        metrics.commandPostLatency.recordNanos(System.nanoTime() - sent);
                        if (err != null || resp.statusCode() != 202) {
                            metrics.error("command", err, resp);
                            synchronized (a) {
                                a.commandSentAt = 0;
                            }
                            metrics.commandsSent.decrementAndGet();
                        }
                        permits.release();
                    });
        }
        permits.acquireUninterruptibly(8);
        say("  %d commands accepted in %.1f s (POST latency %s)", metrics.commandsSent.get(),
                (System.nanoTime() - t0) / 1e9,
                metrics.commandPostLatency.summaryMillis());
    }
}
