package io.printmaster.server.fleets.impl;

import io.printmaster.core.policy.PolicyValidator;
import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.core.policy.Violation;
import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Caller;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.Scopes;
import io.printmaster.server.fleets.api.EffectivePolicy;
import java.util.List;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/update-policies/{fleet-id|global}}: read, replace and (for a fleet) drop the update policy. A PUT
 * carries the whole policy; every problem is answered with 400 naming its field ({@code policy.maintenance_window.timezone})
 * and nothing is saved.
 */
@Component(service = RouteProvider.class)
public class PoliciesResource implements RouteProvider {
    static final String GLOBAL = "global";

    private final FleetStore store;

    @Activate
    public PoliciesResource(@Reference FleetStore store) {
        this.store = store;
    }

    /** The body of a PUT: the policy under a {@code policy} key, so the document can grow without breaking clients. */
    public record PolicyDocument(UpdatePolicy policy) {
    }

    @Override
    public List<Route> routes() {
        return List.of(
                Route.get("/api/v1/update-policies/{scope}", Scopes.FLEETS_READ, this::get)
                        .doc("Read the update policy in force for a fleet (or `global`)").returns(EffectivePolicy.class),
                Route.put("/api/v1/update-policies/{scope}", Scopes.FLEETS_WRITE, this::put)
                        .doc("Set a fleet's own update policy").accepts(PolicyDocument.class).returns(EffectivePolicy.class),
                // the literal path beats {scope}, so the global policy is one route the dispatcher can guard
                Route.put("/api/v1/update-policies/" + GLOBAL, Scopes.FLEETS_WRITE, req -> save(req, GLOBAL)).asServerWide()
                        .doc("Set the global update policy").accepts(PolicyDocument.class).returns(EffectivePolicy.class),
                Route.delete("/api/v1/update-policies/{scope}", Scopes.FLEETS_WRITE, this::inherit)
                        .doc("Drop a fleet's own policy: it inherits the global one").returns(EffectivePolicy.class));
    }

    private ApiResponse get(ApiRequest req) throws Exception {
        String scope = req.pathParam("scope");
        if (GLOBAL.equals(scope)) {
            return ApiResponse.ok(store.globalPolicy());
        }
        requireVisibleFleet(req.requireCaller(), scope);
        return ApiResponse.ok(store.effectivePolicy(scope));
    }

    ApiResponse put(ApiRequest req) throws Exception {
        return save(req, req.pathParam("scope"));
    }

    /** Fleet-restricted callers never reach this for the global scope: its route is server-wide. */
    private ApiResponse save(ApiRequest req, String scope) throws Exception {
        Caller caller = req.requireCaller();
        if (!GLOBAL.equals(scope)) {
            requireVisibleFleet(caller, scope);
        }
        PolicyDocument doc = req.body(PolicyDocument.class);
        if (doc.policy() == null) {
            throw ApiException.invalid("policy", "field 'policy' is required");
        }
        List<Violation> violations = PolicyValidator.validate(doc.policy());
        if (!violations.isEmpty()) {
            throw ApiException.invalid(violations.stream()
                    .map(v -> new ApiException.FieldError("policy." + v.field(), v.message())).toList());
        }
        EffectivePolicy saved = store.savePolicy(GLOBAL.equals(scope) ? null : scope, doc.policy(), caller.name())
                .orElseThrow(() -> ApiException.notFound("fleet"));
        return ApiResponse.ok(saved);
    }

    private ApiResponse inherit(ApiRequest req) throws Exception {
        String scope = req.pathParam("scope");
        if (GLOBAL.equals(scope)) {
            throw new ApiException(405, "method_not_allowed", "the global policy cannot be deleted; PUT a new one instead");
        }
        requireVisibleFleet(req.requireCaller(), scope);
        EffectivePolicy now = store.inheritGlobal(scope, req.requireCaller().name())
                .orElseThrow(() -> ApiException.notFound("fleet"));
        return ApiResponse.ok(now);
    }

    private void requireVisibleFleet(Caller caller, String fleetId) throws Exception {
        if (!caller.canSeeFleet(fleetId) || store.find(fleetId).isEmpty()) {
            throw ApiException.notFound("fleet");
        }
    }
}
