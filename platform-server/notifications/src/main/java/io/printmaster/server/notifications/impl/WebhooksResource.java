package io.printmaster.server.notifications.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiException.FieldError;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.Scopes;
import io.printmaster.server.fleets.api.FleetDirectory;
import io.printmaster.server.notifications.api.ServerEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/webhooks}: add, list and remove outgoing webhooks (settings.server.write to change, server-wide;
 * settings.server.read to read) and read a webhook's delivery log. The secret is answered once, when the webhook is
 * created, and never again.
 */
@Component(service = RouteProvider.class)
public class WebhooksResource implements RouteProvider {
    /** The types a webhook gets when the request names none: the notifications and the agents' update outcomes. */
    static final List<String> DEFAULT_EVENTS = List.of(ServerEvent.ROLLOUT_PAUSED, ServerEvent.RELEASE_FAILED,
            ServerEvent.RELEASE_CACHED, ServerEvent.AGENT_OUTCOME);
    static final List<String> KNOWN_EVENTS = List.of(ServerEvent.AGENT_STATUS, ServerEvent.AGENT_OUTCOME,
            ServerEvent.ROLLOUT_PROGRESS, ServerEvent.ROLLOUT_PAUSED, ServerEvent.RELEASE_FAILED,
            ServerEvent.SYNC_PROGRESS, ServerEvent.RELEASE_CACHED);
    static final int MAX_URL = 2000;
    static final int MIN_SECRET = 16;
    static final int MAX_SECRET = 200;
    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 200;

    private final WebhookStore webhooks;
    private final DeliveryStore deliveries;
    private final FleetDirectory fleets;

    @Activate
    public WebhooksResource(@Reference WebhookStore webhooks, @Reference DeliveryStore deliveries,
                            @Reference FleetDirectory fleets) {
        this.webhooks = webhooks;
        this.deliveries = deliveries;
        this.fleets = fleets;
    }

    /** The body of a POST. */
    public record CreateWebhook(String url, List<String> events, String fleet, String secret) {
    }

    @Override
    public List<Route> routes() {
        return List.of(
                Route.get("/api/v1/webhooks", Scopes.SETTINGS_SERVER_READ, this::list),
                Route.post("/api/v1/webhooks", Scopes.SETTINGS_SERVER_WRITE, this::create).asServerWide(),
                Route.delete("/api/v1/webhooks/{id}", Scopes.SETTINGS_SERVER_WRITE, this::delete).asServerWide(),
                Route.get("/api/v1/webhooks/{id}/deliveries", Scopes.SETTINGS_SERVER_READ, this::deliveries));
    }

    ApiResponse list(ApiRequest req) throws Exception {
        return ApiResponse.ok(Map.of("webhooks", webhooks.list().stream().map(Webhook::view).toList()));
    }

    ApiResponse create(ApiRequest req) throws Exception {
        CreateWebhook body = req.body(CreateWebhook.class);
        List<FieldError> errors = new ArrayList<>();
        String url = WebhookUrls.check(body.url(), errors);
        List<String> events = events(body.events(), errors);
        String fleet = body.fleet();
        if (fleet != null && fleets.find(fleet).isEmpty()) {
            errors.add(new FieldError("fleet", "there is no fleet '" + fleet + "'"));
        }
        String secret = body.secret();
        if (secret != null && (secret.length() < MIN_SECRET || secret.length() > MAX_SECRET || secret.isBlank())) {
            errors.add(new FieldError("secret", "'secret' must be " + MIN_SECRET + " to " + MAX_SECRET
                    + " characters, or absent to have one generated"));
        }
        if (!errors.isEmpty()) {
            throw ApiException.invalid(errors);
        }
        String used = secret != null ? secret : webhooks.newSecret();
        Webhook w = webhooks.create(url, events, fleet, used, req.requireCaller().name());
        Map<String, Object> view = new LinkedHashMap<>(w.view());
        // shown this once: it is stored sealed and no route answers it again
        view.put("secret", used);
        return ApiResponse.created(view).header("Location", "/api/v1/webhooks/" + w.id());
    }

    private static List<String> events(List<String> requested, List<FieldError> errors) {
        if (requested == null) {
            return DEFAULT_EVENTS;
        }
        if (requested.isEmpty()) {
            errors.add(new FieldError("events", "'events' must name at least one event type (" + KNOWN_EVENTS
                    + "), or be absent for " + DEFAULT_EVENTS));
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < requested.size(); i++) {
            String type = requested.get(i);
            if (type == null || !KNOWN_EVENTS.contains(type)) {
                errors.add(new FieldError("events[" + i + "]", "unknown event type '" + type + "': expected one of "
                        + KNOWN_EVENTS));
            } else if (!out.contains(type)) {
                out.add(type);
            }
        }
        return out;
    }

    ApiResponse delete(ApiRequest req) throws Exception {
        if (!webhooks.delete(req.pathParam("id"), req.requireCaller().name())) {
            throw ApiException.notFound("webhook");
        }
        return ApiResponse.noContent();
    }

    ApiResponse deliveries(ApiRequest req) throws Exception {
        String id = req.pathParam("id");
        if (webhooks.find(id).isEmpty()) {
            throw ApiException.notFound("webhook");
        }
        int limit = limit(req);
        String cursor = req.query("cursor").orElse(null);
        long before = cursor == null ? Long.MAX_VALUE : decodeCursor(cursor);
        List<DeliveryStore.Delivery> page = deliveries.page(id, before, limit + 1);
        boolean more = page.size() > limit;
        List<DeliveryStore.Delivery> shown = more ? page.subList(0, limit) : page;
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("deliveries", shown.stream().map(WebhooksResource::view).toList());
        answer.put("next_cursor", more ? encodeCursor(shown.get(shown.size() - 1).id()) : null);
        return ApiResponse.ok(answer);
    }

    private static int limit(ApiRequest req) throws ApiException {
        String raw = req.query("limit").orElse(null);
        if (raw == null) {
            return DEFAULT_LIMIT;
        }
        try {
            int limit = Integer.parseInt(raw.trim());
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.invalid("limit", "'limit' must be an integer from 1 to " + MAX_LIMIT);
    }

    static String encodeCursor(long id) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("d:" + id).getBytes(StandardCharsets.UTF_8));
    }

    private static long decodeCursor(String cursor) throws ApiException {
        try {
            String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            if (text.startsWith("d:")) {
                return Long.parseLong(text.substring(2));
            }
        } catch (IllegalArgumentException e) {
            // answered below (NumberFormatException is one)
        }
        throw ApiException.invalid("cursor", "'cursor' is not one this server handed out: pass the next_cursor of the previous page");
    }

    private static Map<String, Object> view(DeliveryStore.Delivery d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", d.id());
        m.put("event_type", d.eventType());
        m.put("state", d.state());
        m.put("attempts", d.attempts());
        m.put("next_attempt_at", DeliveryStore.PENDING.equals(d.state()) ? d.nextAttemptAt().toString() : null);
        m.put("last_status", d.lastStatus());
        m.put("last_error", d.lastError());
        m.put("created_at", d.createdAt().toString());
        m.put("updated_at", d.updatedAt().toString());
        m.put("delivered_at", d.deliveredAt() == null ? null : d.deliveredAt().toString());
        return m;
    }
}
