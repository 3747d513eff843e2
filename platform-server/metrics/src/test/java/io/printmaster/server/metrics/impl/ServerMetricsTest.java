package io.printmaster.server.metrics.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.http.api.RequestObserver.ObservedRequest;
import io.printmaster.server.agents.api.AgentCensus;
import io.printmaster.server.notifications.api.ServerEvent;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The exposition as a scraper reads it: the metric names and labels the docs list, counts that follow what
 * happened, label values that stay few whatever the clients send, and the census asked at most every 10 s.
 */
class ServerMetricsTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final ServerMetrics metrics = new ServerMetrics(now::get);
    private final RequestMetrics requests = new RequestMetrics(metrics);
    private final EventMetrics events = new EventMetrics(metrics);

    private String scrape() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        metrics.write(out);
        return out.toString(StandardCharsets.UTF_8);
    }

    private static ObservedRequest request(String route, String method, int status, long millis) {
        return new ObservedRequest(route, method, status, TimeUnit.MILLISECONDS.toNanos(millis), 0, null, false);
    }

    @Test
    void theTextFormatIsVersion004() {
        assertTrue(metrics.contentType().startsWith("text/plain; version=0.0.4"), metrics.contentType());
    }

    @Test
    void requestsAreCountedByRouteTemplateMethodAndStatus() throws Exception {
        requests.observed(request("/api/v1/fleets/{id}", "GET", 200, 3));
        requests.observed(request("/api/v1/fleets/{id}", "GET", 200, 4));
        requests.observed(request(null, "BREW", 404, 1));
        String text = scrape();
        assertTrue(text.contains("printmaster_http_requests_total{method=\"GET\",route=\"/api/v1/fleets/{id}\",status=\"200\"} 2.0"), text);
        assertTrue(text.contains("printmaster_http_requests_total{method=\"other\",route=\"none\",status=\"404\"} 1.0"), text);
        assertTrue(text.contains("printmaster_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/fleets/{id}\"} 2"), text);
        assertTrue(text.contains("printmaster_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/fleets/{id}\",le=\"0.005\"} 2"), text);
    }

    @Test
    void checkInsHaveTheirOwnCounterAndHistogram() throws Exception {
        requests.observed(request(RequestMetrics.CHECK_IN, "POST", 200, 30));
        requests.observed(request(RequestMetrics.CHECK_IN, "POST", 503, 2_000));
        String text = scrape();
        assertTrue(text.contains("printmaster_checkins_total{result=\"ok\"} 1.0"), text);
        assertTrue(text.contains("printmaster_checkins_total{result=\"error\"} 1.0"), text);
        assertTrue(text.contains("printmaster_checkin_duration_seconds_bucket{le=\"0.05\"} 1"), text);
        assertTrue(text.contains("printmaster_checkin_duration_seconds_bucket{le=\"2.5\"} 2"), text);
        assertTrue(text.contains("printmaster_checkin_duration_seconds_count 2"), text);
    }

    @Test
    void eventStreamsAreCountedNotTimed() throws Exception {
        requests.observed(new ObservedRequest("/api/v1/events", "GET", 200, TimeUnit.HOURS.toNanos(2), 0, null, true));
        String text = scrape();
        assertTrue(text.contains("printmaster_http_requests_total{method=\"GET\",route=\"/api/v1/events\",status=\"200\"} 1.0"), text);
        assertFalse(text.contains("printmaster_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/events\"}"), text);
    }

    @Test
    void downloadsAreCountedByKindWithTheirBytes() throws Exception {
        requests.observed(new ObservedRequest("/api/v1/agents/update/download/{component}/{version}/{target}", "GET",
                200, 1, 1_000, "download", false));
        requests.observed(new ObservedRequest("/api/v1/installers/{fleet}/{platform}", "GET", 206, 1, 500,
                "installers", false));
        requests.observed(new ObservedRequest("/api/v1/installers/{fleet}/{platform}", "GET", 200, 1, 700,
                "installers", false));
        String text = scrape();
        assertTrue(text.contains("printmaster_downloads_total{kind=\"artifact\"} 1.0"), text);
        assertTrue(text.contains("printmaster_download_bytes_total{kind=\"artifact\"} 1000.0"), text);
        assertTrue(text.contains("printmaster_downloads_total{kind=\"installer\"} 2.0"), text);
        assertTrue(text.contains("printmaster_download_bytes_total{kind=\"installer\"} 1200.0"), text);
    }

    @Test
    void outcomesAreCountedWithBoundedLabels() throws Exception {
        events.onEvent(outcome("agent", "1.4.0", "failed", "DISK_SPACE"));
        events.onEvent(outcome(null, "1.4.0", "failed", "DISK_SPACE"));
        events.onEvent(outcome("agent", "1.4.0", "succeeded", null));
        events.onEvent(outcome("agent", "1.4.0\"} 1\nevil", "exploded", "MADE_UP"));
        String text = scrape();
        assertTrue(text.contains("printmaster_update_outcomes_total{component=\"agent\",error_code=\"DISK_SPACE\",status=\"failed\",version=\"1.4.0\"} 2.0"), text);
        assertTrue(text.contains("printmaster_update_outcomes_total{component=\"agent\",error_code=\"none\",status=\"succeeded\",version=\"1.4.0\"} 1.0"), text);
        assertTrue(text.contains("printmaster_update_outcomes_total{component=\"agent\",error_code=\"other\",status=\"other\",version=\"other\"} 1.0"), text);
        assertFalse(text.contains("evil"), text);
    }

    @Test
    void aFloodOfVersionsEndsAsOther() throws Exception {
        for (int i = 0; i < 400; i++) {
            events.onEvent(outcome("agent", "9.9." + i, "succeeded", null));
        }
        String text = scrape();
        long series = text.lines().filter(l -> l.startsWith("printmaster_update_outcomes_total{")).count();
        assertTrue(series <= 301, "series: " + series);
        assertTrue(text.contains("version=\"other\"} 100.0"), text);
    }

    @Test
    void aSyncIsCountedOnceWhenItsStateIsFinal() throws Exception {
        events.onEvent(sync("s1", "running", 0));
        events.onEvent(sync("s1", "finished", 2));
        events.onEvent(sync("s1", "finished", 2));
        events.onEvent(sync("s2", "failed", 1));
        String text = scrape();
        assertTrue(text.contains("printmaster_sync_runs_total{state=\"finished\"} 1.0"), text);
        assertTrue(text.contains("printmaster_sync_runs_total{state=\"failed\"} 1.0"), text);
        assertTrue(text.contains("printmaster_sync_rejections_total 3.0"), text);
    }

    @Test
    void theCensusIsAskedAtMostEveryTenSeconds() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        List<AgentCensus> rows = new ArrayList<>(List.of(new AgentCensus("lab", "1.4.0", "succeeded", 7),
                new AgentCensus("lab", "1.3.0", null, 2)));
        metrics.censusSource(() -> {
            asked.incrementAndGet();
            return List.copyOf(rows);
        });
        String first = scrape();
        assertTrue(first.contains("printmaster_agents{fleet=\"lab\",status=\"succeeded\",version=\"1.4.0\"} 7.0"), first);
        assertTrue(first.contains("printmaster_agents{fleet=\"lab\",status=\"none\",version=\"1.3.0\"} 2.0"), first);
        rows.add(new AgentCensus("lab", "1.5.0", "failed", 1));
        now.addAndGet(TimeUnit.SECONDS.toNanos(9));
        assertFalse(scrape().contains("version=\"1.5.0\""), "cached for 10 s");
        assertEquals(1, asked.get());
        now.addAndGet(TimeUnit.SECONDS.toNanos(2));
        assertTrue(scrape().contains("printmaster_agents{fleet=\"lab\",status=\"failed\",version=\"1.5.0\"} 1.0"));
        assertEquals(2, asked.get());
    }

    @Test
    void jvmBasicsAreThere() throws Exception {
        String text = scrape();
        for (String name : List.of("jvm_memory_used_bytes", "jvm_threads_current", "jvm_runtime_info",
                "process_cpu_seconds_total", "jvm_gc_collection_seconds")) {
            assertTrue(text.contains(name), name + " in\n" + text);
        }
    }

    private static ServerEvent outcome(String component, String version, String status, String errorCode) {
        Map<String, Object> data = new java.util.HashMap<>();
        data.put("agent_id", "a-1");
        data.put("target_version", version);
        data.put("status", status);
        if (component != null) {
            data.put("component", component);
        }
        if (errorCode != null) {
            data.put("error_code", errorCode);
        }
        return new ServerEvent(ServerEvent.AGENT_OUTCOME, Instant.now(), "lab", data);
    }

    private static ServerEvent sync(String id, String state, int rejected) {
        return new ServerEvent(ServerEvent.SYNC_PROGRESS, Instant.now(), null,
                Map.of("sync_id", id, "state", state, "cached", 1, "rejected", rejected));
    }
}
