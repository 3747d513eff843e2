package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
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
 * Webhooks in the real server bundles: a release sync the server runs caches a new release, and its release.cached
 * event is POSTed to receivers on loopback that check the signature with the webhook's secret. One answers 500, then
 * 200: the delivery log shows two attempts, delivered. One answers 400: failed after one attempt. Bad input is 400
 * naming the field; a token without settings.server.write cannot add one; the list never shows a secret; the
 * notification is in the audit log once.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class WebhookDeliveryIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() throws Exception {
        Path data = ServerContainer.newDataDir("webhooks");
        // retries after 1 s instead of 30 s
        Files.writeString(data.resolve("etc/io.printmaster.server.notifications.cfg"),
                "retry_base_seconds=1\nmax_attempts=3\n");
        return OptionUtils.combine(ServerContainer.options(data, ServerContainer.freePort()),
                frameworkProperty("pm.admin.password").value("itest-" + UUID.randomUUID()),
                frameworkProperty("pm.releases.builtin").value("off"));
    }

    /** A receiver on loopback: checks each request's signature with the secret, then answers the scripted statuses. */
    private static final class Receiver implements AutoCloseable {
        final AtomicReference<String> secret = new AtomicReference<>();
        final List<String> outcomes = new CopyOnWriteArrayList<>();
        final List<String> bodies = new CopyOnWriteArrayList<>();
        private final List<Integer> script;
        private final HttpServer server;

        Receiver(Integer... statuses) throws Exception {
            script = new CopyOnWriteArrayList<>(List.of(statuses));
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/hook", exchange -> {
                byte[] body = exchange.getRequestBody().readAllBytes();
                String signature = exchange.getRequestHeaders().getFirst("X-PrintMaster-Signature");
                boolean valid = secret.get() != null && signature != null && signature.equals(sign(secret.get(), body));
                int status = !valid ? 401 : script.size() > 1 ? script.remove(0) : script.get(0);
                outcomes.add(exchange.getRequestHeaders().getFirst("X-PrintMaster-Event") + " " + status);
                bodies.add(new String(body, StandardCharsets.UTF_8));
                exchange.sendResponseHeaders(status, -1);
                exchange.close();
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    static String sign(String secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    public void aNewReleaseIsPostedSignedRetriedAfterA500AndLogged() throws Exception {
        ApiClient anonymous = ApiClient.anonymous(context.getProperty("org.osgi.service.http.port"));
        anonymous.awaitHealthy();
        ApiClient admin = anonymous.login(context.getProperty("pm.admin.password"));
        Eventually.within(Duration.ofSeconds(30), () -> assertNotNull("the retry settings of etc/ are applied",
                context.getServiceReferences("io.printmaster.server.notifications.impl.WebhookSender", "(retry_base_seconds=1)")));

        checkValidationAndAccess(admin);

        try (Receiver flaky = new Receiver(500, 200); Receiver refusing = new Receiver(400)) {
            ApiClient.Response created = admin.post("/api/v1/webhooks", Map.of("url", flaky.url(),
                    "events", List.of("release.cached")));
            assertEquals(created.body(), 201, created.status());
            String flakyId = (String) created.json().get("id");
            String generated = (String) created.json().get("secret");
            assertTrue("a generated secret is answered once: " + created.body(), generated != null && generated.length() >= 32);
            flaky.secret.set(generated);
            assertField(admin.get("/api/v1/webhooks/" + flakyId + "/deliveries?cursor=x"), "cursor");
            assertField(admin.get("/api/v1/webhooks/" + flakyId + "/deliveries?limit=0"), "limit");
            String chosen = "a-secret-we-chose-" + UUID.randomUUID();
            ApiClient.Response second = admin.post("/api/v1/webhooks", Map.of("url", refusing.url(), "secret", chosen));
            assertEquals(second.body(), 201, second.status());
            assertEquals(List.of("rollout.paused", "release.failed", "release.cached", "agent.outcome"),
                    second.json().get("events"));
            String refusingId = (String) second.json().get("id");
            refusing.secret.set(chosen);
            String list = admin.get("/api/v1/webhooks").body();
            assertTrue(list, list.contains(flakyId) && list.contains(refusingId));
            assertFalse("no secret in the list: " + list, list.contains(generated) || list.contains(chosen)
                    || list.contains("\"secret\""));

            addReleaseSource(); // the server syncs it at once: 3.0.0 is a new release

            Eventually.within(WAIT, () -> assertEquals(List.of("release.cached 500", "release.cached 200"), flaky.outcomes));
            Map<String, Object> body = new com.fasterxml.jackson.databind.ObjectMapper().readValue(flaky.bodies.get(1), Map.class);
            assertEquals("release.cached", body.get("type"));
            assertEquals("agent", body.get("component"));
            assertEquals("3.0.0", body.get("version"));
            assertEquals("Faster printing for everyone.", body.get("notes_snippet"));
            Eventually.within(WAIT, () -> {
                Map<String, Object> d = onlyDelivery(admin, flakyId);
                assertEquals(d.toString(), "delivered", d.get("state"));
                assertEquals(2, d.get("attempts"));
                assertEquals(200, d.get("last_status"));
            });
            Eventually.within(WAIT, () -> {
                Map<String, Object> d = onlyDelivery(admin, refusingId);
                assertEquals(d.toString(), "failed", d.get("state"));
                assertEquals(1, d.get("attempts"));
                assertEquals(400, d.get("last_status"));
            });
            assertEquals(List.of("release.cached 400"), refusing.outcomes);

            List<Map<String, Object>> audit = (List<Map<String, Object>>) admin.get("/api/v1/audit?limit=200").json().get("entries");
            assertEquals(1, audit.stream().filter(e -> "notification.release.cached".equals(e.get("action"))
                    && "release:agent@3.0.0".equals(e.get("target"))).count());
            assertTrue(audit.stream().anyMatch(e -> "webhook.create".equals(e.get("action"))
                    && ("webhook:" + flakyId).equals(e.get("target")) && "admin".equals(e.get("actor"))));
            assertFalse("the audit log holds no secret", audit.toString().contains(generated) || audit.toString().contains(chosen));

            assertEquals(204, admin.send("DELETE", "/api/v1/webhooks/" + refusingId, null).status());
            assertEquals("not_found", admin.get("/api/v1/webhooks/" + refusingId + "/deliveries").assertError(404, "deleted"));
            assertTrue(admin.get("/api/v1/audit?limit=50").body().contains("webhook.delete"));
        }
    }

    private void checkValidationAndAccess(ApiClient admin) throws Exception {
        assertField(admin.post("/api/v1/webhooks", Map.of("url", "ftp://example.org/x")), "url");
        assertField(admin.post("/api/v1/webhooks", Map.of("events", List.of("release.cached"))), "url");
        assertField(admin.post("/api/v1/webhooks", Map.of("url", "https://example.org/x", "events", List.of("nope"))),
                "events[0]");
        assertField(admin.post("/api/v1/webhooks", Map.of("url", "https://example.org/x", "fleet", "no-such-fleet")), "fleet");
        assertField(admin.post("/api/v1/webhooks", Map.of("url", "https://example.org/x", "secret", "short")), "secret");
        ApiClient reader = admin.withToken(admin.createToken("hooks-read-" + UUID.randomUUID(),
                List.of("settings.server.read"), null));
        ApiClient.Response refused = reader.post("/api/v1/webhooks", Map.of("url", "https://example.org/x"));
        assertEquals("forbidden", refused.assertError(403, "a token without settings.server.write"));
        assertTrue(refused.body(), refused.body().contains("settings.server.write"));
        assertEquals(200, reader.get("/api/v1/webhooks").status());
    }

    private static void assertField(ApiClient.Response r, String field) {
        assertEquals("invalid_field", r.assertError(400, "invalid " + field));
        assertEquals(r.body(), field, ((Map<?, ?>) r.json().get("error")).get("field"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> onlyDelivery(ApiClient admin, String webhookId) throws Exception {
        ApiClient.Response r = admin.get("/api/v1/webhooks/" + webhookId + "/deliveries?limit=10");
        assertEquals(r.body(), 200, r.status());
        List<Map<String, Object>> deliveries = (List<Map<String, Object>>) r.json().get("deliveries");
        assertEquals(r.body(), 1, deliveries.size());
        assertNull(r.json().get("next_cursor"));
        return deliveries.get(0);
    }

    /** A directory release source with agent 3.0.0 (and release notes), through etc/ as an operator would add it. */
    private void addReleaseSource() throws Exception {
        Path data = Path.of(context.getProperty("pm.data.dir"));
        Path releases = ReleaseFolder.write(data.resolve("releases-in"), 3, "3.0.0");
        Files.writeString(releases.resolve("NOTES-3.0.0.md"), "## Faster printing\n\nfor everyone.\n");
        ReleaseFolder.configureSource(data, "hooks", releases);
    }
}
