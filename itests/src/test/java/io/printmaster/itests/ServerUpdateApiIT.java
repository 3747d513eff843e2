package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.nio.file.Files;
import java.nio.file.Path;
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
 * The server's self-update routes on the real server, in a "container" (the detection looks at a folder holding
 * {@code .dockerenv}): the state says self-update is off and how to update the image instead, a run is refused with
 * 409 naming why, the policy is validated field by field (nothing changes on a bad one) and every change is audited,
 * and the run history pages with bounded, validated parameters.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ServerUpdateApiIT {
    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() throws Exception {
        Path host = Files.createTempDirectory("pm-itest-container-root");
        Files.writeString(host.resolve(".dockerenv"), "");
        return OptionUtils.combine(ServerContainer.options(ServerContainer.newDataDir("server-update"),
                        ServerContainer.freePort()),
                frameworkProperty("pm.admin.password").value("itest-" + UUID.randomUUID()),
                frameworkProperty("pm.selfupdate.host.root").value(host.toString()));
    }

    private ApiClient admin() throws Exception {
        ApiClient anonymous = ApiClient.anonymous(context.getProperty("org.osgi.service.http.port"));
        anonymous.awaitHealthy();
        ApiClient admin = anonymous.login(context.getProperty("pm.admin.password"));
        AgentsPagingIT.awaitRoute(admin, "/api/v1/server/update");
        return admin;
    }

    @Test
    @SuppressWarnings("unchecked")
    public void inAContainerTheStateSaysSelfUpdateIsOffAndARunIsRefusedNamingWhy() throws Exception {
        ApiClient admin = admin();
        ApiClient.Response r = admin.get("/api/v1/server/update");
        assertEquals(r.body(), 200, r.status());
        Map<String, Object> s = r.json();
        assertEquals("the running version", "0.0.0-itest", s.get("current_version"));
        assertEquals(r.body(), false, s.get("self_update_enabled"));
        assertEquals(r.body(), "CONTAINER", s.get("disabled_code"));
        assertTrue("the reason tells how to update the image: " + s.get("disabled_reason"),
                ((String) s.get("disabled_reason")).contains("docker compose pull && docker compose up -d"));
        assertEquals(r.body(), "idle", s.get("state"));
        assertNull("no scheduled checks where self-update is off", s.get("next_check_at"));
        assertNull("no server release in the catalog", s.get("available"));
        Map<String, Object> policy = (Map<String, Object>) s.get("policy");
        assertEquals("the safe default: no automatic checks", "disabled", policy.get("cadence"));
        assertEquals("the running minor line", "minor", policy.get("version_pin_strategy"));
        assertEquals(r.body(), false, policy.get("allow_major_upgrade"));
        assertNull(r.body(), policy.get("target_version"));
        assertEquals(r.body(), "stable", policy.get("channel"));

        ApiClient.Response run = admin.post("/api/v1/server/update/run", Map.of());
        assertEquals("a run in a container", "self_update_disabled", run.assertError(409, "POST run"));
        String message = (String) ((Map<String, Object>) run.json().get("error")).get("message");
        assertTrue("the refusal names why: " + message, message.contains("CONTAINER") && message.contains("docker compose pull"));
        List<Object> runs = (List<Object>) admin.get("/api/v1/server/update/runs").json().get("runs");
        assertEquals("a refused run leaves no record", List.of(), runs);
    }

    @Test
    @SuppressWarnings("unchecked")
    public void thePolicyIsValidatedFieldByFieldAndEveryChangeIsAudited() throws Exception {
        ApiClient admin = admin();
        Map<String, Object> before = (Map<String, Object>) admin.get("/api/v1/server/update").json().get("policy");

        ApiClient.Response bad = admin.send("PUT", "/api/v1/server/update/policy", Map.of("policy",
                Map.of("cadence", "hourly", "version_pin_strategy", "nearest", "target_version", "soon")));
        assertEquals("bad members", "invalid_field", bad.assertError(400, "PUT a bad policy"));
        Map<String, Object> error = (Map<String, Object>) bad.json().get("error");
        List<String> fields = ((List<Map<String, Object>>) error.get("details")).stream()
                .map(d -> (String) d.get("field")).sorted().toList();
        assertEquals(bad.body(), List.of("policy.cadence", "policy.target_version", "policy.version_pin_strategy"), fields);
        assertEquals("nothing changed", before, admin.get("/api/v1/server/update").json().get("policy"));
        assertEquals("no policy", "invalid_field", admin.send("PUT", "/api/v1/server/update/policy",
                Map.of("cadence", "daily")).assertError(400, "PUT without policy"));
        ApiClient.Response older = admin.send("PUT", "/api/v1/server/update/policy",
                Map.of("policy", Map.of("target_version", "0.0.0-alpha")));
        older.assertError(400, "a target older than the running version");
        assertEquals(older.body(), "policy.target_version", ((Map<String, Object>) older.json().get("error")).get("field"));

        ApiClient.Response ok = admin.send("PUT", "/api/v1/server/update/policy",
                Map.of("policy", Map.of("cadence", "weekly", "channel", "beta")));
        assertEquals(ok.body(), 200, ok.status());
        Map<String, Object> after = (Map<String, Object>) admin.get("/api/v1/server/update").json().get("policy");
        assertEquals(after.toString(), "weekly", after.get("cadence"));
        assertEquals(after.toString(), "beta", after.get("channel"));
        assertEquals("members left out keep their value", before.get("version_pin_strategy"), after.get("version_pin_strategy"));

        List<Map<String, Object>> entries = (List<Map<String, Object>>) admin
                .get("/api/v1/audit?target=server:update-policy").json().get("entries");
        assertTrue("the change is audited: " + entries, !entries.isEmpty());
        assertEquals(entries.toString(), "server.update.policy", entries.get(0).get("action"));
        assertEquals(entries.toString(), "admin", entries.get(0).get("actor"));
        assertTrue("the audit shows the new cadence: " + entries.get(0), String.valueOf(entries.get(0).get("after"))
                .contains("weekly"));
        admin.send("PUT", "/api/v1/server/update/policy", Map.of("policy", Map.of("cadence", "disabled", "channel", "stable")));
    }

    @Test
    public void theRunHistoryPagesWithValidatedParameters() throws Exception {
        ApiClient admin = admin();
        ApiClient.Response page = admin.get("/api/v1/server/update/runs?limit=5");
        assertEquals(page.body(), 200, page.status());
        assertTrue(page.body(), page.json().containsKey("next_cursor"));
        assertEquals("limit 0", "invalid_field", admin.get("/api/v1/server/update/runs?limit=0").assertError(400, "limit=0"));
        assertEquals("limit too big", "invalid_field", admin.get("/api/v1/server/update/runs?limit=101")
                .assertError(400, "limit=101"));
        ApiClient.Response cursor = admin.get("/api/v1/server/update/runs?cursor=nonsense");
        cursor.assertError(400, "a cursor the server did not hand out");
        assertTrue(cursor.body(), cursor.body().contains("\"field\":\"cursor\""));
        ApiClient.Response body = admin.post("/api/v1/server/update/run", Map.of("version", "9.9.9"));
        assertEquals("a run takes no body", "invalid_field", body.assertError(400, "POST run with a body"));
    }
}
