package io.printmaster.security.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Caller;
import io.printmaster.store.impl.DerbyDatabase;
import io.printmaster.store.impl.JdbcAuditLog;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The console login's throttling, through {@link AuthResource#login} on a real Derby with real password hashes. */
class LoginThrottlingTest {
    private static final String PASSWORD = "the-right-password";
    private static final PasswordHasher FAST = new PasswordHasher(1_000, new SecureRandom());

    @TempDir
    static Path dir;
    static DerbyDatabase db;
    static AdminAccounts accounts;
    static SessionStore sessions;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-26T12:00:00Z"));

    @BeforeAll
    static void open() throws Exception {
        db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        accounts = new AdminAccounts(db, FAST, Map.of("PM_ADMIN_PASSWORD", PASSWORD), new PrintStream(OutputStream.nullOutputStream()));
        sessions = new SessionStore(db);
    }

    @AfterAll
    static void close() {
        db.close();
    }

    private AuthResource resource(LoginThrottle.Limits limits) throws Exception {
        return new AuthResource(accounts, sessions, db, new JdbcAuditLog(db), new LoginThrottle(limits, clock));
    }

    private static int login(AuthResource auth, String user, String password, String address) throws Exception {
        try {
            ApiResponse r = auth.login(new LoginCall(user, password, address));
            return r.status();
        } catch (ApiException e) {
            return e.status();
        }
    }

    @Test
    void concurrentGuessesAreCountedBeforeTheyAreHashed() throws Exception {
        AuthResource auth = resource(LoginThrottle.DEFAULTS);
        int threads = 100;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        try {
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                int guess = i;
                all.add(pool.submit(() -> {
                    go.await();
                    int status = login(auth, "admin", "guess-" + guess, "10.0.0.1");
                    statuses.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : all) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        // every 401 is a hash evaluated; the limit is 5 per (user, address), however many arrive at once
        assertEquals(5, statuses.get(401).get(), "evaluated: " + statuses);
        assertEquals(threads - 5, statuses.get(429).get(), "refused unevaluated: " + statuses);
    }

    @Test
    void aLockedOutAddressDoesNotLockTheAdministratorOutOfAnother() throws Exception {
        AuthResource auth = resource(LoginThrottle.DEFAULTS);
        for (int i = 0; i < 5; i++) {
            assertEquals(401, login(auth, "admin", "wrong-" + i, "10.0.0.66"));
        }
        ApiException locked = assertThrows(ApiException.class, () -> auth.login(new LoginCall("admin", PASSWORD, "10.0.0.66")));
        assertEquals(429, locked.status());
        assertEquals("too_many_attempts", locked.code());
        assertTrue(Long.parseLong(locked.headers().get("Retry-After")) > 0, locked.headers().toString());
        assertEquals(200, login(auth, "admin", PASSWORD, "10.0.0.7"), "the administrator from another address");
        assertEquals(401, login(auth, "operator", "whatever", "10.0.0.66"), "another user name from the locked address");

        clock.now = clock.now.plus(Duration.ofMinutes(15));
        assertEquals(200, login(auth, "admin", PASSWORD, "10.0.0.66"), "after the window");
    }

    @Test
    void aSuccessGivesItsAttemptBack() throws Exception {
        AuthResource auth = resource(LoginThrottle.DEFAULTS);
        for (int i = 0; i < 4; i++) {
            assertEquals(401, login(auth, "admin", "wrong-" + i, "10.0.0.8"));
        }
        assertEquals(200, login(auth, "admin", PASSWORD, "10.0.0.8"));
        for (int i = 0; i < 5; i++) {
            assertEquals(401, login(auth, "admin", "again-" + i, "10.0.0.8"), "the success cleared the pair's failures");
        }
        assertEquals(429, login(auth, "admin", PASSWORD, "10.0.0.8"));
    }

    @Test
    void guessingSpreadOverManyAddressesHitsTheServerWideBudget() throws Exception {
        AuthResource auth = resource(new LoginThrottle.Limits(5, Duration.ofMinutes(15), 8, Duration.ofMinutes(1), 2, Duration.ofSeconds(10)));
        for (int i = 0; i < 8; i++) {
            assertEquals(401, login(auth, "admin", "wrong", "10.1.0." + i));
        }
        ApiException refused = assertThrows(ApiException.class, () -> auth.login(new LoginCall("admin", "wrong", "10.1.0.99")));
        assertEquals(429, refused.status());
        assertTrue(refused.getMessage().contains("on this server"), refused.getMessage());
        assertEquals("60", refused.headers().get("Retry-After"));
        clock.now = clock.now.plus(Duration.ofMinutes(1));
        assertEquals(200, login(auth, "admin", PASSWORD, "10.1.0.99"), "the budget frees with its window");
    }

    @Test
    void overLongNamesAndPasswordsAreRefusedBeforeAnyAttemptIsCounted() throws Exception {
        AuthResource auth = resource(LoginThrottle.DEFAULTS);
        for (int i = 0; i < 10; i++) {
            ApiException name = assertThrows(ApiException.class, () -> auth.login(new LoginCall("a".repeat(65), "pw", "10.0.0.9")));
            assertEquals(400, name.status());
            assertEquals("username", name.field());
            ApiException pw = assertThrows(ApiException.class, () -> auth.login(new LoginCall("admin", "p".repeat(1025), "10.0.0.9")));
            assertEquals(400, pw.status());
            assertEquals("password", pw.field());
        }
        assertEquals(401, login(auth, "a".repeat(64), "pw", "10.0.0.9"), "64 characters is still a name to check");
        assertEquals(200, login(auth, "admin", PASSWORD, "10.0.0.9"), "refused requests counted nothing");
    }

    @Test
    void attemptsBeyondTheConcurrentHashesWaitThenGet429WithoutBeingCounted() throws Exception {
        LoginThrottle throttle = new LoginThrottle(
                new LoginThrottle.Limits(5, Duration.ofMinutes(15), 60, Duration.ofMinutes(1), 1, Duration.ofMillis(50)), clock);
        try (LoginThrottle.Attempt first = throttle.begin("admin", "10.0.0.10")) {
            ApiException busy = assertThrows(ApiException.class, () -> throttle.begin("admin", "10.0.0.11"));
            assertEquals(429, busy.status());
            assertTrue(busy.getMessage().contains("busy"), busy.getMessage());
        }
        // the refused attempt gave its reservations back: five more fit for its pair
        for (int i = 0; i < 5; i++) {
            throttle.begin("admin", "10.0.0.11").close();
        }
        assertEquals(429, assertThrows(ApiException.class, () -> throttle.begin("admin", "10.0.0.11")).status());
    }

    /** A login request as the dispatcher hands it over. */
    private record LoginCall(String username, String password, String remoteAddress) implements ApiRequest {
        public String method() { return "POST"; }
        public String path() { return "/api/v1/auth/login"; }
        public String pathParam(String name) { throw new UnsupportedOperationException(); }
        public Optional<String> query(String name) { return Optional.empty(); }
        public Map<String, List<String>> queryParams() { return Map.of(); }
        public Optional<String> header(String name) { return Optional.empty(); }
        public Optional<String> cookie(String name) { return Optional.empty(); }
        public boolean isSecure() { return false; }
        public Optional<Caller> caller() { return Optional.empty(); }
        public Caller requireCaller() { throw new UnsupportedOperationException(); }
        public byte[] body() { return new byte[0]; }
        @SuppressWarnings("unchecked")
        public <T> T body(Class<T> type) { return (T) new AuthResource.LoginRequest(username, password); }
    }
}
