package io.printmaster.security.impl;

import io.printmaster.store.Database;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Console sessions, kept in the database so a restart does not log everyone out. Only the SHA-256 of the
 * session token is stored; the CSRF token is stored as is (it is no credential on its own).
 */
@Component(service = SessionStore.class)
public class SessionStore {
    static final Duration LIFETIME = Duration.ofHours(12);

    record Session(String username, String csrfToken, Instant expiresAt) {
    }

    record NewSession(String token, Session session) {
    }

    private final Database database;
    private final Secrets secrets;
    private final Clock clock;

    @Activate
    public SessionStore(@Reference Database database) throws Exception {
        this(database, new Secrets(new SecureRandom()), Clock.systemUTC());
    }

    SessionStore(Database database, Secrets secrets, Clock clock) throws Exception {
        this.database = database;
        this.secrets = secrets;
        this.clock = clock;
        SecuritySchema.ensure(database);
    }

    NewSession create(String username) throws SQLException {
        String token = secrets.token("pms_");
        String csrf = secrets.token("");
        Instant now = clock.instant();
        Session session = new Session(username, csrf, now.plus(LIFETIME));
        database.inTransaction(c -> {
            // sessions are few: dropping expired ones on each login keeps the table small without a job
            try (PreparedStatement del = c.prepareStatement("DELETE FROM PM_SESSION WHERE EXPIRES_AT < ?")) {
                del.setTimestamp(1, Timestamp.from(now));
                del.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO PM_SESSION (TOKEN_SHA256, USERNAME, CSRF_TOKEN, CREATED_AT, EXPIRES_AT) VALUES (?, ?, ?, ?, ?)")) {
                ps.setString(1, Secrets.sha256Hex(token));
                ps.setString(2, username);
                ps.setString(3, csrf);
                ps.setTimestamp(4, Timestamp.from(now));
                ps.setTimestamp(5, Timestamp.from(session.expiresAt()));
                ps.executeUpdate();
            }
            return null;
        });
        return new NewSession(token, session);
    }

    Optional<Session> find(String token) throws SQLException {
        return database.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT USERNAME, CSRF_TOKEN, EXPIRES_AT FROM PM_SESSION WHERE TOKEN_SHA256 = ?")) {
                ps.setString(1, Secrets.sha256Hex(token));
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<Session>empty();
                    }
                    Instant expires = rs.getTimestamp(3).toInstant();
                    if (!expires.isAfter(clock.instant())) {
                        return Optional.<Session>empty();
                    }
                    return Optional.of(new Session(rs.getString(1), rs.getString(2), expires));
                }
            }
        });
    }

    void delete(String token) throws SQLException {
        database.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM PM_SESSION WHERE TOKEN_SHA256 = ?")) {
                ps.setString(1, Secrets.sha256Hex(token));
                return ps.executeUpdate();
            }
        });
    }
}
