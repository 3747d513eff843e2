package io.printmaster.server.selfupdate.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.JsonTypes;
import io.printmaster.http.api.PageLimit;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.Scopes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's self-update over HTTP: its state and policy ({@code GET /api/v1/server/update}), the policy
 * ({@code PUT …/policy}), a run now ({@code POST …/run}) and the run history ({@code GET …/runs}, newest first,
 * paged). Reads need {@code settings.server.read}, writes {@code settings.server.write} and are server-wide.
 */
@Component(service = RouteProvider.class)
public class SelfUpdateResource implements RouteProvider {
    private static final Logger LOG = LoggerFactory.getLogger(SelfUpdateResource.class);
    static final int DEFAULT_LIMIT = 20;
    static final int MAX_LIMIT = 100;

    /** The runs page as the API description shows it. */
    public record RunView(String runId, String fromVersion, String toVersion, String status, String errorCode,
                          String errorMessage, String startedAt, String finishedAt, String mode, String triggeredBy) {
    }

    /** The policy as the API description shows it. */
    public record PolicyView(String cadence, String versionPinStrategy, Boolean allowMajorUpgrade, String targetVersion,
                             String channel) {
    }

    /** The body of {@code PUT …/policy}. */
    public record PolicyBody(PolicyView policy) {
    }

    /** The release a run would install now. */
    public record AvailableView(String version, String releaseNotes, String releaseNotesHtml) {
    }

    /** {@code GET /api/v1/server/update}. */
    public record StatusView(String currentVersion, String channel, String platform, PolicyView policy, String state,
                             RunView activeRun, String nextCheckAt, String lastCheckAt, AvailableView available,
                             Boolean selfUpdateEnabled, String disabledCode, String disabledReason) {
    }

    private final SelfUpdateService service;

    @Activate
    public SelfUpdateResource(@Reference SelfUpdateService service) {
        this.service = service;
    }

    @Override
    public List<Route> routes() {
        return List.of(
                Route.get("/api/v1/server/update", Scopes.SETTINGS_SERVER_READ, this::status)
                        .doc("The server's self-update state", "The running version, the policy, the state (the "
                                + "active run's status, or `idle`), when the next scheduled check is due, the release a "
                                + "run would install now with its notes, and whether self-update is possible here "
                                + "(`self_update_enabled`; when not, `disabled_code` CONTAINER, SELF_UPDATE_DISABLED or "
                                + "NOT_INSTALLED and `disabled_reason` saying how to update instead).")
                        .returns(StatusView.class),
                Route.put("/api/v1/server/update/policy", Scopes.SETTINGS_SERVER_WRITE, this::putPolicy).asServerWide()
                        .doc("Change the self-update policy", "`{\"policy\":{…}}`: `cadence` disabled|daily|weekly|"
                                + "monthly, `version_pin_strategy` major|minor|patch, `allow_major_upgrade`, "
                                + "`target_version` (an exact version, null for none), `channel` stable|beta|alpha. "
                                + "Members left out keep their value. Invalid members are 400 naming each field; "
                                + "nothing changes then. Audited.")
                        .accepts(PolicyBody.class).returns(JsonTypes.object("policy", PolicyView.class)),
                Route.post("/api/v1/server/update/run", Scopes.SETTINGS_SERVER_WRITE, this::run).asServerWide()
                        .doc("Update the server now", "Starts a run: check, download, verify, stage, apply. 202 "
                                + "`{\"run_id\"}`; follow it in `GET /api/v1/server/update/runs`. 409 `update_running` "
                                + "(naming the active run) while one goes on; 409 `self_update_disabled` when this server "
                                + "may not update itself (in a container, PM_DISABLE_SELFUPDATE, not installed from a "
                                + "release archive), naming why. Audited.")
                        .returns(202, JsonTypes.object("run_id", String.class)),
                Route.get("/api/v1/server/update/runs", Scopes.SETTINGS_SERVER_READ, this::runs)
                        .doc("The server's update runs, newest first", "Paged: follow `next_cursor` until it is "
                                + "null. The newest " + SelfUpdateStore.KEEP_RUNS + " runs are kept.")
                        .query("limit", "page size (1-" + MAX_LIMIT + ", default " + DEFAULT_LIMIT + ")")
                        .query("cursor", "the `next_cursor` of the previous page")
                        .returns(JsonTypes.objectWithList("runs", RunView.class).andNullable("next_cursor", String.class)));
    }

