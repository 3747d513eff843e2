package io.printmaster.security.impl;

import io.printmaster.store.AuditLog;
import io.printmaster.store.Database;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * API tokens: scoped, optionally restricted to fleets, optionally expiring, revocable. The token is shown once
 * at creation; only its SHA-256 is stored.
 */
@Component(service = ApiTokenStore.class)
public class ApiTokenStore {
    static final String PREFIX = "pmt_";
    /** last_used_at is informative; writing it on every request would turn each read into a write */
    private static final Duration LAST_USED_RESOLUTION = Duration.ofMinutes(1);

    /** A token as listed; never carries the secret. */
    public record TokenInfo(String id, String name, List<String> scopes, List<String> fleets, String createdBy,
                            Instant createdAt, Instant expiresAt, Instant lastUsedAt, Instant revokedAt) {
        boolean usableAt(Instant now) {
            return revokedAt == null && (expiresAt == null || expiresAt.isAfter(now));
        }
    }

    record NewToken(String token, TokenInfo info) {
    }

    private final Database database;
    private final AuditLog audit;
    private final Secrets secrets;
    private final Clock clock;
    private final Map<String, Instant> lastUsedWritten = new ConcurrentHashMap<>();

    @Activate
    public ApiTokenStore(@Reference Database database, @Reference AuditLog audit) throws Exception {
        this(database, audit, new Secrets(new SecureRandom()), Clock.systemUTC());
    }

    ApiTokenStore(Database database, AuditLog audit, Secrets secrets, Clock clock) throws Exception {
        this.database = database;
        this.audit = audit;
        this.secrets = secrets;
        this.clock = clock;
        SecuritySchema.ensure(database);
    }

    NewToken create(String name, Set<String> scopes, Optional<Set<String>> fleets, Optional<Instant> expiresAt, String actor)
            throws SQLException {
        String token = secrets.token(PREFIX);
        Instant now = clock.instant();
        TokenInfo info = new TokenInfo(UUID.randomUUID().toString(), name, List.copyOf(new TreeSet<>(scopes)),
                fleets.map(f -> List.copyOf(new TreeSet<>(f))).orElse(null), actor, now, expiresAt.orElse(null), null, null);
        database.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_API_TOKEN "
                    + "(ID, NAME, TOKEN_SHA256, SCOPES, FLEETS, CREATED_BY, CREATED_AT, EXPIRES_AT) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, info.id());
                ps.setString(2, name);
                ps.setString(3, Secrets.sha256Hex(token));
                ps.setString(4, String.join(" ", info.scopes()));
                ps.setString(5, info.fleets() == null ? null : String.join(" ", info.fleets()));
                ps.setString(6, actor);
                ps.setTimestamp(7, Timestamp.from(now));
                ps.setTimestamp(8, info.expiresAt() == null ? null : Timestamp.from(info.expiresAt()));
                ps.executeUpdate();
            }
            audit.record(c, actor, "token.create", "token:" + info.id(), null, null, describe(info));
            return null;
        });
        return new NewToken(token, info);
    }

    /** The page size bound of {@link #page}. */
    static final int MAX_PAGE = 500;

    /** The first {@value #MAX_PAGE} tokens, newest first. */
    List<TokenInfo> list() throws SQLException {
        return page(null, null, MAX_PAGE);
    }

    /**
     * A page of the tokens, newest first (then by id): those after the token created at {@code afterCreatedAt} with
     * id {@code afterId} (both null: from the first), at most {@code limit} (1..{@value #MAX_PAGE}).
     */
    List<TokenInfo> page(Instant afterCreatedAt, String afterId, int limit) throws SQLException {
        if (limit < 1 || limit > MAX_PAGE) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_PAGE + ", was " + limit);
        }
        boolean keyset = afterCreatedAt != null && afterId != null;
        return database.read(c -> {
            List<TokenInfo> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(SELECT
                    + (keyset ? " WHERE (CREATED_AT < ? OR (CREATED_AT = ? AND ID > ?))" : "")
                    + " ORDER BY CREATED_AT DESC, ID FETCH FIRST " + limit + " ROWS ONLY")) {
                if (keyset) {
                    ps.setTimestamp(1, java.sql.Timestamp.from(afterCreatedAt));
                    ps.setTimestamp(2, java.sql.Timestamp.from(afterCreatedAt));
                    ps.setString(3, afterId);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(row(rs));
                    }
                }
            }
            return out;
        });
    }

    /** @return false when no such token exists */
    boolean revoke(String id, String actor) throws SQLException {
        Instant now = clock.instant();
        return database.inTransaction(c -> {
            TokenInfo before;
            try (PreparedStatement ps = c.prepareStatement(SELECT + " WHERE ID = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return false;
                    }
                    before = row(rs);
                }
            }
            if (before.revokedAt() != null) {
                return true;
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE PM_API_TOKEN SET REVOKED_AT = ? WHERE ID = ?")) {
                ps.setTimestamp(1, Timestamp.from(now));
                ps.setString(2, id);
                ps.executeUpdate();
            }
            Map<String, Object> after = describe(before);
            after.put("revoked_at", now.toString());
            audit.record(c, actor, "token.revoke", "token:" + id, null, describe(before), after);
            return true;
        });
    }

    /** The usable token with this secret, if any. */
    Optional<TokenInfo> find(String token) throws SQLException {
        if (!token.startsWith(PREFIX)) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        Optional<TokenInfo> info = database.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(SELECT + " WHERE TOKEN_SHA256 = ?")) {
                ps.setString(1, Secrets.sha256Hex(token));
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(row(rs)) : Optional.<TokenInfo>empty();
                }
            }
        });
        if (info.isPresent() && info.get().usableAt(now)) {
            touch(info.get().id(), now);
            return info;
        }
        return Optional.empty();
    }

    private void touch(String id, Instant now) throws SQLException {
        Instant last = lastUsedWritten.get(id);
        if (last != null && Duration.between(last, now).compareTo(LAST_USED_RESOLUTION) < 0) {
            return;
        }
        lastUsedWritten.put(id, now);
        database.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE PM_API_TOKEN SET LAST_USED_AT = ? WHERE ID = ?")) {
                ps.setTimestamp(1, Timestamp.from(now));
                ps.setString(2, id);
                return ps.executeUpdate();
            }
        });
    }

    private static final String SELECT = "SELECT ID, NAME, SCOPES, FLEETS, CREATED_BY, CREATED_AT, EXPIRES_AT, LAST_USED_AT, REVOKED_AT FROM PM_API_TOKEN";

    private static TokenInfo row(ResultSet rs) throws SQLException {
        String fleets = rs.getString(4);
        return new TokenInfo(rs.getString(1), rs.getString(2), words(rs.getString(3)),
                fleets == null ? null : words(fleets), rs.getString(5), instant(rs.getTimestamp(6)),
                instant(rs.getTimestamp(7)), instant(rs.getTimestamp(8)), instant(rs.getTimestamp(9)));
    }

    private static List<String> words(String s) {
        return s.isBlank() ? List.of() : Arrays.asList(s.trim().split(" "));
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    private static Map<String, Object> describe(TokenInfo t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", t.id());
        m.put("name", t.name());
        m.put("scopes", t.scopes());
        m.put("fleets", t.fleets());
        m.put("expires_at", t.expiresAt() == null ? null : t.expiresAt().toString());
        return m;
    }
}
