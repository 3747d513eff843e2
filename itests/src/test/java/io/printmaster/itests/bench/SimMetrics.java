package io.printmaster.itests.bench;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/** What the fleet simulation measures and counts (the window's ones gated by {@link #measuring}), and its failures. */
final class SimMetrics {
    volatile boolean measuring;
    /** False once {@code GET /api/v1/agents/update/wait} answered 404: the server has no push. */
    final AtomicBoolean pushAvailable = new AtomicBoolean(true);
    final LatencyHistogram checkInLatency = new LatencyHistogram();
    final LatencyHistogram telemetryLatency = new LatencyHistogram();
    final LatencyHistogram lateness = new LatencyHistogram();
    final LatencyHistogram commandDelivery = new LatencyHistogram();
    final LatencyHistogram commandEvent = new LatencyHistogram();
    final LatencyHistogram commandPostLatency = new LatencyHistogram();
    final AtomicReference<LatencyHistogram> tick = new AtomicReference<>(new LatencyHistogram());
    final LongAdder windowCheckIns = new LongAdder();
    final LongAdder windowTelemetry = new LongAdder();
    final LongAdder totalCheckIns = new LongAdder();
    final LongAdder totalRequests = new LongAdder();
    final LongAdder offers = new LongAdder();
    final LongAdder holds = new LongAdder();
    final LongAdder runsStarted = new LongAdder();
    final LongAdder runsSucceeded = new LongAdder();
    final LongAdder forcedRuns = new LongAdder();
    final LongAdder waitsAnswered = new LongAdder();
    final LongAdder waitEvents = new LongAdder();
    final LongAdder downloadsVerified = new LongAdder();
    final LongAdder answerBytes = new LongAdder();
    final LongAdder unchangedAnswers = new LongAdder();
    final AtomicInteger commandsSent = new AtomicInteger();
    final AtomicInteger commandsDelivered = new AtomicInteger();
    final Map<String, AtomicLong> errors = new ConcurrentHashMap<>();
    final List<String> errorSamples = java.util.Collections.synchronizedList(new ArrayList<>());

    long errorCount() {
        return errors.values().stream().mapToLong(AtomicLong::get).sum();
    }

    void error(String what, Throwable failure, HttpResponse<?> resp) {
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
}