    ApiResponse status(ApiRequest req) throws Exception {
        SelfUpdateStore.PolicyRow row = service.policy();
        Optional<UpdateRun> active = service.activeRun();
        SelfUpdateAvailability availability = service.availability();
        Map<String, Object> body = new LinkedHashMap<>();
        UpdateOrchestrator.Setup setup = service.setup();
        body.put("current_version", setup.running().toString());
        body.put("channel", row.policy().channel().wireName());
        body.put("platform", setup.platform() == null ? null
                : setup.platform().os().wireName() + "-" + setup.platform().arch().wireName());
        body.put("policy", row.policy().json());
        body.put("state", active.map(UpdateRun::status).orElse("idle"));
        body.put("active_run", active.map(UpdateRun::json).orElse(null));
        body.put("next_check_at", service.nextCheckAt(row));
        body.put("last_check_at", row.lastCheckAt());
        Map<String, Object> available = null;
        try {
            Optional<CandidateSelection.Candidate> c = service.available(row.policy());
            if (c.isPresent()) {
                available = new LinkedHashMap<>();
                available.put("version", c.get().artifact().version());
                available.put("release_notes", c.get().notes() == null ? null : c.get().notes().markdown());
                available.put("release_notes_html", c.get().notes() == null ? null : c.get().notes().html());
            }
        } catch (java.sql.SQLException e) {
            LOG.warn("cannot read the release catalog for the server's update state: {}", e.toString());
        }
        body.put("available", available);
        body.put("self_update_enabled", availability.enabled());
        body.put("disabled_code", availability.code());
        body.put("disabled_reason", availability.reason());
        return ApiResponse.ok(body);
    }

    ApiResponse putPolicy(ApiRequest req) throws Exception {
        UpdatePolicy current = service.policy().policy();
        UpdatePolicy next = PolicyInput.apply(req.body(), current, service.setup().running());
        service.savePolicy(next, req.requireCaller().name());
        return ApiResponse.ok(Map.of("policy", next.json()));
    }

    ApiResponse run(ApiRequest req) throws Exception {
        byte[] raw = req.body();
        if (raw.length > 0 && !new String(raw, StandardCharsets.UTF_8).strip().matches("\\{\\s*}|")) {
            throw ApiException.invalid("body", "POST /api/v1/server/update/run takes no body (or {}): the policy "
                    + "decides what is installed");
        }
        try {
            UpdateRun run = service.startRun(req.requireCaller().name());
            return ApiResponse.status(202, Map.of("run_id", run.runId()));
        } catch (SelfUpdateService.DisabledException e) {
            throw new ApiException(409, "self_update_disabled", "self-update is off on this server (" + e.code()
                    + "): " + e.getMessage());
        } catch (SelfUpdateStore.ActiveRunException e) {
            UpdateRun active = e.active();
            ApiException conflict = new ApiException(409, "update_running", active == null ? e.getMessage()
                    + ": try again in a minute" : "update run " + active.runId() + " is " + active.status()
                    + ": wait until it ends", "run_id");
            throw conflict;
        }
    }

    ApiResponse runs(ApiRequest req) throws Exception {
        int limit = PageLimit.of(req, DEFAULT_LIMIT, MAX_LIMIT);
        Long before = req.query("cursor").isPresent() ? decodeCursor(req.query("cursor").get()) : null;
        List<UpdateRun> page = service.runs(before, limit);
        List<Map<String, Object>> out = new ArrayList<>();
        for (UpdateRun r : page) {
            out.add(r.json());
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("runs", out);
        body.put("next_cursor", page.size() == limit ? encodeCursor(page.get(page.size() - 1).seq()) : null);
        return ApiResponse.ok(body);
    }

    /** Opaque to callers: the sequence number of the last run of the page. */
    static String encodeCursor(long seq) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("run:" + seq).getBytes(StandardCharsets.UTF_8));
    }

    static long decodeCursor(String cursor) throws ApiException {
        try {
            String plain = new String(Base64.getUrlDecoder().decode(cursor.strip()), StandardCharsets.UTF_8);
            if (plain.startsWith("run:")) {
                return Long.parseLong(plain.substring(4));
            }
        } catch (RuntimeException e) {
            // answered below
        }
        throw ApiException.invalid("cursor", "cursor is not one this server handed out: pass next_cursor as it was");
    }
}
