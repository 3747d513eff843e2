package io.printmaster.http.api;

import java.util.Optional;
import java.util.Set;

/**
 * Who is making a request, as established by the {@link Authenticator}.
 *
 * @param name user or token name, recorded in the audit log
 * @param kind how the caller authenticated
 * @param scopes scopes granted; the admin session holds them all
 * @param fleets when present, the only fleets this caller may see; others must look absent (404)
 * @param csrfToken for session callers, the token state-changing requests must echo in {@code X-CSRF-Token}
 */
public record Caller(String name, Kind kind, Set<String> scopes, Optional<Set<String>> fleets, Optional<String> csrfToken) {

    public enum Kind { SESSION, TOKEN, AGENT }

    public Caller {
        scopes = Set.copyOf(scopes);
        fleets = fleets.map(Set::copyOf);
    }

    public boolean hasScope(String scope) {
        return scopes.contains(scope);
    }

    /** False when a fleet restriction exists and does not name this fleet; answer 404 then, never 403. */
    public boolean canSeeFleet(String fleetId) {
        return fleets.map(allowed -> allowed.contains(fleetId)).orElse(true);
    }
}
