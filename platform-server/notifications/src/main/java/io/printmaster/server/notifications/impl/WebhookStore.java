package io.printmaster.server.notifications.impl;

import io.printmaster.security.api.SecretBox;
import io.printmaster.server.notifications.api.ServerEvent;
import io.printmaster.store.AuditLog;
import io.printmaster.store.Database;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The webhooks ({@code PM_WEBHOOK}): created and deleted with their audit entry in one transaction, the secret sealed
 * with the server's {@link SecretBox} under associated data {@code webhook-secret:<id>}. The list the event queue
 * matches against is cached, dropped at every change here and re-read at least every {@link #CACHE_TTL} (another
 * server process may have changed it).
 */
@Component(service = WebhookStore.class)
public class WebhookStore {
    static final String ID_PREFIX = "wh_";
    static final Duration CACHE_TTL = Duration.ofSeconds(10);
    private static final String COLUMNS = "ID, URL, EVENTS, FLEET, SECRET_SEALED, CREATED_AT, CREATED_BY";

    private record Cached(List<Webhook> hooks, Instant readAt) {
    }

    private final Database database;
    private final AuditLog audit;
    private final SecretBox secrets;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private volatile Cached cache;

    @Activate
    public WebhookStore(@Reference Database database, @Reference AuditLog audit, @Reference SecretBox secrets)
            throws io.printmaster.store.SchemaException {
        this(database, audit, secrets, Clock.systemUTC());
    }

    WebhookStore(Database database, AuditLog audit, SecretBox secrets, Clock clock) throws io.printmaster.store.SchemaException {
        this.database = database;
        this.audit = audit;
        this.secrets = secrets;
        this.clock = clock;
        NotificationsSchema.ensure(database);
    }

    /** A new random secret: 32 bytes, base64url, prefixed so a leaked one is recognisable. */
    String newSecret() {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return "whsec_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    Webhook create(String url, List<String> events, String fleet, String secret, String actor)
            throws SQLException, GeneralSecurityException {
        byte[] id = new byte[10];
        random.nextBytes(id);
        String webhookId = ID_PREFIX + HexFormat.of().formatHex(id);
        byte[] plain = secret.getBytes(StandardCharsets.UTF_8);
        String sealed;
        try {
            sealed = Base64.getEncoder().encodeToString(secrets.seal(plain, associatedData(webhookId)));
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
        Webhook w = new Webhook(webhookId, url, events, fleet, sealed, clock.instant(), actor);
        database.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_WEBHOOK (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, w.id());
                ps.setString(2, w.url());
                ps.setString(3, String.join(",", w.events()));
                ps.setString(4, w.fleet());
                ps.setString(5, w.sealedSecret());
                ps.setTimestamp(6, Timestamp.from(w.createdAt()));
                ps.setString(7, w.createdBy());
                ps.executeUpdate();
            }
            audit.record(c, actor, "webhook.create", target(w.id()), null, null, w.view());
            return null;
        });
        cache = null;
        return w;
    }

    /** @return false when there is no such webhook */
    boolean delete(String id, String actor) throws SQLException {
        boolean deleted = database.inTransaction(c -> {
            Optional<Webhook> w = find(c, id);
            if (w.isEmpty()) {
                return false;
            }
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM PM_WEBHOOK WHERE ID = ?")) {
                ps.setString(1, id);
                if (ps.executeUpdate() != 1) {
                    return false;
                }
            }
            audit.record(c, actor, "webhook.delete", target(id), null, w.get().view(), null);
            return true;
        });
        cache = null;
        return deleted;
    }

    List<Webhook> list() throws SQLException {
        return database.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM PM_WEBHOOK ORDER BY CREATED_AT, ID");
                 ResultSet rs = ps.executeQuery()) {
                List<Webhook> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(row(rs));
                }
                return out;
            }
        });
    }

    Optional<Webhook> find(String id) throws SQLException {
        return database.read(c -> find(c, id));
    }

    /** The webhooks that want {@code e}, from the cache. */
    List<Webhook> matching(ServerEvent e) throws SQLException {
        Cached c = cache;
        Instant now = clock.instant();
        if (c == null || c.readAt().plus(CACHE_TTL).isBefore(now)) {
            c = new Cached(list(), now);
            cache = c;
        }
        return c.hooks().stream().filter(w -> w.wants(e)).toList();
    }

    /** The webhook's secret in the clear, for signing one delivery; the caller wipes it after use. */
    byte[] openSecret(Webhook w) throws GeneralSecurityException {
        return secrets.open(Base64.getDecoder().decode(w.sealedSecret()), associatedData(w.id()));
    }

    private static byte[] associatedData(String id) {
        return ("webhook-secret:" + id).getBytes(StandardCharsets.UTF_8);
    }

    private static String target(String id) {
        return "webhook:" + id;
    }

    private static Optional<Webhook> find(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM PM_WEBHOOK WHERE ID = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
        }
    }

    private static Webhook row(ResultSet rs) throws SQLException {
        return new Webhook(rs.getString(1), rs.getString(2), List.of(rs.getString(3).split(",")), rs.getString(4),
                rs.getString(5), rs.getTimestamp(6).toInstant(), rs.getString(7));
    }
}
