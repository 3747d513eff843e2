package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * The agent distribution's bundles all start in a real Felix, every component of ours is satisfied, and a fresh,
 * unconfigured agent answers its local status API.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class AgentBundlesIT {
    /** The fields of {@code GET /api/autoupdate/status} (AutoUpdateResource). */
    static final List<String> STATUS_FIELDS = List.of("enabled", "policy_source", "current_version", "latest_version",
            "status", "last_check_at", "next_check_at", "last_result", "worker_installed", "agent_id", "local_id", "configured",
            "server_url", "fleet", "join_token_set", "mode", "allow_local_override", "policy", "config_errors");

    @Inject
    BundleContext context;

    @Inject
    ServiceComponentRuntime scr;

    @Configuration
    public Option[] config() {
        return ServerContainer.options(ServerContainer.agentDistribution(), "agent", ServerContainer.newDataDir("agent"),
                ServerContainer.freePort());
    }

    @Test
    public void everyDistributionBundleIsActive() {
        List<String> notActive = new ArrayList<>();
        int agentBundles = 0;
        for (Bundle b : context.getBundles()) {
            boolean fragment = b.getHeaders().get(Constants.FRAGMENT_HOST) != null;
            if (!fragment && b.getState() != Bundle.ACTIVE) {
                notActive.add(b.getSymbolicName() + " state " + b.getState());
            }
            if (String.valueOf(b.getSymbolicName()).startsWith("io.printmaster.agent.")) {
                agentBundles++;
            }
        }
        assertEquals("bundles not active: " + notActive, List.of(), notActive);
        assertTrue("the agent's own bundles are installed", agentBundles >= 2);
    }

    @Test
    public void everyPrintMasterComponentIsSatisfied() throws Exception {
        Eventually.within(Duration.ofSeconds(20), () -> {
            List<String> unsatisfied = new ArrayList<>();
            int ours = 0;
            for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
                if (!d.bundle.symbolicName.startsWith("io.printmaster") || !scr.isComponentEnabled(d)) {
                    continue;
                }
                ours++;
                for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                    if (c.state == ComponentConfigurationDTO.UNSATISFIED_REFERENCE
                            || c.state == ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION
                            || c.state == ComponentConfigurationDTO.FAILED_ACTIVATION) {
                        unsatisfied.add(d.name + " (state " + c.state + (c.failure != null ? ": " + c.failure : "") + ")");
                    }
                }
            }
            assertTrue("no PrintMaster components found", ours > 0);
            assertEquals("components not satisfied: " + unsatisfied, List.of(), unsatisfied);
        });
    }

    @Test
    @SuppressWarnings("unchecked")
    public void statusAnswersWithTheDocumentedFields() throws Exception {
        ApiClient local = ApiClient.anonymous(context.getProperty("org.osgi.service.http.port"));
        Eventually.within(Duration.ofSeconds(20), () -> assertEquals(200, local.get("/api/autoupdate/status").status()));
        ApiClient.Response r = local.get("/api/autoupdate/status");
        assertTrue(r.header("Content-Type"), r.header("Content-Type").startsWith("application/json"));
        Map<String, Object> status = r.json();

        assertEquals("status fields", new TreeSet<>(STATUS_FIELDS), new TreeSet<>(status.keySet()));
        // a fresh agent: no configuration, nothing running, and it says so; the update worker is installed
        assertEquals(context.getProperty("pm.version"), status.get("current_version"));
        assertEquals("idle", status.get("status"));
        Eventually.within(Duration.ofSeconds(20), () -> assertEquals(Boolean.TRUE,
                local.get("/api/autoupdate/status").json().get("worker_installed")));
        assertEquals(Boolean.FALSE, status.get("configured"));
        assertEquals(Boolean.FALSE, status.get("join_token_set"));
        assertEquals("inherit", status.get("mode"));
        assertTrue(status.toString(), status.get("enabled") instanceof Boolean);
        assertTrue(status.toString(), status.get("policy_source") instanceof String);
        assertTrue(status.toString(), status.get("config_errors") instanceof List);
        assertFalse("the join token never leaves the agent", r.body().contains("join_token\""));
    }

    @Test
    public void theSecretBoxAndEnrollmentBundlesRunOnTheAgent() throws Exception {
        List<String> active = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            if (b.getState() == Bundle.ACTIVE) {
                active.add(b.getSymbolicName());
            }
        }
        assertTrue(active.toString(), active.contains("io.printmaster.secretbox"));
        assertTrue(active.toString(), active.contains("io.printmaster.agent.enrollment"));
        assertFalse("the agent runs no database-backed security bundle", active.contains("io.printmaster.security"));
        Eventually.within(Duration.ofSeconds(20), () -> {
            assertTrue("SecretBox service", context.getServiceReference("io.printmaster.security.api.SecretBox") != null);
            assertTrue("Enrollment service",
                    context.getServiceReference("io.printmaster.agent.enrollment.api.Enrollment") != null);
        });
    }

    @Test
    @SuppressWarnings("unchecked")
    public void aFreshAgentIsNotEnrolledAndStillHealthy() throws Exception {
        ApiClient local = ApiClient.anonymous(context.getProperty("org.osgi.service.http.port"));
        // the distribution's folder (pm.home) holds no etc/fleet.json: the agent belongs to no fleet
        Eventually.within(Duration.ofSeconds(20), () -> {
            ApiClient.Response r = local.get("/api/enrollment/status");
            assertEquals(r.body(), 200, r.status());
            assertEquals(r.body(), "not_configured", r.json().get("state"));
        });
        Map<String, Object> status = local.get("/api/enrollment/status").json();
        assertEquals(null, status.get("agent_id"));
        assertEquals(null, status.get("last_check_in"));

        ApiClient.Response health = local.get("/api/v1/health");
        assertEquals(health.body(), 200, health.status());
        Map<String, Object> h = health.json();
        assertEquals("UP", h.get("status"));
        assertEquals("not_configured", ((Map<String, Object>) h.get("enrollment")).get("state"));
    }

    @Test
    public void triggersRefuseForeignPagesAndSayWhenTheAgentIsNotEnrolled() throws Exception {
        String base = "http://127.0.0.1:" + context.getProperty("org.osgi.service.http.port");
        HttpClient http = HttpClient.newHttpClient();
        Eventually.within(Duration.ofSeconds(20), () -> {
            HttpResponse<String> foreign = http.send(HttpRequest.newBuilder(URI.create(base + "/api/autoupdate/check"))
                    .header("Origin", "https://evil.example.com").POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(foreign.body(), 403, foreign.statusCode());
            assertTrue(foreign.body(), foreign.body().contains("\"code\":\"not_local\""));
        });
        HttpResponse<String> local = http.send(HttpRequest.newBuilder(URI.create(base + "/api/autoupdate/check"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        // the worker is there, but an agent without a server has nothing to check: refused, nothing started
        assertEquals(local.body(), 409, local.statusCode());
        assertTrue(local.body(), local.body().contains("\"code\":\"not_enrolled\""));
        assertEquals("idle", ApiClient.anonymous(context.getProperty("org.osgi.service.http.port"))
                .get("/api/autoupdate/status").json().get("status"));
    }
}
