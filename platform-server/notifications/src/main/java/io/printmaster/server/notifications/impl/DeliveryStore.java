package io.printmaster.server.notifications.impl;

import io.printmaster.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Webhook deliveries ({@code PM_WEBHOOK_DELIVERY}): {@value #PENDING} until a sender claims one with a conditional
 * update ({@value #DELIVERING}, the attempt counted, {@code NEXT_ATTEMPT_AT} moved to the end of the claim's lease),
 * so two server processes never send the same attempt; then {@value #DELIVERED}, {@value #PENDING} again with the
 * next attempt's time, or {@value #FAILED}. A claim whose process died is taken again when its lease ends.
 */
@Component(service = DeliveryStore.class)
public class DeliveryStore {
    static final String PENDING = "pending";
    static final String DELIVERING = "delivering";
    static final String DELIVERED = "delivered";
    static final String FAILED = "failed";
    static final int MAX_ERROR = 1000;

    /** A delivery as the log shows it (without its body). */
    record Delivery(long id, String webhookId, String eventType, String state, int attempts, Instant nextAttemptAt,
                    Integer lastStatus, String lastError, Instant createdAt, Instant updatedAt, Instant deliveredAt) {
    }

    /** A claimed attempt: what to send, and which attempt it is (1-based). */
    record Claimed(long id, String webhookId, String eventType, String body, int attempt) {
    }

    private final Database database;

    @Activate
    public DeliveryStore(@Reference Database database) throws io.printmaster.store.SchemaException {
        this.database = database;
        NotificationsSchema.ensure(database);
    }

    /** One pending delivery of {@code body} per webhook, due now. */
    void enqueue(List<String> webhookIds, String eventType, String body, Instant now) throws SQLException {
        database.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_WEBHOOK_DELIVERY (WEBHOOK_ID, EVENT_TYPE,"
                    + " BODY, STATE, ATTEMPTS, NEXT_ATTEMPT_AT, CREATED_AT, UPDATED_AT) VALUES (?, ?, ?, ?, 0, ?, ?, ?)")) {
                for (String id : webhookIds) {
                    ps.setString(1, id);
                    ps.setString(2, eventType);
                    ps.setString(3, body);
                    ps.setString(4, PENDING);
                    ps.setTimestamp(5, Timestamp.from(now));
                    ps.setTimestamp(6, Timestamp.from(now));
                    ps.setTimestamp(7, Timestamp.from(now));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
    }

    /** Ids of deliveries due now (pending, or delivering with an expired lease), oldest first. */
    List<Long> due(Instant now, int limit) throws SQLException {
        return database.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT ID FROM PM_WEBHOOK_DELIVERY WHERE STATE IN (?, ?)"
                    + " AND NEXT_ATTEMPT_AT <= ? ORDER BY NEXT_ATTEMPT_AT, ID FETCH FIRST " + limit + " ROWS ONLY")) {
                ps.setString(1, PENDING);
                ps.setString(2, DELIVERING);
                ps.setTimestamp(3, Timestamp.from(now));
                List<Long> ids = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getLong(1));
                    }
                }
                return ids;
            }
        });
    }

    /**
     * Takes the next attempt of a due delivery, unless another sender took it first or it used all its attempts
     * (then it is marked failed).
     *
     * @param leaseUntil when another sender may take it again if this one never records an outcome
     */
    Optional<Claimed> claim(long id, Instant now, Instant leaseUntil, int maxAttempts) throws SQLException {
        return database.inTransaction(c -> {
            int claimed;
            try (PreparedStatement ps = c.prepareStatement("UPDATE PM_WEBHOOK_DELIVERY SET STATE = ?,"
                    + " ATTEMPTS = ATTEMPTS + 1, NEXT_ATTEMPT_AT = ?, UPDATED_AT = ? WHERE ID = ? AND STATE IN (?, ?)"
                    + " AND NEXT_ATTEMPT_AT <= ? AND ATTEMPTS < ?")) {
                ps.setString(1, DELIVERING);
                ps.setTimestamp(2, Timestamp.from(leaseUntil));
                ps.setTimestamp(3, Timestamp.from(now));
                ps.setLong(4, id);
                ps.setString(5, PENDING);
                ps.setString(6, DELIVERING);
                ps.setTimestamp(7, Timestamp.from(now));
                ps.setInt(8, maxAttempts);
                claimed = ps.executeUpdate();
            }
            if (claimed == 0) {
                giveUpOnLostClaim(c, id, now, maxAttempts);
                return Optional.<Claimed>empty();
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT WEBHOOK_ID, EVENT_TYPE, BODY, ATTEMPTS"
                    + " FROM PM_WEBHOOK_DELIVERY WHERE ID = ?")) {
                ps.setLong(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return Optional.of(new Claimed(id, rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4)));
                }
            }
        });
    }

    /** A delivery whose last attempt's sender died without an outcome, with no attempt left: failed. */
    private static void giveUpOnLostClaim(Connection c, long id, Instant now, int maxAttempts) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PM_WEBHOOK_DELIVERY SET STATE = ?, LAST_ERROR = ?,"
                + " UPDATED_AT = ? WHERE ID = ? AND STATE = ? AND NEXT_ATTEMPT_AT <= ? AND ATTEMPTS >= ?")) {
            ps.setString(1, FAILED);
            ps.setString(2, "no outcome was recorded for the last attempt (the server stopped while sending it)");
            ps.setTimestamp(3, Timestamp.from(now));
            ps.setLong(4, id);
            ps.setString(5, DELIVERING);
            ps.setTimestamp(6, Timestamp.from(now));
            ps.setInt(7, maxAttempts);
            ps.executeUpdate();
        }
    }

    /**
     * Records the outcome of attempt {@code attempt}, unless the claim was lost meanwhile (its lease ended and another
     * sender took the next attempt).
     *
     * @param state       {@value #DELIVERED}, {@value #PENDING} (retry at {@code nextAttempt}) or {@value #FAILED}
     * @param status      the receiver's HTTP status, or null when none came
     */
    boolean record(long id, int attempt, String state, Integer status, String error, Instant now, Instant nextAttempt)
            throws SQLException {
        return database.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE PM_WEBHOOK_DELIVERY SET STATE = ?, LAST_STATUS = ?,"
                    + " LAST_ERROR = ?, NEXT_ATTEMPT_AT = ?, UPDATED_AT = ?, DELIVERED_AT = ? WHERE ID = ? AND STATE = ?"
                    + " AND ATTEMPTS = ?")) {
                ps.setString(1, state);
                if (status == null) {
                    ps.setNull(2, Types.INTEGER);
                } else {
                    ps.setInt(2, status);
                }
                ps.setString(3, error == null ? null : error.length() > MAX_ERROR ? error.substring(0, MAX_ERROR) : error);
                ps.setTimestamp(4, Timestamp.from(nextAttempt == null ? now : nextAttempt));
                ps.setTimestamp(5, Timestamp.from(now));
                ps.setTimestamp(6, DELIVERED.equals(state) ? Timestamp.from(now) : null);
                ps.setLong(7, id);
                ps.setString(8, DELIVERING);
                ps.setInt(9, attempt);
                return ps.executeUpdate() == 1;
            }
        });
    }

    /** Deletes the finished deliveries (delivered or failed) last changed before {@code before}; returns how many. */
    int prune(Instant before) throws SQLException {
        return database.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM PM_WEBHOOK_DELIVERY WHERE STATE IN (?, ?)"
                    + " AND UPDATED_AT < ?")) {
                ps.setString(1, DELIVERED);
                ps.setString(2, FAILED);
                ps.setTimestamp(3, Timestamp.from(before));
                return ps.executeUpdate();
            }
        });
    }

    /** A page of one webhook's deliveries, newest first, with ids below {@code beforeId}. */
    List<Delivery> page(String webhookId, long beforeId, int limit) throws SQLException {
        return database.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT ID, WEBHOOK_ID, EVENT_TYPE, STATE, ATTEMPTS,"
                    + " NEXT_ATTEMPT_AT, LAST_STATUS, LAST_ERROR, CREATED_AT, UPDATED_AT, DELIVERED_AT"
                    + " FROM PM_WEBHOOK_DELIVERY WHERE WEBHOOK_ID = ? AND ID < ? ORDER BY ID DESC FETCH FIRST "
                    + limit + " ROWS ONLY")) {
                ps.setString(1, webhookId);
                ps.setLong(2, beforeId);
                List<Delivery> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        int status = rs.getInt(7);
                        Integer lastStatus = rs.wasNull() ? null : status;
                        out.add(new Delivery(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                                rs.getInt(5), instant(rs.getTimestamp(6)), lastStatus, rs.getString(8),
                                instant(rs.getTimestamp(9)), instant(rs.getTimestamp(10)), instant(rs.getTimestamp(11))));
                    }
                }
                return out;
            }
        });
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
