package io.printmaster.server.selfupdate.impl;

import io.printmaster.store.Database;
import java.util.Optional;
import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The hot-swap gate's last check, fitted to the server. The shared engine ends its gate with the Felix Health Checks
 * tagged {@code printmaster.server-reachable} (on an agent: a check-in with its server succeeds); on the server the
 * equivalent is "this server serves": the database up and every PrintMaster bundle and component up
 * ({@link ServerHealth}). Registered by the selfupdate bundle, so a swap that replaces it waits for the new revision's.
 */
@Component(service = HealthCheck.class, property = {
    HealthCheck.NAME + "=" + ServerServesCheck.NAME,
    // the tag the engine's gate selects by (HealthCheckTags.SERVER_REACHABLE of the agent's update API)
    HealthCheck.TAGS + "=printmaster.server-reachable"})
public class ServerServesCheck implements HealthCheck {
    static final String NAME = "printmaster-server-serves";

    @Reference(policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile Database database;

    private final ServerHealth health;

    @Activate
    public ServerServesCheck(BundleContext context) {
        this.health = new ServerHealth(context);
    }

    @Override
    public Result execute() {
        Optional<String> problem = health.problem(database);
        return problem.map(p -> new Result(Result.Status.CRITICAL, "the server does not serve: " + p))
                .orElseGet(() -> new Result(Result.Status.OK, "the server serves"));
    }
}
