package io.printmaster.http.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.JsonTypes;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.Scopes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OpenApiDocumentTest {
    private static final Route.Handler OK = req -> ApiResponse.noContent();
    private final JsonMapper json = new JsonMapper();

    enum Kind {
        FULL, HOT_SWAP;

        @JsonValue
        String wire() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    record Bundle(String symbolicName, long sizeBytes) {
    }

    record Release(String componentName, @JsonProperty("ver") String version, Kind kind, Instant publishedAt,
                   List<Bundle> bundles, Map<String, Integer> counts, Bundle main, int attempts,
                   @JsonInclude(JsonInclude.Include.NON_NULL) String note) {
    }

    record Tree(String name, List<Tree> children, @com.fasterxml.jackson.annotation.JsonRawValue String metadata) {
    }

    /** The document as the API writes it, read back as JSON: what a client of the description sees. */
    private JsonNode describe(Route... routes) throws Exception {
        byte[] bytes = json.bytes(new OpenApiDocument(json.objectMapper()).describe(List.of(routes), "1.2.3"));
        return new ObjectMapper().readTree(bytes);
    }

    @Test
    void recordsBecomeComponentSchemasWithTheWireNamesAndJsonTypes() throws Exception {
        JsonNode doc = describe(Route.get("/api/v1/releases/{id}", Scopes.RELEASES_READ, OK).doc("Read a release")
                .returns(Release.class));
        JsonNode ok = doc.at("/paths/~1api~1v1~1releases~1{id}/get/responses/200/content/application~1json/schema");
        assertEquals("#/components/schemas/Release", ok.path("$ref").asText(), doc.toPrettyString());
        JsonNode release = doc.at("/components/schemas/Release/properties");
        assertEquals(List.of("component_name", "ver", "kind", "published_at", "bundles", "counts", "main", "attempts", "note"),
                names(release));
        assertEquals("[\"string\",\"null\"]", release.at("/component_name/type").toString());
        assertEquals("date-time", release.at("/published_at/format").asText());
        // an enum by the values the API writes, not the Java names
        assertEquals("[\"full\",\"hot-swap\"]", release.at("/kind/anyOf/0/enum").toString());
        assertEquals("#/components/schemas/Bundle", release.at("/bundles/items/$ref").asText());
        assertEquals("[\"array\",\"null\"]", release.at("/bundles/type").toString());
        assertEquals("integer", release.at("/counts/additionalProperties/type").asText());
        assertEquals("#/components/schemas/Bundle", release.at("/main/anyOf/0/$ref").asText());
        assertEquals("integer", release.at("/attempts/type").asText(), "a primitive is never null");
        assertEquals("string", release.at("/note/type").asText(), "left out when null, so never null on the wire");
        assertEquals("[\"attempts\"]", doc.at("/components/schemas/Release/required").toString());
        JsonNode bundle = doc.at("/components/schemas/Bundle/properties");
        assertEquals(List.of("symbolic_name", "size_bytes"), names(bundle));
        assertEquals("int64", bundle.at("/size_bytes/format").asText());
    }

    @Test
    void listsEnvelopesAndRecursiveRecordsAreDescribed() throws Exception {
        JsonNode doc = describe(
                Route.get("/api/v1/trees", Scopes.FLEETS_READ, OK).returns(JsonTypes.objectWithList("trees", Tree.class)
                        .andNullable("next_cursor", String.class).and("total", long.class)),
                Route.post("/api/v1/trees", Scopes.FLEETS_WRITE, OK).accepts(JsonTypes.listOf(Tree.class))
                        .returns(201, Tree.class));
        JsonNode list = doc.at("/paths/~1api~1v1~1trees/get/responses/200/content/application~1json/schema");
        assertEquals("#/components/schemas/Tree", list.at("/properties/trees/items/$ref").asText(), list.toString());
        assertEquals("[\"trees\",\"next_cursor\",\"total\"]", list.path("required").toString());
        assertEquals("[\"string\",\"null\"]", list.at("/properties/next_cursor/type").toString());
        assertEquals("integer", list.at("/properties/total/type").asText());
        JsonNode post = doc.at("/paths/~1api~1v1~1trees/post");
        assertEquals("array", post.at("/requestBody/content/application~1json/schema/type").asText());
        assertTrue(post.at("/responses/201").isObject(), post.toString());
        assertEquals("#/components/schemas/Tree", doc.at("/components/schemas/Tree/properties/children/items/$ref").asText());
        assertEquals("{}", doc.at("/components/schemas/Tree/properties/metadata").toString(), "raw JSON: any value");
    }

    @Test
    void pathParametersQueryParametersAndOperationIds() throws Exception {
        JsonNode doc = describe(
                Route.get("/api/v1/fleets/{id}/join-tokens", Scopes.FLEETS_READ, OK).query("limit", "at most this many"),
                Route.delete("/api/v1/fleets/{id}/join-tokens/{token}", Scopes.FLEETS_WRITE, OK));
        JsonNode list = doc.at("/paths/~1api~1v1~1fleets~1{id}~1join-tokens/get");
        assertEquals("getFleetsByIdJoinTokens", list.path("operationId").asText());
        assertEquals("fleets", list.at("/tags/0").asText());
        assertEquals("id", list.at("/parameters/0/name").asText());
        assertEquals("path", list.at("/parameters/0/in").asText());
        assertTrue(list.at("/parameters/0/required").asBoolean());
        assertEquals("limit", list.at("/parameters/1/name").asText());
        assertEquals("query", list.at("/parameters/1/in").asText());
        JsonNode delete = doc.at("/paths/~1api~1v1~1fleets~1{id}~1join-tokens~1{token}/delete");
        assertEquals(List.of("id", "token"), List.of(delete.at("/parameters/0/name").asText(), delete.at("/parameters/1/name").asText()));
        assertTrue(delete.at("/responses/204").isObject(), "a DELETE answering nothing is 204");
        assertEquals("#/components/responses/NotFound", delete.at("/responses/404/$ref").asText());
        assertEquals("Delete v1/fleets/{id}/join-tokens/{token}".replace("v1/", ""), delete.path("summary").asText(),
                "an undocumented route still gets a summary");
    }

    @Test
    void operationIdsStayUniqueWhenTwoPathsSpellTheSame() throws Exception {
        JsonNode doc = describe(Route.get("/api/v1/a-b", Scopes.FLEETS_READ, OK), Route.get("/api/v1/a_b", Scopes.FLEETS_READ, OK));
        String first = doc.at("/paths/~1api~1v1~1a-b/get/operationId").asText();
        String second = doc.at("/paths/~1api~1v1~1a_b/get/operationId").asText();
        assertEquals("getAB", first);
        assertEquals("getAB2", second);
    }

    @Test
    void securityFollowsTheAccessOfEachRoute() throws Exception {
        JsonNode doc = describe(
                Route.get("/api/v1/health", Route.PUBLIC, OK),
                Route.get("/api/v1/fleets", Scopes.FLEETS_READ, OK),
                Route.post("/api/v1/fleets", Scopes.FLEETS_WRITE, OK).asServerWide(),
                Route.delete("/api/v1/auth/tokens/{id}", Route.ADMIN, OK),
                Route.post("/api/v1/agents/update/manifest", Scopes.AGENT, OK));
        JsonNode health = doc.at("/paths/~1api~1v1~1health/get");
        assertEquals("[]", health.path("security").toString(), "public: explicitly no security");
        assertTrue(health.at("/responses/401").isMissingNode());
        assertEquals("[{\"apiToken\":[\"fleets.read\"]},{\"consoleSession\":[]}]",
                doc.at("/paths/~1api~1v1~1fleets/get/security").toString());
        JsonNode create = doc.at("/paths/~1api~1v1~1fleets/post");
        assertEquals("[{\"apiToken\":[\"fleets.write\"]},{\"consoleSession\":[],\"csrfToken\":[]}]",
                create.path("security").toString(), "a change by session needs the CSRF header");
        assertTrue(create.path("description").asText().contains("Server-wide"), create.toString());
        assertEquals("#/components/responses/Forbidden", create.at("/responses/403/$ref").asText());
        assertEquals("[{\"consoleSession\":[],\"csrfToken\":[]}]",
                doc.at("/paths/~1api~1v1~1auth~1tokens~1{id}/delete/security").toString(), "admin: the session only");
        assertEquals("[{\"agentCredential\":[]}]",
                doc.at("/paths/~1api~1v1~1agents~1update~1manifest/post/security").toString());
        for (String scheme : List.of("apiToken", "agentCredential", "consoleSession", "csrfToken")) {
            assertTrue(doc.at("/components/securitySchemes/" + scheme).isObject(), scheme);
        }
        assertEquals("PM_SESSION", doc.at("/components/securitySchemes/consoleSession/name").asText());
    }

    @Test
    void onlyTheSecuritySchemesAndErrorsSomeRouteUsesAreListed() throws Exception {
        // an agent's local API: public routes only, none reading a body
        JsonNode doc = describe(Route.get("/api/v1/health", Route.PUBLIC, OK), Route.get("/api/autoupdate/status", Route.PUBLIC, OK));
        assertEquals(0, doc.at("/components/securitySchemes").size(), doc.at("/components").toString());
        assertEquals(List.of("BadRequest", "InternalError"), names(doc.at("/components/responses")));
        assertEquals("autoupdate", doc.at("/paths/~1api~1autoupdate~1status/get/tags/0").asText());
        JsonNode scoped = describe(Route.get("/api/v1/fleets", Scopes.FLEETS_READ, OK));
        assertEquals(List.of("apiToken", "consoleSession"), names(scoped.at("/components/securitySchemes")),
                "a read never needs the CSRF header");
    }

    @Test
    void everyErrorRefersToTheOneErrorShape() throws Exception {
        JsonNode doc = describe(Route.post("/api/v1/fleets", Scopes.FLEETS_WRITE, OK).doc("Create a fleet"));
        assertEquals("3.1.0", doc.path("openapi").asText());
        assertEquals("1.2.3", doc.at("/info/version").asText());
        assertEquals("Apache-2.0", doc.at("/info/license/identifier").asText(), "the bundles' Bundle-License");
        JsonNode error = doc.at("/components/schemas/Error");
        assertEquals("[\"code\",\"message\"]", error.at("/properties/error/required").toString());
        assertEquals("array", error.at("/properties/error/properties/details/type").asText());
        JsonNode responses = doc.at("/components/responses");
        responses.forEach(r -> assertEquals("#/components/schemas/Error",
                r.at("/content/application~1json/schema/$ref").asText()));
        JsonNode create = doc.at("/paths/~1api~1v1~1fleets/post/responses");
        assertEquals(List.of("200", "400", "401", "403", "413", "500"), names(create));
        assertEquals("Create a fleet", doc.at("/paths/~1api~1v1~1fleets/post/summary").asText());
    }

    @Test
    void undocumentedRoutesStillHaveEverythingButTheirBodies() throws Exception {
        JsonNode doc = describe(Route.put("/api/v1/fleets/{id}", Scopes.FLEETS_WRITE, OK));
        JsonNode put = doc.at("/paths/~1api~1v1~1fleets~1{id}/put");
        assertEquals("Replace fleets/{id}", put.path("summary").asText());
        assertTrue(put.path("requestBody").isMissingNode());
        assertNull(put.at("/responses/200/content").textValue());
        assertFalse(put.path("operationId").asText().isEmpty());
    }

    private static List<String> names(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
