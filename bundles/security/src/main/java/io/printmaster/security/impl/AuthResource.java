package io.printmaster.security.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
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
 * state-changing requests must echo in {@code X-CSRF-Token}. Failed logins are audited; attempts are throttled
 * (per user name and address, server-wide, and in concurrent hashing) before any password is hashed, see
 * {@link LoginThrottle}.
 */
@Component(service = RouteProvider.class)
public class AuthResource implements RouteProvider {
    static final String COOKIE = "PM_SESSION";
    /** Longer names are refused before anything is looked up: no account has one. */
    static final int MAX_USERNAME_LENGTH = 64;
    /** Longer passwords are refused before hashing: hashing megabytes per guess would be a cheap way to burn CPU. */
    static final int MAX_PASSWORD_LENGTH = 1024;

    private final AdminAccounts accounts;
    private final SessionStore sessions;
    private final Database database;
    private final AuditLog audit;
    private final LoginThrottle throttle;

    @Activate
    public AuthResource(@Reference AdminAccounts accounts, @Reference SessionStore sessions, @Reference Database database,
                        @Reference AuditLog audit) {
        this(accounts, sessions, database, audit, new LoginThrottle(LoginThrottle.DEFAULTS, Clock.systemUTC()));
    }

    AuthResource(AdminAccounts accounts, SessionStore sessions, Database database, AuditLog audit, LoginThrottle throttle) {
        this.accounts = accounts;
        this.sessions = sessions;
        this.database = database;
        this.audit = audit;
        this.throttle = throttle;
    }

    public record LoginRequest(String username, String password) {
    }

    @Override
    public List<Route> routes() {
        return List.of(
                Route.post("/api/v1/auth/login", Route.PUBLIC, this::login)
                        .doc("Log in to the console", "Sets the session cookie and answers the session's CSRF token.")
                        .accepts(LoginRequest.class).returns(Map.class),
                Route.post("/api/v1/auth/logout", Route.ADMIN, this::logout).doc("Log out: end the console session"),
                Route.get("/api/v1/auth/session", Route.ADMIN, this::session)
                        .doc("Read the current console session and its CSRF token").returns(Map.class));
    }

    ApiResponse login(ApiRequest req) throws Exception {
        LoginRequest body = req.body(LoginRequest.class);
        if (body.username() == null || body.username().isBlank()) {
            throw ApiException.invalid("username", "username is required");
        }
        if (body.password() == null || body.password().isEmpty()) {
            throw ApiException.invalid("password", "password is required");
        }
        if (body.username().length() > MAX_USERNAME_LENGTH) {
            throw ApiException.invalid("username", "username is at most " + MAX_USERNAME_LENGTH + " characters");
        }
        if (body.password().length() > MAX_PASSWORD_LENGTH) {
            throw ApiException.invalid("password", "password is at most " + MAX_PASSWORD_LENGTH + " characters");
        }
        Optional<String> user;
        try (LoginThrottle.Attempt attempt = throttle.begin(body.username(), req.remoteAddress())) {
            user = accounts.verify(body.username(), body.password());
            if (user.isPresent()) {
                attempt.succeeded();
            }
        }
        if (user.isEmpty()) {
            auditLogin(body.username(), "auth.login_failed", req.remoteAddress());
            throw ApiException.unauthorized("wrong user name or password");
        }
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
