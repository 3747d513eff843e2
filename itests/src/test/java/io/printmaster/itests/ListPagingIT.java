package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;

/**
 * The list routes that gained paging in issue 16 against the real server: {@code GET /api/v1/fleets},
 * {@code GET /api/v1/fleets/{id}/join-tokens} and {@code GET /api/v1/auth/tokens} walk page by page with
 * {@code limit} and {@code next_cursor}, every item exactly once and in order; a bad {@code limit} or {@code cursor}
 * answers 400 naming it; a token restricted to fleets pages through only those.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ListPagingIT {
    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() throws Exception {
        Path data = ServerContainer.newDataDir("list-paging");
        return OptionUtils.combine(ServerContainer.options(data, ServerContainer.freePort()),
                frameworkProperty("pm.admin.password").value("itest-" + UUID.randomUUID()),
                frameworkProperty("pm.releases.builtin").value("off"));
    }

    @Test
    public void listsWalkPageByPageAndRefuseBadLimitsAndCursors() throws Exception {
        String port = context.getProperty("org.osgi.service.http.port");
        ApiClient anonymous = ApiClient.anonymous(port);
        anonymous.awaitHealthy();
        ApiClient admin = anonymous.login(context.getProperty("pm.admin.password"));
        AgentsPagingIT.awaitRoute(admin, "/api/v1/fleets");
        List<String> created = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            String id = "page-" + i;
            assertEquals(201, admin.post("/api/v1/fleets", Map.of("id", id, "name", "Fleet " + i)).status());
            created.add(id);
        }

        List<Map<String, Object>> fleets = walk(admin, "/api/v1/fleets?limit=3", "fleets");
        assertEquals("by id, every fleet once", created, ids(fleets));
        assertEquals(created, ids(walk(admin, "/api/v1/fleets", "fleets")));
        ApiClient restricted = anonymous.withToken(admin.createToken("two-fleets", List.of("fleets.read"),
                List.of("page-2", "page-5")));
        assertEquals(List.of("page-2", "page-5"), ids(walk(restricted, "/api/v1/fleets?limit=1", "fleets")));

        for (int i = 0; i < 5; i++) {
            assertEquals(201, admin.post("/api/v1/fleets/page-0/join-tokens", Map.of()).status());
        }
        List<Map<String, Object>> joinTokens = walk(admin, "/api/v1/fleets/page-0/join-tokens?limit=2", "join_tokens");
        assertEquals(5, joinTokens.size());
        assertEquals("every join token once", 5, new HashSet<>(ids(joinTokens)).size());
        assertEquals("newest first", ids(walk(admin, "/api/v1/fleets/page-0/join-tokens", "join_tokens")), ids(joinTokens));

        for (int i = 0; i < 4; i++) {
            admin.createToken("paged-" + i, List.of("fleets.read"), null);
        }
        List<Map<String, Object>> tokens = walk(admin, "/api/v1/auth/tokens?limit=2", "tokens");
        assertEquals(5, tokens.size());
        assertEquals(5, new HashSet<>(ids(tokens)).size());
        assertEquals(ids(walk(admin, "/api/v1/auth/tokens", "tokens")), ids(tokens));

        for (String path : List.of("/api/v1/fleets", "/api/v1/fleets/page-0/join-tokens", "/api/v1/auth/tokens")) {
            for (String bad : List.of("limit=0", "limit=100000", "limit=ten")) {
                assertField(admin, path + "?" + bad, "limit");
            }
            assertField(admin, path + "?cursor=not-a-cursor", "cursor");
        }
    }

    /** Every page from the first, following next_cursor (always present; null on the last page). */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> walk(ApiClient client, String path, String key) throws Exception {
        List<Map<String, Object>> out = new ArrayList<>();
        String cursor = null;
        for (int pages = 0; pages < 100; pages++) {
            String sep = path.contains("?") ? "&" : "?";
            ApiClient.Response r = client.get(path + (cursor == null ? "" : sep + "cursor=" + cursor));
            assertEquals(r.body(), 200, r.status());
            assertTrue("next_cursor is always present: " + r.body(), r.json().containsKey("next_cursor"));
            out.addAll((List<Map<String, Object>>) r.json().get(key));
            cursor = (String) r.json().get("next_cursor");
            if (cursor == null) {
                return out;
            }
        }
        throw new AssertionError("the walk did not end");
    }

    private static List<String> ids(List<Map<String, Object>> items) {
        return items.stream().map(m -> (String) m.get("id")).toList();
    }

    private static void assertField(ApiClient client, String path, String field) throws Exception {
        ApiClient.Response r = client.get(path);
        assertEquals(path, "invalid_field", r.assertError(400, path));
        assertEquals(path + ": " + r.body(), field, ((Map<?, ?>) r.json().get("error")).get("field"));
    }
}
