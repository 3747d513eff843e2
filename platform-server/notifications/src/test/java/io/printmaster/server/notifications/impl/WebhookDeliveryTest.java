package io.printmaster.server.notifications.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.secretbox.impl.MasterKeySecretBox;
import io.printmaster.server.notifications.api.ServerEvent;
import io.printmaster.store.AuditLog;
import io.printmaster.store.impl.DerbyDatabase;
import io.printmaster.store.impl.JdbcAuditLog;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.LockSupport;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Webhooks end to end below HTTP: an event published on the bus becomes a delivery, the sender POSTs it to a real
 * receiver on loopback with a signature the receiver checks with the secret, retries after a 500 with the configured
 * backoff, gives up at once on a 400, and a delivery is claimed by one sender only. Real Derby, real audit log.
 */
class WebhookDeliveryTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    DerbyDatabase db;
    AuditLog audit;
    WebhookStore webhooks;
    DeliveryStore deliveries;
    WebhookSender sender;
    EventBus bus;

    @BeforeEach
    void open() throws Exception {
        db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        audit = new JdbcAuditLog(db);
        webhooks = new WebhookStore(db, audit, new MasterKeySecretBox(new byte[32]));
        deliveries = new DeliveryStore(db);
        sender = new WebhookSender(webhooks, deliveries, new TestConfig(1, 3));
        bus = new EventBus(100);
        bus.addListener(new WebhookQueue(webhooks, deliveries, sender));
        bus.addListener(new NotificationAudit(db, audit));
    }

    @AfterEach
    void close() {
        bus.stop();
        sender.stop();
        db.close();
    }

    private static ServerEvent paused(String fleet) {
        return new ServerEvent(ServerEvent.ROLLOUT_PAUSED, Instant.parse("2026-03-01T10:00:00Z"), fleet,
                Map.of("rollout_id", "rol_1", "component", "agent", "version", "2.0.0", "reason", "wave 1: 3 of 10 failed",
                        "failed", 3));
    }

    private static void await(Duration timeout, BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
    }

    private List<DeliveryStore.Delivery> log(Webhook w) throws Exception {
        return deliveries.page(w.id(), Long.MAX_VALUE, 50);
    }

    @Test
    void aSignedDeliveryIsRetriedAfterA500AndDeliveredOnce() throws Exception {
        try (Receiver receiver = new Receiver(500, 200)) {
            String secret = webhooks.newSecret();
            Webhook w = webhooks.create(receiver.url(), WebhooksResource.DEFAULT_EVENTS, null, secret, "admin");
            bus.publish(paused("lab"));

            Receiver.Request first = receiver.received.poll(20, TimeUnit.SECONDS);
            assertNotNull(first, "the first attempt arrived");
            Instant firstAt = Instant.now();
            Receiver.Request second = receiver.received.poll(20, TimeUnit.SECONDS);
            assertNotNull(second, "the retry after the 500 arrived");
            assertTrue(Duration.between(firstAt, Instant.now()).toMillis() >= 500,
                    "the retry waited for the backoff (1 s)");
            for (Receiver.Request r : List.of(first, second)) {
                assertEquals(hmac(secret, r.body()), r.header("X-PrintMaster-Signature"), "the signature verifies");
                assertEquals("rollout.paused", r.header("X-PrintMaster-Event"));
                assertEquals("application/json", r.header("Content-Type"));
            }
            assertEquals(first.header("X-PrintMaster-Delivery"), second.header("X-PrintMaster-Delivery"),
                    "the same delivery, attempted twice");
            Map<?, ?> body = JSON.readValue(second.body(), Map.class);
            assertEquals("rollout.paused", body.get("type"));
            assertEquals("2026-03-01T10:00:00Z", body.get("at"));
            assertEquals("lab", body.get("fleet"));
            assertEquals("rol_1", body.get("rollout_id"));
            assertEquals(3, body.get("failed"));

            await(Duration.ofSeconds(10), () -> {
                try {
                    return DeliveryStore.DELIVERED.equals(log(w).get(0).state());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "the delivery is recorded as delivered");
            DeliveryStore.Delivery d = log(w).get(0);
            assertEquals(2, d.attempts());
            assertEquals(200, d.lastStatus());
            assertNotNull(d.deliveredAt());
            assertNull(receiver.received.poll(1500, TimeUnit.MILLISECONDS), "nothing is sent after the delivery");
        }
        List<String> actions = audit.list(AuditLog.Query.latest(50)).stream().map(AuditLog.Entry::action).toList();
        assertTrue(actions.contains("webhook.create"), actions.toString());
        assertEquals(1, actions.stream().filter("notification.rollout.paused"::equals).count(),
                "the notification is audited once: " + actions);
    }

    @Test
    void a400IsFinalAndOtherFleetsAndTypesAreNotSent() throws Exception {
        try (Receiver receiver = new Receiver(400)) {
            Webhook w = webhooks.create(receiver.url(), List.of(ServerEvent.ROLLOUT_PAUSED), "lab", webhooks.newSecret(),
                    "admin");
            bus.publish(paused("other"));
            bus.publish(new ServerEvent(ServerEvent.AGENT_STATUS, Instant.now(), "lab", Map.of()));
            bus.publish(paused("lab"));
            assertNotNull(receiver.received.poll(20, TimeUnit.SECONDS));
            await(Duration.ofSeconds(10), () -> {
                try {
                    return DeliveryStore.FAILED.equals(log(w).get(0).state());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "the delivery failed");
            List<DeliveryStore.Delivery> log = log(w);
            assertEquals(1, log.size(), "only lab's rollout.paused was queued: " + log);
            assertEquals(1, log.get(0).attempts());
            assertEquals(400, log.get(0).lastStatus());
            assertNull(receiver.received.poll(2500, TimeUnit.MILLISECONDS), "no retry after a 400");
        }
    }

    @Test
    void aDeliveryIsClaimedByOneSenderOnlyGivenUpAfterTheLastAttemptAndPrunedWhenOld() throws Exception {
        Webhook w = webhooks.create("http://127.0.0.1:9/hook", List.of(ServerEvent.RELEASE_CACHED), null,
                webhooks.newSecret(), "admin");
        sender.stop(); // this test claims by hand
        Instant now = Instant.now().plusSeconds(1);
        deliveries.enqueue(List.of(w.id()), ServerEvent.RELEASE_CACHED, "{}", Instant.now());
        long id = deliveries.due(now, 10).get(0);
        assertTrue(deliveries.claim(id, now, now.plusSeconds(60), 2).isPresent());
        assertFalse(deliveries.claim(id, now, now.plusSeconds(60), 2).isPresent(), "a second sender finds it taken");
        Instant leaseOver = now.plusSeconds(61);
        DeliveryStore.Claimed again = deliveries.claim(id, leaseOver, leaseOver.plusSeconds(60), 2).orElseThrow();
        assertEquals(2, again.attempt(), "a lapsed claim is taken again as the next attempt");
        assertFalse(deliveries.record(id, 1, DeliveryStore.DELIVERED, 200, null, leaseOver, null),
                "the first sender's late outcome does not overwrite the second attempt");
        Instant later = leaseOver.plusSeconds(61);
        assertFalse(deliveries.claim(id, later, later.plusSeconds(60), 2).isPresent(), "no attempt left");
        DeliveryStore.Delivery d = log(w).get(0);
        assertEquals(DeliveryStore.FAILED, d.state());
        assertEquals(2, d.attempts());

        deliveries.enqueue(List.of(w.id()), ServerEvent.RELEASE_CACHED, "{}", Instant.now());
        assertEquals(0, deliveries.prune(Instant.now().minus(WebhookSender.KEEP_LOG)), "a fresh failure stays in the log");
        assertEquals(1, deliveries.prune(Instant.now().plus(Duration.ofDays(1))), "only the finished one goes");
        assertEquals(List.of(DeliveryStore.PENDING), log(w).stream().map(DeliveryStore.Delivery::state).toList());
    }

    @Test
    void secretsAreStoredSealedAndBoundToTheirWebhook() throws Exception {
        Webhook w = webhooks.create("https://hooks.example/x", WebhooksResource.DEFAULT_EVENTS, null,
                "a-secret-of-enough-length", "admin");
        assertFalse(w.sealedSecret().contains("a-secret"), "sealed, not in the clear");
        assertEquals("a-secret-of-enough-length", new String(webhooks.openSecret(w), StandardCharsets.UTF_8));
        Webhook moved = new Webhook("wh_other", w.url(), w.events(), null, w.sealedSecret(), w.createdAt(), "x");
        assertThrowsSecurity(() -> webhooks.openSecret(moved));
        assertFalse(w.view().containsKey("secret"));
        assertEquals(Duration.ofSeconds(4), sender.backoff(3), "base 1 s: 1, 2, 4 s");
    }

    private static void assertThrowsSecurity(org.junit.jupiter.api.function.Executable e) {
        org.junit.jupiter.api.Assertions.assertThrows(java.security.GeneralSecurityException.class, e);
    }

    private static String hmac(String secret, byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
    }
}
