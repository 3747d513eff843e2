package io.printmaster.server.agents.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.Authenticator;
import io.printmaster.http.api.Caller;
import io.printmaster.http.api.Scopes;
import java.sql.SQLException;
import java.util.Optional;
import java.util.Set;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code Authorization: Bearer pma_…}: an enrolled agent, restricted to its fleet, holding only
 * {@link Scopes#AGENT}. An unknown or revoked credential is a 401, never a fall-through to anonymous.
 */
@Component(service = Authenticator.class)
public class AgentAuthenticator implements Authenticator {
    /** Caller names of agents: this prefix and the agent id (audit entries and handlers read it back). */
    static final String CALLER_PREFIX = "agent:";

    private final AgentStore agents;
    private final CheckInCaches caches;

    /** Without a cache: every request looks the credential up. */
    AgentAuthenticator(AgentStore agents) {
        this(agents, CheckInCaches.none());
    }

    @Activate
    public AgentAuthenticator(@Reference AgentStore agents, @Reference CheckInCaches caches) {
        this.agents = agents;
        this.caches = caches;
    }

    /**
     * The agent holding the credential: from this replica's cache when it was looked up before (a revocation drops
     * it, {@link CheckInCaches#AGENT_CREDENTIAL}), else from the database. Only agents found are cached, by the
     * credential's hash (never the credential).
     */
    private Optional<AgentRecord> lookUp(String credential) throws SQLException {
        String hash = AgentSecrets.sha256Hex(credential);
        Optional<AgentRecord> cached = caches.credentials.peek(hash);
        if (cached != null) {
            return cached;
        }
        long generation = caches.credentials.generation();
        Optional<AgentRecord> found = agents.authenticate(credential);
        if (found.isPresent()) {
            caches.credentials.put(hash, found, generation);
        }
        return found;
    }

    @Override
    public Optional<Caller> authenticate(RequestCredentials credentials) throws ApiException {
        Optional<String> bearer = credentials.bearerToken();
        if (bearer.isEmpty() || !bearer.get().startsWith(AgentSecrets.CREDENTIAL_PREFIX)) {
            return Optional.empty();
        }
        try {
            AgentRecord agent = lookUp(bearer.get())
                    .orElseThrow(() -> ApiException.unauthorized("the agent credential is unknown or revoked; enroll again"));
            return Optional.of(caller(agent));
        } catch (SQLException e) {
            throw new IllegalStateException("agent credential lookup failed", e);
        }
    }

    static Caller caller(AgentRecord agent) {
        return new Caller(CALLER_PREFIX + agent.id(), Caller.Kind.AGENT, Set.of(Scopes.AGENT),
                Optional.of(Set.of(agent.fleet())), Optional.empty());
    }

    /** The agent id of an agent caller. */
    static String agentId(Caller caller) throws ApiException {
        if (caller.kind() != Caller.Kind.AGENT || !caller.name().startsWith(CALLER_PREFIX)) {
            throw ApiException.forbidden("only an enrolled agent may do this");
        }
        return caller.name().substring(CALLER_PREFIX.length());
    }
}
