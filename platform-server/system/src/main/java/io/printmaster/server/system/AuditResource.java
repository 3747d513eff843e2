package io.printmaster.server.system;

import com.fasterxml.jackson.annotation.JsonRawValue;
import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Caller;
import io.printmaster.http.api.JsonTypes;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.Scopes;
import io.printmaster.store.AuditLog;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code GET /api/v1/audit?limit=&before=&target=&target_prefix=}: the audit log, newest first, paged by id; and
 * {@code GET /api/v1/audit/export?before=}: every entry that occurred before an instant, oldest first, as JSON Lines,
 * streamed in pages of {@value #EXPORT_PAGE} (memory stays bounded however long the log is). A caller restricted to
 * some fleets sees only their entries.
 */
@Component(service = RouteProvider.class)
public class AuditResource implements RouteProvider {
    static final int EXPORT_PAGE = AuditLog.Query.MAX_EXPORT_LIMIT;
    private static final java.time.format.DateTimeFormatter FILE_TIME =
            java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(java.time.ZoneOffset.UTC);
    private final AuditLog audit;
    private final java.time.Clock clock;

    @Activate
    public AuditResource(@Reference AuditLog audit) {
        this(audit, java.time.Clock.systemUTC());
    }

    AuditResource(AuditLog audit, java.time.Clock clock) {
        this.audit = audit;
        this.clock = clock;
    }

    /** An entry as served: the stored before/after documents are embedded as JSON, not as strings. */
    public record EntryView(long id, Instant at, String actor, String action, String target, String fleet,
                            @JsonRawValue String before, @JsonRawValue String after) {
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.get("/api/v1/audit", Scopes.AUDIT_READ, this::list)
                .doc("Read the audit log, newest first")
                .query("limit", "at most this many entries (default 50)").query("before", "the `next_before` of the previous page")
                .query("target", "only entries about this target").query("target_prefix", "only targets starting with this")
                .returns(JsonTypes.objectWithList("entries", EntryView.class).andNullable("next_before", Long.class)),
                Route.get("/api/v1/audit/export", Scopes.AUDIT_READ, this::export)
                        .doc("Export the audit log as JSON Lines, oldest first",
                                "Every entry that occurred before `before`, one JSON object per line with the fields of"
                                        + " `GET /api/v1/audit`'s entries, streamed (`application/x-ndjson`, an attachment)."
                                        + " A caller restricted to fleets gets only their entries.")
                        .query("before", "an ISO-8601 instant (`2026-01-01T00:00:00Z`); default and at most: now")
                        .produces(AuditLines.MEDIA_TYPE));
    }

    ApiResponse export(ApiRequest req) throws Exception {
        Instant now = clock.instant();
        Instant before = now;
        Optional<String> raw = req.query("before").map(String::strip);
        if (raw.isPresent()) {
            try {
                before = Instant.parse(raw.get());
            } catch (java.time.format.DateTimeParseException e) {
                throw ApiException.invalid("before", "before must be an ISO-8601 instant such as 2026-01-01T00:00:00Z");
            }
            // entries keep arriving: an export bounded by now ends
            before = before.isAfter(now) ? now : before;
        }
        Caller caller = req.requireCaller();
        Optional<java.util.Set<String>> fleets = caller.fleets();
        Instant until = before;
        return ApiResponse.raw(200, AuditLines.MEDIA_TYPE, out -> {
            java.io.OutputStream buffered = new java.io.BufferedOutputStream(out, 1 << 16);
            long after = 0;
            while (true) {
                List<AuditLog.Entry> page;
                try {
                    page = audit.listOldestFirst(after, until, fleets, EXPORT_PAGE);
                } catch (java.sql.SQLException e) {
                    // the answer has begun: the client sees it cut short, the log says why
                    throw new java.io.IOException("audit export failed after id " + after + ": " + e.getMessage(), e);
                }
                for (AuditLog.Entry e : page) {
                    AuditLines.write(e, buffered);
                }
                if (page.size() < EXPORT_PAGE) {
                    break;
                }
                after = page.get(page.size() - 1).id();
            }
            buffered.flush();
        }).header("Content-Disposition", "attachment; filename=\"audit-before-" + FILE_TIME.format(until) + ".jsonl\"")
                .header("Cache-Control", "no-store");
    }

    ApiResponse list(ApiRequest req) throws Exception {
        int limit = intParam(req, "limit", 50, 1, AuditLog.Query.MAX_LIMIT);
        Optional<Long> before = req.query("before").isPresent()
                ? Optional.of((long) intParam(req, "before", 0, 1, Integer.MAX_VALUE)) : Optional.empty();
        Caller caller = req.requireCaller();
        AuditLog.Query query = new AuditLog.Query(req.query("target").filter(t -> !t.isBlank()),
                req.query("target_prefix").filter(t -> !t.isBlank()), caller.fleets(), before, limit);
        List<AuditLog.Entry> entries = audit.list(query);
        List<EntryView> views = entries.stream().map(e -> new EntryView(e.id(), e.at(), e.actor(), e.action(), e.target(),
                e.fleet(), e.before(), e.after())).toList();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("entries", views);
        body.put("next_before", entries.size() == limit ? entries.get(entries.size() - 1).id() : null);
        return ApiResponse.ok(body);
    }

    private static int intParam(ApiRequest req, String name, int dflt, int min, int max) throws ApiException {
        Optional<String> raw = req.query(name);
        if (raw.isEmpty()) {
            return dflt;
        }
        try {
            int v = Integer.parseInt(raw.get().trim());
            if (v < min || v > max) {
                throw ApiException.invalid(name, name + " must be between " + min + " and " + max);
            }
            return v;
        } catch (NumberFormatException e) {
            throw ApiException.invalid(name, name + " must be a whole number");
        }
    }
}
