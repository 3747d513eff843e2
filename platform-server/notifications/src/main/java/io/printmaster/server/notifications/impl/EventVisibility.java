package io.printmaster.server.notifications.impl;

import io.printmaster.http.api.Caller;
import io.printmaster.http.api.Scopes;
import io.printmaster.server.notifications.api.ServerEvent;
import java.util.List;

/**
 * Which events a caller of {@code GET /api/v1/events} receives: those its scopes let it read ({@code agent.*}
 * agents.read, {@code rollout.*} rollouts.read, {@code sync.*} and {@code release.*} releases.read, {@code server.*}
 * (the server's own update runs) settings.server.read; other types
 * nobody, until someone decides who may read them), and, for a caller restricted to some fleets, only the events of
 * those fleets. An event of several fleets (a rollout; {@code fleet} null, {@code fleets} in its data) is seen only
 * when the caller may see every one of them, as the rollouts API shows it; a server-wide event (no fleet at all) is
 * seen by everyone with the scope.
 */
final class EventVisibility {
    private EventVisibility() {
    }

    static boolean visible(Caller caller, ServerEvent e) {
        String scope = scopeFor(e.type());
        if (scope == null || !caller.hasScope(scope)) {
            return false;
        }
        if (caller.fleets().isEmpty()) {
            return true;
        }
        if (e.fleet() != null) {
            return caller.canSeeFleet(e.fleet());
        }
        Object fleets = e.data().get("fleets");
        if (fleets instanceof List<?> list && !list.isEmpty()) {
            return list.stream().allMatch(f -> f instanceof String s && caller.canSeeFleet(s));
        }
        return true;
    }

    /** The scope that reads events of this type; null for a type no scope reads. */
    static String scopeFor(String type) {
        if (type.startsWith("agent.")) {
            return Scopes.AGENTS_READ;
        }
        if (type.startsWith("rollout.")) {
            return Scopes.ROLLOUTS_READ;
        }
        if (type.startsWith("sync.") || type.startsWith("release.")) {
            return Scopes.RELEASES_READ;
        }
        if (type.startsWith("server.")) {
            return Scopes.SETTINGS_SERVER_READ;
        }
        return null;
    }
}
