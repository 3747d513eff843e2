package io.printmaster.server.fleets.impl;

import io.printmaster.server.fleets.api.Fleet;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** SQL for the fleet table; callers own the connection and the transaction. */
final class JdbcFleets {
    private JdbcFleets() {
    }

    static List<Fleet> list(Connection c) throws SQLException {
        List<Fleet> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT ID, NAME, DESCRIPTION, CREATED_AT, UPDATED_AT FROM PM_FLEET ORDER BY ID");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(row(rs));
            }
        }
        return out;
    }

    /**
     * A page of fleets by id: those after {@code afterId} (null: from the first), of {@code only} when present
     * (empty: none), at most {@code limit} (validated by the caller).
     */
    static List<Fleet> page(Connection c, String afterId, Optional<java.util.Set<String>> only, int limit)
            throws SQLException {
        List<String> ids = only.map(List::copyOf).orElse(List.of());
        if (only.isPresent() && ids.isEmpty()) {
            return List.of();
        }
        String sql = "SELECT ID, NAME, DESCRIPTION, CREATED_AT, UPDATED_AT FROM PM_FLEET WHERE ID > ?"
                + (only.isPresent() ? " AND ID IN (" + String.join(", ", java.util.Collections.nCopies(ids.size(), "?")) + ")" : "")
                + " ORDER BY ID FETCH FIRST " + limit + " ROWS ONLY";
        List<Fleet> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, afterId == null ? "" : afterId);
            for (int i = 0; i < ids.size(); i++) {
                ps.setString(2 + i, ids.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(row(rs));
                }
            }
        }
        return out;
    }

    static Optional<Fleet> find(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT ID, NAME, DESCRIPTION, CREATED_AT, UPDATED_AT FROM PM_FLEET WHERE ID = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
        }
    }

    static void insert(Connection c, Fleet f) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO PM_FLEET (ID, NAME, DESCRIPTION, CREATED_AT, UPDATED_AT) VALUES (?, ?, ?, ?, ?)")) {
            ps.setString(1, f.id());
            ps.setString(2, f.name());
            ps.setString(3, f.description());
            ps.setTimestamp(4, Timestamp.from(f.createdAt()));
            ps.setTimestamp(5, Timestamp.from(f.updatedAt()));
            ps.executeUpdate();
        }
    }

    static void update(Connection c, Fleet f) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PM_FLEET SET NAME = ?, DESCRIPTION = ?, UPDATED_AT = ? WHERE ID = ?")) {
            ps.setString(1, f.name());
            ps.setString(2, f.description());
            ps.setTimestamp(3, Timestamp.from(f.updatedAt()));
            ps.setString(4, f.id());
            ps.executeUpdate();
        }
    }

    static void delete(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM PM_FLEET WHERE ID = ?")) {
            ps.setString(1, id);
            ps.executeUpdate();
        }
    }

    private static Fleet row(ResultSet rs) throws SQLException {
        return new Fleet(rs.getString(1), rs.getString(2), rs.getString(3), instant(rs.getTimestamp(4)), instant(rs.getTimestamp(5)));
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
