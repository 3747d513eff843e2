package io.printmaster.http.api;

import java.util.List;
import java.util.Set;

/**
 * The API token scopes, and the agent scope. Names are part of the public interface: tools outside the repository
 * use them.
 */
public final class Scopes {
    public static final String RELEASES_READ = "releases.read";
    public static final String RELEASES_WRITE = "releases.write";
    public static final String FLEETS_READ = "fleets.read";
    public static final String FLEETS_WRITE = "fleets.write";
    public static final String INSTALLERS_DOWNLOAD = "installers.download";
    public static final String AGENTS_READ = "agents.read";
    public static final String AGENTS_WRITE = "agents.write";
    public static final String SETTINGS_SERVER_READ = "settings.server.read";
    public static final String SETTINGS_SERVER_WRITE = "settings.server.write";
    public static final String AUDIT_READ = "audit.read";
    /** Staged rollouts: list and read (since 1.6). */
    public static final String ROLLOUTS_READ = "rollouts.read";
    /** Staged rollouts: create, approve, pause, resume, abort, roll back (since 1.6). */
    public static final String ROLLOUTS_WRITE = "rollouts.write";
    /** Prometheus metrics at {@code GET /metrics} (since 1.7). */
    public static final String METRICS_READ = "metrics.read";

    /**
     * Held only by an enrolled agent presenting its credential ({@code Authorization: Bearer pma_…}), for the agent
     * routes (check-in, update downloads). Not in {@link #ORDERED} / {@link #ALL}: those are the scopes an
     * administrator may grant to API tokens and that the console session holds, and neither may act as an agent.
     */
    public static final String AGENT = "agent";

    /** Every scope an API token can be granted, in documentation order ({@link #AGENT} is not one). */
    public static final List<String> ORDERED = List.of(RELEASES_READ, RELEASES_WRITE, FLEETS_READ, FLEETS_WRITE,
            INSTALLERS_DOWNLOAD, AGENTS_READ, AGENTS_WRITE, ROLLOUTS_READ, ROLLOUTS_WRITE, SETTINGS_SERVER_READ,
            SETTINGS_SERVER_WRITE, AUDIT_READ, METRICS_READ);

    /** The grantable scopes of {@link #ORDERED}, as a set. */
    public static final Set<String> ALL = Set.copyOf(ORDERED);

    /** Whether a route may declare this as its access: a grantable scope or {@link #AGENT}. */
    public static boolean isRouteScope(String scope) {
        return ALL.contains(scope) || AGENT.equals(scope);
    }

    private Scopes() {
    }
}
