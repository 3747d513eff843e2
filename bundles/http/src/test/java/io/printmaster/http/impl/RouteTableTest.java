package io.printmaster.http.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.Scopes;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RouteTableTest {
    private static final Route.Handler OK = req -> ApiResponse.noContent();
    private final Route byId = Route.get("/api/v1/update-policies/{scope}", Scopes.FLEETS_READ, OK);
    private final Route global = Route.get("/api/v1/update-policies/global", Scopes.SETTINGS_SERVER_READ, OK);
    private final Route put = Route.put("/api/v1/update-policies/{scope}", Scopes.FLEETS_WRITE, OK);
    private final RouteTable table = new RouteTable(List.of(byId, put, global));

    @Test
    void literalSegmentsWinOverParameters() {
        assertEquals(global, table.match("GET", "/api/v1/update-policies/global").orElseThrow().route());
        RouteTable.Match m = table.match("GET", "/api/v1/update-policies/lab").orElseThrow();
        assertEquals(byId, m.route());
        assertEquals(Map.of("scope", "lab"), m.params());
    }

    @Test
    void methodsAndTrailingSlashes() {
        assertEquals(put, table.match("PUT", "/api/v1/update-policies/lab/").orElseThrow().route());
        assertTrue(table.match("DELETE", "/api/v1/update-policies/lab").isEmpty());
        assertEquals(Set.of("GET", "PUT"), table.methodsFor("/api/v1/update-policies/lab"));
        assertTrue(table.match("GET", "/api/v1/update-policies").isEmpty());
        assertTrue(table.match("GET", "/api/v1/update-policies//").isEmpty(), "empty parameters do not match");
    }

    @Test
    void routesMustDeclareKnownAccess() {
        assertThrows(IllegalArgumentException.class, () -> Route.get("/api/v1/x", "fleets.admin", OK));
        assertThrows(IllegalArgumentException.class, () -> Route.get("/v1/x", Route.PUBLIC, OK));
        assertThrows(NullPointerException.class, () -> new Route("GET", "/api/v1/x", null, OK));
    }
}
