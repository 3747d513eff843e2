package io.printmaster.security.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.security.limits.FailureRateLimiter;
import io.printmaster.store.AuditLog;
import io.printmaster.store.Database;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Console login and logout. Login answers a session cookie (HttpOnly, SameSite=Strict) and the CSRF token that
 * state-changing requests must echo in {@code X-CSRF-Token}. Failed logins are rate-limited per address and per
 * user name and audited.
 */
@Component(service = RouteProvider.class)
public class AuthResource implements RouteProvider {
    static final String COOKIE = "PM_SESSION";

    private final AdminAccounts accounts;
    private final SessionStore sessions;
    private final Database database;
    private final AuditLog audit;
    private final FailureRateLimiter limiter;

    @Activate
    public AuthResource(@Reference AdminAccounts accounts, @Reference SessionStore sessions, @Reference Database database,
                        @Reference AuditLog audit) {
        this(accounts, sessions, database, audit, new FailureRateLimiter(5, Duration.ofMinutes(15), Clock.systemUTC()));
    }

    AuthResource(AdminAccounts accounts, SessionStore sessions, Database database, AuditLog audit, FailureRateLimiter limiter) {
        this.accounts = accounts;
        this.sessions = sessions;
        this.database = database;
        this.audit = audit;
        this.limiter = limiter;
    }

    public record LoginRequest(String username, String password) {
    }

    @Override
    public List<Route> routes() {
        return List.of(
                Route.post("/api/v1/auth/login", Route.PUBLIC, this::login),
                Route.post("/api/v1/auth/logout", Route.ADMIN, this::logout),
                Route.get("/api/v1/auth/session", Route.ADMIN, this::session));
    }

    ApiResponse login(ApiRequest req) throws Exception {
        LoginRequest body = req.body(LoginRequest.class);
        if (body.username() == null || body.username().isBlank()) {
            throw ApiException.invalid("username", "username is required");
        }
        if (body.password() == null || body.password().isEmpty()) {
            throw ApiException.invalid("password", "password is required");
        }
        String addressKey = "addr:" + req.remoteAddress();
        String userKey = "user:" + body.username();
        Optional<Duration> blocked = limiter.blockedFor(addressKey).or(() -> limiter.blockedFor(userKey));
        if (blocked.isPresent()) {
            long seconds = Math.max(1, blocked.get().toSeconds());
            throw new ApiException(429, "too_many_attempts", "too many failed logins; try again in " + seconds + " s")
                    .withHeader("Retry-After", Long.toString(seconds));
        }
        Optional<String> user = accounts.verify(body.username(), body.password());
        if (user.isEmpty()) {
            limiter.failed(addressKey);
            limiter.failed(userKey);
            auditLogin(body.username(), "auth.login_failed", req.remoteAddress());
            throw ApiException.unauthorized("wrong user name or password");
        }
        limiter.succeeded(addressKey);
        limiter.succeeded(userKey);
        SessionStore.NewSession created = sessions.create(user.get());
        auditLogin(user.get(), "auth.login", req.remoteAddress());
        long maxAge = Duration.between(Instant.now(), created.session().expiresAt()).toSeconds();
        return ApiResponse.ok(sessionBody(created.session()))
                .header("Set-Cookie", cookie(created.token(), maxAge, req.isSecure()));
    }

    private ApiResponse logout(ApiRequest req) throws Exception {
        Optional<String> token = req.cookie(COOKIE);
        if (token.isPresent()) {
            sessions.delete(token.get());
        }
        return ApiResponse.noContent().header("Set-Cookie", cookie("", 0, req.isSecure()));
    }

    private ApiResponse session(ApiRequest req) throws Exception {
        String token = req.cookie(COOKIE).orElseThrow(() -> ApiException.unauthorized("no console session"));
        SessionStore.Session s = sessions.find(token).orElseThrow(() -> ApiException.unauthorized("the session has expired"));
        return ApiResponse.ok(sessionBody(s));
    }

    private static Map<String, Object> sessionBody(SessionStore.Session s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("username", s.username());
        m.put("csrf_token", s.csrfToken());
        m.put("expires_at", s.expiresAt());
        return m;
    }

    private void auditLogin(String username, String action, String address) throws Exception {
        database.inTransaction(c -> {
            audit.record(c, username, action, "user:" + username, null, null, Map.of("remote_address", address));
            return null;
        });
    }

    static String cookie(String value, long maxAgeSeconds, boolean secure) {
        return COOKIE + "=" + value + "; Path=/; Max-Age=" + maxAgeSeconds + "; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "");
    }
}
