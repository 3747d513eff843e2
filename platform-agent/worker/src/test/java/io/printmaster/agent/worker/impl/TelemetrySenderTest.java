package io.printmaster.agent.worker.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.printmaster.agent.enrollment.api.CheckIn;
import io.printmaster.agent.enrollment.api.EnrolledAgent;
import io.printmaster.agent.enrollment.api.Enrollment;
import io.printmaster.agent.enrollment.api.EnrollmentState;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The queue against a server older than wire 1.3, which refuses a request holding {@code up_to_date} whole. */
class TelemetrySenderTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private HttpServer server;
    private final List<List<String>> requests = new CopyOnWriteArrayList<>();
    private final List<String> stored = new CopyOnWriteArrayList<>();
    private volatile boolean enrolled;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext(TelemetrySender.PATH, ex -> {
            List<String> statuses = new ArrayList<>();
            JSON.readTree(ex.getRequestBody()).path("events").forEach(e -> statuses.add(e.path("status").asText()));
            requests.add(statuses);
            boolean old = statuses.contains("up_to_date");
            if (!old) {
                stored.addAll(statuses);
            }
            ex.sendResponseHeaders(old ? 400 : 200, -1);
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private TelemetrySender sender() {
        URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        Enrollment enrollment = new Enrollment() {
            @Override
            public Optional<EnrolledAgent> current() {
                return enrolled ? Optional.of(new EnrolledAgent("agent-1", "f", url, Instant.EPOCH)) : Optional.empty();
            }

            @Override
            public Optional<String> credential() {
                return Optional.of("pma_x");
            }

            @Override
            public Optional<CheckIn> lastCheckIn() {
                return Optional.empty();
            }

            @Override
            public EnrollmentState state() {
                throw new UnsupportedOperationException();
            }

            @Override
            public Optional<CheckIn> checkInNow(Duration timeout) {
                return Optional.empty();
            }
        };
        return new TelemetrySender(enrollment, HttpClient.newHttpClient(), () -> true);
    }

    private static TelemetrySender.Event event(String run, String status) {
        return new TelemetrySender.Event(run, status, "1.0.0", null, null, null, Instant.EPOCH, null, null, null);
    }

    @Test
    void anUpToDateRefusedByAnOlderServerIsDroppedAloneAndTheQueueMovesOn() {
        TelemetrySender sender = sender();
        // buffered while the agent could not report: a failed run, a check that found nothing, another run's start
        sender.send(event("run-1", "failed"));
        sender.send(event("run-2", "up_to_date"));
        sender.send(event("run-3", "pending"));
        assertTrue(requests.isEmpty(), "nothing sent before enrollment");

        enrolled = true;
        assertTrue(sender.flush(), "nothing is left in the queue");
        assertEquals(List.of(List.of("failed"), List.of("up_to_date"), List.of("pending")), requests,
                "the up_to_date goes alone, so its refusal takes nothing else with it");
        assertEquals(List.of("failed", "pending"), stored);

        sender.send(event("run-4", "up_to_date"));
        assertEquals(4, requests.size(), "a refused report is not sent again: " + requests);
        assertTrue(sender.flush());
    }
}
