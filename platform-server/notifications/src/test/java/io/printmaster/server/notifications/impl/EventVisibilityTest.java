package io.printmaster.server.notifications.impl;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.http.api.Caller;
import io.printmaster.http.api.Scopes;
import io.printmaster.server.notifications.api.ServerEvent;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Who sees which event on the live stream: by scope, and by fleet for callers restricted to some. */
class EventVisibilityTest {
    private static Caller caller(Set<String> scopes, Set<String> fleets) {
        return new Caller("t", Caller.Kind.TOKEN, scopes, Optional.ofNullable(fleets), Optional.empty());
    }

    private static ServerEvent event(String type, String fleet, Map<String, Object> data) {
        return new ServerEvent(type, Instant.now(), fleet, data);
    }

    @Test
    void eachTypeNeedsTheScopeThatReadsIt() {
        Caller agentsOnly = caller(Set.of(Scopes.AGENTS_READ), null);
        assertTrue(EventVisibility.visible(agentsOnly, event(ServerEvent.AGENT_STATUS, "a", Map.of())));
        assertFalse(EventVisibility.visible(agentsOnly, event(ServerEvent.ROLLOUT_PAUSED, "a", Map.of())));
        assertFalse(EventVisibility.visible(agentsOnly, event(ServerEvent.RELEASE_CACHED, null, Map.of())));
        assertFalse(EventVisibility.visible(agentsOnly, event("something.new", null, Map.of())), "unknown types: nobody");
        assertFalse(EventVisibility.visible(agentsOnly, event("server.update", null, Map.of())),
                "the server's own update runs need settings.server.read");
        assertTrue(EventVisibility.visible(caller(Set.of(Scopes.SETTINGS_SERVER_READ), null),
                event("server.update", null, Map.of("status", "staging"))));
        Caller all = caller(Set.copyOf(Scopes.ORDERED), null);
        assertTrue(EventVisibility.visible(all, event(ServerEvent.SYNC_PROGRESS, null, Map.of())));
        assertTrue(EventVisibility.visible(all, event(ServerEvent.ROLLOUT_PROGRESS, null, Map.of("fleets", List.of("a", "b")))));
    }

    @Test
    void aRestrictedCallerSeesItsFleetsAndServerWideEventsOnly() {
        Caller onlyA = caller(Set.copyOf(Scopes.ORDERED), Set.of("a"));
        assertTrue(EventVisibility.visible(onlyA, event(ServerEvent.AGENT_OUTCOME, "a", Map.of())));
        assertFalse(EventVisibility.visible(onlyA, event(ServerEvent.AGENT_OUTCOME, "b", Map.of())));
        assertTrue(EventVisibility.visible(onlyA, event(ServerEvent.RELEASE_CACHED, null, Map.of())), "server-wide");
        assertTrue(EventVisibility.visible(onlyA, event(ServerEvent.ROLLOUT_PROGRESS, null, Map.of("fleets", List.of("a")))));
        assertFalse(EventVisibility.visible(onlyA, event(ServerEvent.ROLLOUT_PROGRESS, null, Map.of("fleets", List.of("a", "b")))),
                "a rollout of a and b is not all a's");
    }
}
