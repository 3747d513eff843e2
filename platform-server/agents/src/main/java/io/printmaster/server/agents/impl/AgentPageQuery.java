package io.printmaster.server.agents.impl;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The SQL of one page of the agents list: the filters as conditions, the sort column then the id as the order (nulls
 * after every value in both directions), and the keyset condition that starts after the cursor's agent, so a walk
 * from the first page to the last sees every agent exactly once however many agents enroll meanwhile.
 */
final class AgentPageQuery {
    private AgentPageQuery() {
    }

    static AgentQuery.Page run(Connection c, AgentQuery query, Instant now) throws SQLException {
        StringBuilder where = new StringBuilder(" WHERE 1 = 1");
        List<Object> params = new ArrayList<>();
        if (query.visibleFleets().isPresent()) {
            if (query.visibleFleets().get().isEmpty()) {
                return new AgentQuery.Page(List.of(), null);
            }
            where.append(" AND FLEET_ID IN (").append(String.join(", ",
                    java.util.Collections.nCopies(query.visibleFleets().get().size(), "?"))).append(')');
            params.addAll(query.visibleFleets().get());
        }
        equal(where, params, "FLEET_ID", query.fleet());
        equal(where, params, "CURRENT_VERSION", query.version());
        equal(where, params, "STATUS", query.status());
        if (query.flag() != null) {
            where.append(" AND ").append(AgentFlags.condition(query.flag()));
            if (AgentFlags.needsNow(query.flag())) {
                params.add(Timestamp.from(now));
            }
        }
        if (query.q() != null) {
            where.append(" AND (LOWER(HOSTNAME) LIKE ? ESCAPE '\\' OR ID = ?)");
            params.add("%" + likeEscaped(query.q().toLowerCase(java.util.Locale.ROOT)) + "%");
            params.add(query.q());
        }
        String col = query.sort().column;
        if (query.after() != null) {
            if (query.after().value() == null) {
                where.append(" AND ").append(col).append(" IS NULL AND ID > ?");
                params.add(query.after().id());
            } else {
                where.append(" AND (").append(col).append(query.descending() ? " < ?" : " > ?")
                        .append(" OR (").append(col).append(" = ? AND ID > ?) OR ").append(col).append(" IS NULL)");
                Object v = sortValue(query.sort(), query.after().value());
                params.add(v);
                params.add(v);
                params.add(query.after().id());
            }
        }
        String sql = AgentStore.SELECT + " FROM PM_AGENT" + where + " ORDER BY " + col
                + (query.descending() ? " DESC" : " ASC") + " NULLS LAST, ID ASC FETCH FIRST " + (query.limit() + 1)
                + " ROWS ONLY";
        List<AgentRecord> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.size(); i++) {
                ps.setObject(i + 1, params.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(AgentStore.row(rs, now));
                }
            }
        }
        if (out.size() <= query.limit()) {
            return new AgentQuery.Page(out, null);
        }
        AgentRecord last = out.get(query.limit() - 1);
        return new AgentQuery.Page(List.copyOf(out.subList(0, query.limit())),
                new AgentQuery.Cursor(sortText(query.sort(), last), last.id()).encode());
    }

    private static void equal(StringBuilder where, List<Object> params, String column, String value) {
        if (value != null) {
            where.append(" AND ").append(column).append(" = ?");
            params.add(value);
        }
    }

    private static Object sortValue(AgentQuery.Sort sort, String text) {
        return sort == AgentQuery.Sort.LAST_SEEN_AT ? Timestamp.from(Instant.parse(text)) : text;
    }

    private static String sortText(AgentQuery.Sort sort, AgentRecord a) {
        return switch (sort) {
            case HOSTNAME -> a.hostname();
            case LAST_SEEN_AT -> a.lastSeenAt() == null ? null : a.lastSeenAt().toString();
            case VERSION -> a.currentVersion();
            case STATUS -> a.status();
        };
    }

    /** The text as a literal inside a LIKE pattern: its own {@code %}, {@code _} and escape character match themselves. */
    private static String likeEscaped(String text) {
        return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }
}
