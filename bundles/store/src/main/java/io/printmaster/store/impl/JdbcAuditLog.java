package io.printmaster.store.impl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.printmaster.store.AuditLog;
import io.printmaster.store.Database;
import io.printmaster.store.Migrations;
import io.printmaster.store.SchemaException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Calendar;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TimeZone;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link AuditLog} in table {@code AUDIT_LOG} (module {@value #MODULE}, migrations in {@code db/audit/}).
 * Activation migrates the table; when that fails (store down, schema newer than this code) activation fails with
 * the reason, which is also logged and shown by {@link Database#state()}.
 */
// immediate: migrate at startup so a schema problem shows in the log and in health before anyone writes
@Component(service = AuditLog.class, immediate = true)
public final class JdbcAuditLog implements AuditLog {
    static final String MODULE = "audit";

    private static final Logger LOG = LoggerFactory.getLogger(JdbcAuditLog.class);
    /** The API's wire conventions, so an audit entry reads like the resource it records. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .build();
    private static final String COLUMNS = "ID, OCCURRED_AT, ACTOR, ACTION, TARGET, FLEET, BEFORE_JSON, AFTER_JSON";

    private final Database database;
    private final Clock clock;

    @Activate
    public JdbcAuditLog(@Reference Database database) throws SchemaException {
        this(database, Clock.systemUTC());
    }

    JdbcAuditLog(Database database, Clock clock) throws SchemaException {
        this.database = Objects.requireNonNull(database, "database");
        this.clock = Objects.requireNonNull(clock, "clock");
        try {
            database.migrate(MODULE, Migrations.fromClasspath(JdbcAuditLog.class, MODULE));
        } catch (SchemaException e) {
            LOG.error("audit log unavailable: {}", e.getMessage());
            throw e;
        }
    }

    private static String json(Object state) throws SQLException {
        if (state == null) {
            return null;
        }
        try {
            return JSON.writeValueAsString(state);
        } catch (JsonProcessingException e) {
            throw new SQLException("cannot render the audited state as JSON: " + e.getOriginalMessage(), e);
        }
    }

    @Override
    public void record(Connection connection, String actor, String action, String target, String fleet, Object before,
                       Object after) throws SQLException {
        Objects.requireNonNull(connection, "connection");
        required("actor", actor, 200);
        required("action", action, 100);
        required("target", target, 500);
        if (fleet != null) {
            required("fleet", fleet, 200);
        }
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO AUDIT_LOG"
                + " (OCCURRED_AT, ACTOR, ACTION, TARGET, FLEET, BEFORE_JSON, AFTER_JSON) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            ps.setTimestamp(1, Timestamp.from(clock.instant()), utc());
            ps.setString(2, actor);
            ps.setString(3, action);
            ps.setString(4, target);
            setNullable(ps, 5, fleet, Types.VARCHAR);
            setNullable(ps, 6, json(before), Types.CLOB);
            setNullable(ps, 7, json(after), Types.CLOB);
            ps.executeUpdate();
        }
    }

    private static void required(String field, String value, int maxLength) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("audit " + field + " must not be blank");
        }
        if (value.length() > maxLength) {
            throw new IllegalArgumentException("audit " + field + " must be at most " + maxLength + " characters, was "
                    + value.length());
        }
    }

    private static void setNullable(PreparedStatement ps, int index, String value, int sqlType) throws SQLException {
        if (value == null) {
            ps.setNull(index, sqlType);
        } else {
            ps.setString(index, value);
        }
    }

    @Override
    public List<Entry> list(Query query) throws SQLException {
        Objects.requireNonNull(query, "query");
        if (query.fleets().map(Set::isEmpty).orElse(false)) {
            return List.of();
        }
        StringBuilder sql = new StringBuilder("SELECT ").append(COLUMNS).append(" FROM AUDIT_LOG WHERE 1 = 1");
        List<Object> params = new ArrayList<>();
        query.target().ifPresent(t -> {
            sql.append(" AND TARGET = ?");
            params.add(t);
        });
        query.targetPrefix().ifPresent(p -> {
            sql.append(" AND TARGET LIKE ? ESCAPE '\\'");
            params.add(escapeLike(p) + "%");
        });
        query.fleets().ifPresent(fleets -> {
            sql.append(" AND FLEET IN (").append(String.join(", ", Collections.nCopies(fleets.size(), "?")))
                    .append(')');
            params.addAll(fleets);
        });
        query.beforeId().ifPresent(id -> {
            sql.append(" AND ID < ?");
            params.add(id);
        });
        // limit is validated (1..MAX_LIMIT) by Query, so it is safe to inline
        sql.append(" ORDER BY ID DESC FETCH FIRST ").append(query.limit()).append(" ROWS ONLY");
        return database.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                for (int i = 0; i < params.size(); i++) {
                    ps.setObject(i + 1, params.get(i));
                }
                List<Entry> entries = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        entries.add(new Entry(rs.getLong(1), rs.getTimestamp(2, utc()).toInstant(), rs.getString(3),
                                rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8)));
                    }
                }
                return entries;
            }
        });
    }

    @Override
    public List<Entry> listOldestFirst(long afterId, java.time.Instant occurredBefore,
                                       java.util.Optional<Set<String>> fleets, int limit) throws SQLException {
        Objects.requireNonNull(occurredBefore, "occurredBefore");
        Objects.requireNonNull(fleets, "fleets");
        if (limit < 1 || limit > Query.MAX_EXPORT_LIMIT) {
            throw new IllegalArgumentException("limit must be between 1 and " + Query.MAX_EXPORT_LIMIT + ", was " + limit);
        }
        if (fleets.map(Set::isEmpty).orElse(false)) {
            return List.of();
        }
        List<String> fleetList = fleets.map(List::copyOf).orElse(List.of());
        // keyset on the primary key: each page is one index range, however large the log is
        String sql = "SELECT " + COLUMNS + " FROM AUDIT_LOG WHERE ID > ? AND OCCURRED_AT < ?"
                + (fleets.isPresent() ? " AND FLEET IN (" + String.join(", ", Collections.nCopies(fleetList.size(), "?"))
                + ")" : "")
                + " ORDER BY ID FETCH FIRST " + limit + " ROWS ONLY";
        return database.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setLong(1, afterId);
                ps.setTimestamp(2, Timestamp.from(occurredBefore), utc());
                for (int i = 0; i < fleetList.size(); i++) {
                    ps.setString(3 + i, fleetList.get(i));
                }
                return entries(ps);
            }
        });
    }

    @Override
    public int delete(java.util.Collection<Long> ids) throws SQLException {
        Objects.requireNonNull(ids, "ids");
        if (ids.size() > Query.MAX_EXPORT_LIMIT) {
            throw new IllegalArgumentException("at most " + Query.MAX_EXPORT_LIMIT + " ids at a time, was " + ids.size());
        }
        if (ids.isEmpty()) {
            return 0;
        }
        return database.inTransaction(c -> {
            int deleted = 0;
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM AUDIT_LOG WHERE ID = ?")) {
                for (long id : ids) {
                    ps.setLong(1, id);
                    ps.addBatch();
                }
                for (int n : ps.executeBatch()) {
                    deleted += Math.max(n, 0);
                }
            }
            return deleted;
        });
    }

    private static List<Entry> entries(PreparedStatement ps) throws SQLException {
        List<Entry> entries = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                entries.add(new Entry(rs.getLong(1), rs.getTimestamp(2, utc()).toInstant(), rs.getString(3),
                        rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8)));
            }
        }
        return entries;
    }

    private static String escapeLike(String prefix) {
        return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }

    /** Timestamps are stored as UTC wall time, independent of the JVM's time zone. */
    private static Calendar utc() {
        return Calendar.getInstance(TimeZone.getTimeZone("UTC"));
    }
}
