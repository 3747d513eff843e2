package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import io.printmaster.http.api.Scopes;
import io.printmaster.server.notifications.api.ServerEvent;
import io.printmaster.server.notifications.api.ServerEventListener;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
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
import org.osgi.framework.ServiceReference;

/**
 * {@code GET /metrics} in the real server bundles, as a Prometheus server would scrape it: only with an API token
 * holding {@code metrics.read}, the console session or the site's metrics token (401 without credentials, 403 with
 * a token lacking the scope or restricted to a fleet); every answer parses with Prometheus's own checker
 * ({@code promtool check metrics}); an agent's enrollment, check-in and download, and the server's events, move the
 * numbers.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class MetricsIT {
    private static final int ARTIFACT_BYTES = 2_345;
    private static final String FLEET = "metered";

    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() throws Exception {
        Path data = ServerContainer.newDataDir("metrics");
        Path releases = Files.createDirectories(data.resolve("releases-in"));
        byte[] bytes = new byte[ARTIFACT_BYTES];
        new Random(15).nextBytes(bytes);
        String name = "printmaster-agent-v0.9.3-linux-amd64.tar.gz";
        Files.write(releases.resolve(name), bytes);
        Files.writeString(releases.resolve("SHA256SUMS"),
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)) + "  " + name + "\n");
        Files.writeString(data.resolve("etc/io.printmaster.releasesource.directory-metered.cfg"),
                "name=metered\npath=" + releases + "\n");
        return OptionUtils.combine(ServerContainer.options(data, ServerContainer.freePort()),
                frameworkProperty("pm.admin.password").value("itest-" + UUID.randomUUID()),
                frameworkProperty("pm.releases.builtin").value("off"),
                frameworkProperty("pm.metrics.token").value("itest-metrics-" + UUID.randomUUID()));
    }

    @Test
    @SuppressWarnings("unchecked")
    public void scrapesNeedTheScopeOrTheSiteTokenParseWithPromtoolAndFollowWhatHappened() throws Exception {
        ApiClient anonymous = ApiClient.anonymous(context.getProperty("org.osgi.service.http.port"));
        anonymous.awaitHealthy();
        ApiClient admin = anonymous.login(context.getProperty("pm.admin.password"));
        // read here: the configuration ran in another class loader, where a random value differs
        String siteToken = context.getProperty("pm.metrics.token");
        IntakeDiagnostics.awaitIntake(admin, Duration.ofSeconds(60), () -> {
            ApiClient.Response r = admin.get("/api/v1/releases/manifests?component=agent&version=0.9.3");
            assertFalse("signed manifest of 0.9.3: " + r.body(), ((List<?>) r.json().get("manifests")).isEmpty());
        });
        assertEquals(201, admin.post("/api/v1/fleets", Map.of("id", FLEET, "name", "Metered")).status());
        ApiClient agent = enroll(anonymous, admin);

        // who may scrape
        ApiClient reader = admin.withToken(admin.createToken("scraper", List.of(Scopes.METRICS_READ), null));
        assertEquals("unauthorized", anonymous.get("/metrics").assertError(401, "no credentials"));
        assertEquals("unauthorized", admin.withToken(siteToken + "x").get("/metrics").assertError(401, "a wrong token"));
        ApiClient agentsReader = admin.withToken(admin.createToken("no-metrics", List.of(Scopes.AGENTS_READ), null));
        ApiClient.Response lacking = agentsReader.get("/metrics");
        assertEquals("forbidden", lacking.assertError(403, "a token without metrics.read"));
        assertTrue(lacking.body(), lacking.body().contains(Scopes.METRICS_READ));
        ApiClient restricted = admin.withToken(admin.createToken("fleet-scraper", List.of(Scopes.METRICS_READ), List.of(FLEET)));
        assertEquals("forbidden", restricted.get("/metrics").assertError(403, "a fleet-restricted token"));
        assertEquals("forbidden", agent.get("/metrics").assertError(403, "an agent's credential"));
        String first = scrape(reader);
        scrape(admin.withToken(siteToken));
        scrape(admin);

        // the census: the enrolled agent, never reported (cached up to 10 s, so asked after the enrollment)
        assertEquals(first, 1.0, value(first, "printmaster_agents{fleet=\"" + FLEET + "\",status=\"none\",version=\"0.9.0\"}"), 0);
        assertTrue(first, value(first, "jvm_memory_used_bytes{area=\"heap\"}") > 0);

        // a check-in offering 0.9.3, and its download
        double checkInsBefore = value(first, "printmaster_checkins_total{result=\"ok\"}");
        double downloadsBefore = value(first, "printmaster_downloads_total{kind=\"artifact\"}");
        double bytesBefore = value(first, "printmaster_download_bytes_total{kind=\"artifact\"}");
        String runId = "run-" + UUID.randomUUID();
        ApiClient.Response checkIn = agent.post("/api/v1/agents/update/manifest", Map.of("current_version", "0.9.0",
                "platform", "linux", "arch", "amd64", "hostname", "metered-host", "run_id", runId));
        assertEquals(checkIn.body(), 200, checkIn.status());
        Map<String, Object> update = (Map<String, Object>) checkIn.json().get("update");
        assertTrue("an update is offered: " + checkIn.body(), update != null);
        Path target = Files.createTempFile("pm-metrics", ".tar.gz");
        try {
            assertEquals(200, agent.download((String) update.get("download_url"), target).statusCode());
            assertEquals(ARTIFACT_BYTES, Files.size(target));
        } finally {
            Files.deleteIfExists(target);
        }
        // a download is counted when its answer completes, which may be just after the client has all the bytes
        Eventually.within(Duration.ofSeconds(10), () -> {
            String now = scrape(reader);
            assertEquals(now, checkInsBefore + 1, value(now, "printmaster_checkins_total{result=\"ok\"}"), 0);
            assertEquals(now, downloadsBefore + 1, value(now, "printmaster_downloads_total{kind=\"artifact\"}"), 0);
            assertEquals(now, bytesBefore + ARTIFACT_BYTES, value(now, "printmaster_download_bytes_total{kind=\"artifact\"}"), 0);
            assertTrue(now, value(now, "printmaster_checkin_duration_seconds_count") >= checkInsBefore + 1);
            assertTrue(now, value(now, "printmaster_http_requests_total{method=\"POST\",route=\"/api/v1/agents/update/manifest\",status=\"200\"}") >= 1);
            assertTrue("raw paths never become labels: " + now, !now.contains("route=\"/api/v1/fleets/" + FLEET));
        });

        // the agent reports the run failed: the agents bundle publishes agent.outcome, the notifications bundle's
        // bus hands it to the metrics' listener
        Map<String, Object> failed = new java.util.LinkedHashMap<>();
        failed.put("run_id", runId);
        failed.put("status", "failed");
        failed.put("current_version", "0.9.0");
        failed.put("target_version", "0.9.3");
        failed.put("error_code", "DISK_SPACE");
        failed.put("error_message", "no space left for the download");
        ApiClient.Response reported = agent.post("/api/v1/agents/update/telemetry", Map.of("events", List.of(failed)));
        assertEquals(reported.body(), 200, reported.status());
        Eventually.within(Duration.ofSeconds(10), () -> {
            String now = scrape(reader);
            assertEquals(now, 1.0, value(now, "printmaster_update_outcomes_total{component=\"agent\",error_code=\"DISK_SPACE\",status=\"failed\",version=\"0.9.3\"}"), 0);
        });

        // label bounds, and a sync counted once when final, told to the listener directly
        ServerEventListener listener = metricsListener();
        listener.onEvent(new ServerEvent(ServerEvent.AGENT_OUTCOME, Instant.now(), FLEET, Map.of("agent_id", "a",
                "target_version", "0.9.3", "status", "failed", "error_code", "NOT_A_KNOWN_CODE")));
        String syncId = "sync-" + UUID.randomUUID();
        for (String state : List.of("running", "finished", "finished")) {
            listener.onEvent(new ServerEvent(ServerEvent.SYNC_PROGRESS, Instant.now(), null,
                    Map.of("sync_id", syncId, "state", state, "cached", 1, "rejected", 2)));
        }
        String after = scrape(reader);
        assertEquals(after, 1.0, value(after, "printmaster_update_outcomes_total{component=\"agent\",error_code=\"DISK_SPACE\",status=\"failed\",version=\"0.9.3\"}"), 0);
        assertEquals(after, 1.0, value(after, "printmaster_update_outcomes_total{component=\"agent\",error_code=\"other\",status=\"failed\",version=\"0.9.3\"}"), 0);
        assertTrue(after, value(after, "printmaster_sync_runs_total{state=\"finished\"}") >= 1);
        assertTrue(after, value(after, "printmaster_sync_rejections_total") >= 2);
    }

    /** A scrape that must succeed: 200, the text format 0.0.4, and a body promtool accepts. */
    private static String scrape(ApiClient client) throws Exception {
        ApiClient.Response r = client.get("/metrics");
        assertEquals(r.body(), 200, r.status());
        String type = r.header("Content-Type");
        assertTrue("the text exposition format, never the console's HTML: " + type,
                type != null && type.startsWith("text/plain; version=0.0.4"));
        assertTrue(r.body(), r.body().contains("# TYPE printmaster_agents gauge"));
        promtoolAccepts(r.body());
        return r.body();
    }

    /** The sample's value, 0 when the series does not exist yet (a counter that never moved). */
    private static double value(String exposition, String series) {
        for (String line : exposition.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).strip());
            }
        }
        return 0;
    }

    /** Prometheus's own parser and linter; first shown a broken body, so a checker that accepts anything fails here. */
    private static void promtoolAccepts(String exposition) throws Exception {
        assertNotEquals("promtool must reject a broken exposition", 0, promtool("broken{a=\"b\" 1\n").exit());
        Promtool checked = promtool(exposition);
        assertEquals("promtool check metrics:\n" + checked.output() + "\n" + exposition, 0, checked.exit());
    }

    private record Promtool(int exit, String output) {
    }

    private static Promtool promtool(String input) throws Exception {
        String tool = System.getProperty("pm.promtool", "promtool");
        Process p;
        try {
            p = new ProcessBuilder(tool, "check", "metrics").redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            throw new AssertionError("promtool is missing (" + tool + "): it comes from Debian's prometheus package; "
                    + ".ci/run unpacks it to /usr/local/bin, or point -Dpm.promtool at one", e);
        }
        try (var in = p.getOutputStream()) {
            in.write(input.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(1, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("promtool did not finish within a minute");
        }
        return new Promtool(p.exitValue(), out);
    }

    /** The metrics bundle's listener of server events. */
    private ServerEventListener metricsListener() throws Exception {
        for (ServiceReference<ServerEventListener> ref : context.getServiceReferences(ServerEventListener.class, null)) {
            if ("io.printmaster.server.metrics".equals(ref.getBundle().getSymbolicName())) {
                return context.getService(ref);
            }
        }
        throw new AssertionError("the metrics bundle registers no ServerEventListener");
    }

    private static ApiClient enroll(ApiClient anonymous, ApiClient admin) throws Exception {
        ApiClient.Response token = admin.post("/api/v1/fleets/" + FLEET + "/join-tokens", Map.of());
        assertEquals(token.body(), 201, token.status());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("join_token", token.json().get("token"));
        body.put("hostname", "metered-host");
        body.put("platform", "linux");
        body.put("arch", "amd64");
        body.put("current_version", "0.9.0");
        ApiClient.Response enrolled = anonymous.post("/api/v1/agents/enroll", body);
        assertEquals(enrolled.body(), 201, enrolled.status());
        return anonymous.withToken((String) enrolled.json().get("credential"));
    }
}
