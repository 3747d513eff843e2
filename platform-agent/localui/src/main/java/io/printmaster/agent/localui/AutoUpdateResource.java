package io.printmaster.agent.localui;

import io.printmaster.agent.config.api.AgentConfiguration;
import io.printmaster.agent.config.api.AgentSettings;
import io.printmaster.agent.config.api.ConfigError;
import io.printmaster.agent.update.api.RunResult;
import io.printmaster.agent.update.api.RunState;
import io.printmaster.agent.update.api.RunningRelease;
import io.printmaster.agent.update.api.TriggerRefusedException;
import io.printmaster.agent.update.api.TriggerResult;
import io.printmaster.agent.update.api.UpdateWorker;
import io.printmaster.agent.update.api.WorkerStatus;
import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The agent's local auto-update API:
 * <ul>
 * <li>{@code GET /api/autoupdate/status}: settings, the policy in force and its source, and what the update worker
 * is doing;</li>
 * <li>{@code POST /api/autoupdate/check}: ask the worker to check now;</li>
 * <li>{@code POST /api/autoupdate/force}: ask it to update now, ignoring window and cadence (needs
 * {@code allow_local_override}).</li>
 * </ul>
 * The routes are {@link Route#PUBLIC}: the agent's HTTP listens on 127.0.0.1 only, so "public" means "any local
 * user", and {@link LoopbackGuard} turns away requests a browser was tricked into sending. Without an update worker
 * the trigger routes answer 503 {@code worker_unavailable}: nothing pretends to run.
 */
@Component(service = RouteProvider.class)
public class AutoUpdateResource implements RouteProvider {
    static final String STATUS = "/api/autoupdate/status";
    static final String CHECK = "/api/autoupdate/check";
    static final String FORCE = "/api/autoupdate/force";

    private final AgentConfiguration configuration;
    private final String currentVersion;
    private final AtomicReference<UpdateWorker> worker = new AtomicReference<>();

    @Activate
    public AutoUpdateResource(@Reference AgentConfiguration configuration, BundleContext context) {
        this(configuration, context.getProperty("pm.version"));
    }

    AutoUpdateResource(AgentConfiguration configuration, String currentVersion) {
        this.configuration = configuration;
        this.currentVersion = currentVersion;
    }

    /** The enrollment, when the enrollment bundle runs: where an installer-installed agent's server is. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile io.printmaster.agent.enrollment.api.Enrollment enrollment;

    /** The highest ranked worker; a better one replaces it as soon as it appears (greedy). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setWorker(UpdateWorker w) {
        worker.set(w);
    }

    void unsetWorker(UpdateWorker w) {
        // DS binds the replacement before unbinding the old one: only clear what is still ours
        worker.compareAndSet(w, null);
    }

    /** A hot swap changes the running release without a restart: ask the service that knows, when it runs. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile RunningRelease runningRelease;

    String runningVersion() {
        RunningRelease r = runningRelease;
        return r != null ? r.version() : currentVersion;
    }

    @Override
    public List<Route> routes() {
        return List.of(
                Route.get(STATUS, Route.PUBLIC, this::status),
                Route.post(CHECK, Route.PUBLIC, req -> trigger(req, false)),
                Route.post(FORCE, Route.PUBLIC, req -> trigger(req, true)));
    }

    ApiResponse status(ApiRequest request) throws ApiException {
        LoopbackGuard.requireLocalRequest(request);
        AgentSettings settings = configuration.current();
        UpdateWorker w = worker.get();
        WorkerStatus ws = w != null ? w.status() : null;

        Map<String, Object> body = new LinkedHashMap<>();
        body.put("enabled", settings.updatesEnabled());
        body.put("policy_source", settings.policySource().wireName());
        body.put("current_version", runningVersion());
        body.put("latest_version", ws != null ? ws.latestVersion() : null);
        body.put("status", ws != null ? ws.state().wireName() : RunState.IDLE.wireName());
        body.put("last_check_at", ws != null ? ws.lastCheckAt() : null);
        body.put("next_check_at", ws != null ? ws.nextCheckAt() : null);
        body.put("last_result", ws != null && ws.lastResult() != null ? result(ws.lastResult()) : null);
        body.put("worker_installed", w != null);
        // an agent from an installer knows its server from etc/fleet.json, not from these settings: say where it
        // enrolled, so the page does not call an enrolled agent "not configured"
        var enrolled = Optional.ofNullable(enrollment).flatMap(io.printmaster.agent.enrollment.api.Enrollment::current);
        // the id the server and its console know this agent by; the local UUID is only this installation's
        body.put("agent_id", enrolled.map(io.printmaster.agent.enrollment.api.EnrolledAgent::agentId).orElse(null));
        body.put("local_id", settings.agentId().orElse(null));
        body.put("configured", settings.configured() || enrolled.isPresent());
        body.put("server_url", enrolled.map(e -> e.serverUrl().toString())
                .orElse(settings.serverUrl().map(URI::toString).orElse(null)));
        body.put("fleet", enrolled.map(io.printmaster.agent.enrollment.api.EnrolledAgent::fleetId)
                .orElse(settings.fleet().orElse(null)));
        // the token itself never leaves the agent's configuration
        body.put("join_token_set", settings.joinTokenSet());
        body.put("mode", settings.mode().wireName());
        body.put("allow_local_override", settings.allowLocalOverride());
        // the policy in force, in its wire format (the same document as a fleet's policy on the server)
        body.put("policy", settings.policy().orElse(null));
        body.put("config_errors", settings.errors().stream().map(AutoUpdateResource::error).toList());
        return ApiResponse.ok(body);
    }

    ApiResponse trigger(ApiRequest request, boolean force) throws ApiException {
        LoopbackGuard.requireLocalChange(request, "update actions are");
        UpdateWorker w = worker.get();
        if (w == null) {
            throw new ApiException(503, "worker_unavailable", "the update worker is not installed on this agent, "
                    + "so it cannot " + (force ? "force an update" : "check for updates") + "; nothing was started");
        }
        if (force && !configuration.current().allowLocalOverride()) {
            throw new ApiException(403, "local_override_disabled", "forcing an update overrides the policy's window "
                    + "and cadence, and local overrides are off; set allow_local_override=true in "
                    + "etc/" + AgentConfiguration.PID + ".cfg to allow it");
        }
        TriggerResult started;
        try {
            started = force ? w.force() : w.check();
        } catch (TriggerRefusedException e) {
            throw new ApiException(409, e.code(), e.getMessage());
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("run_id", started.runId());
        body.put("status", started.state().wireName());
        return ApiResponse.status(202, body);
    }

    private static Map<String, Object> result(RunResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("run_id", r.runId());
        m.put("status", r.state().wireName());
        m.put("target_version", r.targetVersion());
        m.put("error_code", r.errorCode());
        m.put("error_message", r.errorMessage());
        m.put("finished_at", r.finishedAt());
        return m;
    }

    private static Map<String, Object> error(ConfigError e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("field", e.field());
        m.put("message", e.message());
        return m;
    }
}
