package io.printmaster.agent.localui;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.printmaster.agent.config.api.AgentConfiguration;
import io.printmaster.agent.config.api.AgentSettings;
import io.printmaster.agent.config.api.LocalOverrideDisabledException;
import io.printmaster.agent.config.api.LocalPolicyStore;
import io.printmaster.agent.config.api.PolicySource;
import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.core.policy.Violation;
import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's local policy on its local page: {@code GET /api/autoupdate/local-policy} shows it and whether it may be
 * changed here; {@code PUT} replaces it when {@code allow_local_override} is on, checked by the server's own
 * validator (the same field errors as {@code PUT /api/v1/update-policies/{scope}}: 400 {@code invalid_field} with
 * {@code policy.<field>} in {@code details}), written atomically and in force at once. With local overrides off the
 * PUT is 403 {@code local_override_disabled} and nothing is written. Loopback only, and a change only from this
 * machine's own page or a local tool ({@link LoopbackGuard}), like the other update actions.
 */
@Component(service = RouteProvider.class)
public class LocalPolicyResource implements RouteProvider {
    private static final Logger LOG = LoggerFactory.getLogger(LocalPolicyResource.class);
    static final String PATH = "/api/autoupdate/local-policy";

    /** Why the page is read-only while {@code allow_local_override} is off; also the 403's message. */
    static final String DISABLED = "local override is disabled (allow_local_override is not true in etc/"
            + AgentConfiguration.PID + ".cfg), so this page cannot change the local policy";

    /** The body of a PUT, as the server's policy routes take it: {@code {"policy": {…}}}. */
    record PolicyDocument(@JsonProperty("policy") UpdatePolicy policy) {
    }

    private final AgentConfiguration configuration;
    private final LocalPolicyStore store;

    @Activate
    public LocalPolicyResource(@Reference AgentConfiguration configuration, @Reference LocalPolicyStore store) {
        this.configuration = configuration;
        this.store = store;
    }

    @Override
    public List<Route> routes() {
        return List.of(
                Route.get(PATH, Route.PUBLIC, this::get),
                Route.put(PATH, Route.PUBLIC, this::put));
    }

    ApiResponse get(ApiRequest request) throws ApiException {
        LoopbackGuard.requireLocalRequest(request);
        return ApiResponse.ok(view());
    }

    ApiResponse put(ApiRequest request) throws ApiException {
        LoopbackGuard.requireLocalChange(request, "changes of the local policy are");
        if (!configuration.current().allowLocalOverride()) {
            throw new ApiException(403, "local_override_disabled", DISABLED);
        }
        PolicyDocument doc = request.body(PolicyDocument.class);
        if (doc == null || doc.policy() == null) {
            throw ApiException.invalid("policy", "field 'policy' is required");
        }
        List<Violation> violations;
        try {
            violations = store.save(doc.policy());
        } catch (LocalOverrideDisabledException e) {
            // the settings changed between the check above and the save: the store decides, fail closed
            throw new ApiException(403, "local_override_disabled", DISABLED);
        } catch (IOException e) {
            LOG.error("cannot save the local policy: {}", e.toString());
            throw new ApiException(500, "write_failed", "the local policy could not be written (" + e.getMessage()
                    + "); the previous one stays in force");
        }
        if (!violations.isEmpty()) {
            throw ApiException.invalid(violations.stream()
                    .map(v -> new ApiException.FieldError("policy." + v.field(), v.message())).toList());
        }
        return ApiResponse.ok(view());
    }

    /** The local policy, whether this page may change it (and why not), and whether it is the policy in force. */
    private Map<String, Object> view() {
        AgentSettings settings = configuration.current();
        boolean editable = settings.allowLocalOverride();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("policy", store.localPolicy().orElse(null));
        body.put("editable", editable);
        body.put("reason", editable ? null : DISABLED);
        body.put("policy_source", settings.policySource().wireName());
        body.put("in_force", settings.policySource() == PolicySource.LOCAL
                || settings.policySource() == PolicySource.LOCAL_FALLBACK);
        return body;
    }
}
