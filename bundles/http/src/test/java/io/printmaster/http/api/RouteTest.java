package io.printmaster.http.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RouteTest {
    private static final Route.Handler OK = req -> ApiResponse.noContent();

    @Test
    void aRouteIsScopedToItsHandlersFleetsUnlessDeclaredServerWide() {
        Route plain = Route.post("/api/v1/release-sources", Scopes.RELEASES_WRITE, OK);
        assertFalse(plain.serverWide());
        Route shared = plain.asServerWide();
        assertTrue(shared.serverWide());
        assertEquals(plain.method(), shared.method());
        assertEquals(plain.path(), shared.path());
        assertEquals(plain.access(), shared.access());
    }

    @Test
    void onlyAuthenticatedWritesCanBeServerWide() {
        IllegalArgumentException read = assertThrows(IllegalArgumentException.class,
                () -> Route.get("/api/v1/release-sources", Scopes.RELEASES_READ, OK).asServerWide());
        assertTrue(read.getMessage().contains("GET /api/v1/release-sources"), read.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Route.post("/api/v1/auth/login", Route.PUBLIC, OK).asServerWide());
    }
}
