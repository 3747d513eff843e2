package io.printmaster.server.agents.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One page request of {@code GET /api/v1/agents}: filters, sort and the keyset cursor, validated (each problem a 400
 * naming its parameter).
 *
 * @param visibleFleets when present, only agents of these fleets (a restricted caller)
 * @param after         the cursor: the sort value and id of the last agent of the previous page, or null
 */
record AgentQuery(Optional<Set<String>> visibleFleets, String fleet, String version, String status, String flag,
                  String q, Sort sort, boolean descending, int limit, Cursor after) {
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 500;
    private static final int MAX_TEXT = 255;

    /** A sort key: a column and its direction; {@code last_seen_at} is a timestamp, the others text. */
    enum Sort {
        HOSTNAME("hostname", "HOSTNAME"), LAST_SEEN_AT("last_seen_at", "LAST_SEEN_AT"),
        VERSION("version", "CURRENT_VERSION"), STATUS("status", "STATUS");

        final String name;
        final String column;

        Sort(String name, String column) {
            this.name = name;
            this.column = column;
        }
    }

    /** The position after which a page starts; {@code value} null for an agent whose sort column is null. */
    record Cursor(String value, String id) {
        String encode() {
            String text = (value == null ? "~" : "=" + value) + "\n" + id;
            return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
        }

        static Cursor decode(String text) throws ApiException {
            try {
                String plain = new String(Base64.getUrlDecoder().decode(text.strip()), StandardCharsets.UTF_8);
                int nl = plain.lastIndexOf('\n');
                if (nl < 1 || nl == plain.length() - 1 || (plain.charAt(0) != '~' && plain.charAt(0) != '=')
                        || plain.charAt(0) == '~' && nl != 1) {
                    throw new IllegalArgumentException("malformed");
                }
                return new Cursor(plain.charAt(0) == '~' ? null : plain.substring(1, nl), plain.substring(nl + 1));
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid("cursor", "cursor is not one this server handed out: pass next_cursor as it was");
            }
        }
    }

    /** The query of a request's parameters. */
    static AgentQuery of(ApiRequest req, Optional<Set<String>> visibleFleets) throws ApiException {
        String sortText = req.query("sort").map(String::strip).orElse("hostname");
        boolean desc = sortText.startsWith("-");
        String sortName = desc ? sortText.substring(1) : sortText;
        Sort sort = null;
        for (Sort s : Sort.values()) {
            if (s.name.equals(sortName)) {
                sort = s;
            }
        }
        if (sort == null) {
            throw ApiException.invalid("sort", "sort must be one of hostname, last_seen_at, version, status, each"
                    + " optionally prefixed with '-' for descending; got '" + sortText + "'");
        }
        int limit = DEFAULT_LIMIT;
        if (req.query("limit").isPresent()) {
            try {
                limit = Integer.parseInt(req.query("limit").get().strip());
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > MAX_LIMIT) {
                throw ApiException.invalid("limit", "limit must be a whole number from 1 to " + MAX_LIMIT + "; got '"
                        + req.query("limit").get() + "'");
            }
        }
        String flag = text(req, "flag");
        if (flag != null && !AgentFlags.ALL.contains(flag)) {
            throw ApiException.invalid("flag", "flag must be one of " + String.join(", ", AgentFlags.ALL) + "; got '"
                    + flag + "'");
        }
        Cursor after = req.query("cursor").isPresent() ? Cursor.decode(req.query("cursor").get()) : null;
        if (after != null && sort == Sort.LAST_SEEN_AT && after.value() != null) {
            try {
                Instant.parse(after.value());
            } catch (RuntimeException e) {
                throw ApiException.invalid("cursor", "cursor belongs to another sort order: start again without it");
            }
        }
        return new AgentQuery(visibleFleets, text(req, "fleet"), text(req, "version"), text(req, "status"), flag,
                text(req, "q"), sort, desc, limit, after);
    }

    private static String text(ApiRequest req, String name) throws ApiException {
        Optional<String> v = req.query(name).map(String::strip).filter(s -> !s.isEmpty());
        if (v.isPresent() && v.get().length() > MAX_TEXT) {
            throw ApiException.invalid(name, name + " must be at most " + MAX_TEXT + " characters");
        }
        return v.orElse(null);
    }

    /** A page of agents and the cursor of the next one (null on the last page). */
    record Page(List<AgentRecord> agents, String nextCursor) {
    }
}
