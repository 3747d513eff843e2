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
 * {@code GET /api/v1/audit?limit=&before=&target=&target_prefix=}: the audit log, newest first, paged by id. A caller
 * restricted to some fleets sees only their entries.
 */
@Component(service = RouteProvider.class)
public class AuditResource implements RouteProvider {
    private final AuditLog audit;

    @Activate
    public AuditResource(@Reference AuditLog audit) {
        this.audit = audit;
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
                .returns(JsonTypes.objectWithList("entries", EntryView.class).andNullable("next_before", Long.class)));
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
