package io.printmaster.http.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class RouteDocTest {
    private static final Route.Handler OK = req -> ApiResponse.noContent();

    record Body(String name) {
    }

    @Test
    void existingConstructorsAndFactoriesDocumentNothing() {
        assertSame(RouteDoc.NONE, Route.get("/api/v1/x", Scopes.FLEETS_READ, OK).doc());
        assertSame(RouteDoc.NONE, new Route("POST", "/api/v1/x", Scopes.FLEETS_WRITE, OK, true).doc());
        assertSame(RouteDoc.NONE, new Route("GET", "/api/v1/x", Route.PUBLIC, OK, false, null).doc());
    }

    @Test
    void withersAddDocumentationAndKeepEverythingElse() {
        Route route = Route.post("/api/v1/x", Scopes.FLEETS_WRITE, OK).asServerWide()
                .doc("Create an x", "Longer.").accepts(Body.class).returns(201, Body.class)
                .query("dry_run", "only check");
        assertTrue(route.serverWide());
        assertEquals("POST", route.method());
        assertEquals("Create an x", route.doc().summary());
        assertEquals("Longer.", route.doc().description());
        assertEquals(Body.class, route.doc().request());
        assertEquals(Body.class, route.doc().response());
        assertEquals(201, route.doc().status());
        assertEquals(List.of(new RouteDoc.QueryParam("dry_run", "only check")), route.doc().query());
        assertTrue(route.asServerWide().doc().summary().equals("Create an x"), "asServerWide keeps the documentation");
        Route download = Route.get("/api/v1/file", Scopes.FLEETS_READ, OK).produces("application/octet-stream");
        assertNull(download.doc().response());
        assertEquals("application/octet-stream", download.doc().mediaType());
    }

    @Test
    void badDocumentationIsRefusedWhereItIsWritten() {
        Route route = Route.get("/api/v1/x", Scopes.FLEETS_READ, OK);
        assertThrows(IllegalArgumentException.class, () -> route.doc(" "));
        assertThrows(IllegalArgumentException.class, () -> route.returns(302, Body.class));
        assertThrows(NullPointerException.class, () -> route.query("limit", null));
    }

    @Test
    void jsonTypesSpellListsMapsAndEnvelopes() {
        assertEquals("java.util.List<" + Body.class.getName() + ">", JsonTypes.listOf(Body.class).getTypeName());
        assertEquals(JsonTypes.listOf(Body.class), JsonTypes.listOf(Body.class));
        JsonTypes.ObjectType envelope = JsonTypes.objectWithList("bodies", Body.class).andNullable("next_cursor", String.class);
        assertEquals(List.of(new JsonTypes.Member("bodies", JsonTypes.listOf(Body.class), false),
                new JsonTypes.Member("next_cursor", String.class, true)), envelope.members());
        assertThrows(IllegalArgumentException.class, () -> envelope.and("bodies", String.class));
    }
}
