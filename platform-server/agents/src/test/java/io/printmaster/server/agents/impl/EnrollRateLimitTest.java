package io.printmaster.server.agents.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.printmaster.core.wire.EnrollRequest;
import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.Caller;
import io.printmaster.security.limits.FailureRateLimiter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Enrollment guessing is limited per address with the attempt counted before the token is looked up: parallel
 * guesses cannot all slip through the check while the first are evaluated, and a good token gives its attempt back.
 */
class EnrollRateLimitTest {
    @TempDir
    static Path dir;
    static AgentsFixture f;

    @BeforeAll
    static void open() throws Exception {
        f = new AgentsFixture(dir);
    }

    @AfterAll
    static void close() {
        f.close();
    }

    @Test
    void parallelGuessesFromOneAddressAreEvaluatedAtMostTheLimit() throws Exception {
        EnrollResource resource = new EnrollResource(f.agents, new FailureRateLimiter(3, Duration.ofMinutes(15), f.clock));
        int guesses = 30;
        ExecutorService pool = Executors.newFixedThreadPool(guesses);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> statuses = new ArrayList<>();
            for (int i = 0; i < guesses; i++) {
                String token = "pmj_" + String.format("%043d", i);
                statuses.add(pool.submit(() -> {
                    go.await();
                    return status(resource, token, "10.0.0.1");
                }));
            }
            go.countDown();
            List<Integer> seen = new ArrayList<>();
            for (Future<Integer> s : statuses) {
                seen.add(s.get(30, TimeUnit.SECONDS));
            }
            assertEquals(3, seen.stream().filter(s -> s == 401).count(), "evaluated: " + seen);
            assertEquals(guesses - 3, seen.stream().filter(s -> s == 429).count(), "refused before any lookup: " + seen);
        } finally {
            pool.shutdownNow();
        }
        assertEquals(401, status(resource, "pmj_" + "x".repeat(43), "10.0.0.2"), "another address is not limited");
    }

    @Test
    void aGoodTokenGivesItsAttemptBack() throws Exception {
        EnrollResource resource = new EnrollResource(f.agents, new FailureRateLimiter(2, Duration.ofMinutes(15), f.clock));
        String good = f.tokens.create(f.fleet("limited"), 168, null, "admin").token();
        String bad = "pmj_" + "b".repeat(43);
        List<Integer> seen = new ArrayList<>();
        for (String token : List.of(bad, good, good, good, bad, good)) {
            seen.add(status(resource, token, "10.0.1.1"));
        }
        // two failures fill the window; the successes in between did not count
        assertEquals(List.of(401, 201, 201, 201, 401, 429), seen);
    }

    private static int status(EnrollResource resource, String token, String address) throws Exception {
        try {
            return resource.enroll(new Request(new EnrollRequest(token, "host-" + address, "linux", "amd64", "1.0.0"),
                    address)).status();
        } catch (ApiException e) {
            return e.status();
        }
    }

    private record Request(EnrollRequest enrollment, String remoteAddress) implements ApiRequest {
        public String method() { return "POST"; }
        public String path() { return "/api/v1/agents/enroll"; }
        public String pathParam(String name) { return null; }
        public Optional<String> query(String name) { return Optional.empty(); }
        public Map<String, List<String>> queryParams() { return Map.of(); }
        public Optional<String> header(String name) { return Optional.empty(); }
        public Optional<String> cookie(String name) { return Optional.empty(); }
        public boolean isSecure() { return false; }
        public Optional<Caller> caller() { return Optional.empty(); }
        public Caller requireCaller() { throw new UnsupportedOperationException(); }
        public byte[] body() { return new byte[0]; }
        public <T> T body(Class<T> type) { return type.cast(enrollment); }
    }
}
