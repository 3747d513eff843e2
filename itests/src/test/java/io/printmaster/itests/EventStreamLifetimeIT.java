package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
 * A live event stream does not outlast its credential: each stream ends after {@code event_stream_max_seconds}, the
 * reconnect is authenticated again, so a token revoked while its stream is open stops receiving events at the next
 * end and its reconnect is refused.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class EventStreamLifetimeIT {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() throws Exception {
        Path data = ServerContainer.newDataDir("event-stream-lifetime");
        Files.writeString(data.resolve("etc/io.printmaster.server.notifications.cfg"), "event_stream_max_seconds=2\n");
        return OptionUtils.combine(ServerContainer.options(data, ServerContainer.freePort()),
                frameworkProperty("pm.admin.password").value("itest-" + UUID.randomUUID()),
                frameworkProperty("pm.releases.builtin").value("off"));
    }

    @Test
    @SuppressWarnings("unchecked")
    public void aStreamEndsAndItsReconnectIsRefusedOnceTheTokenIsRevoked() throws Exception {
        String port = context.getProperty("org.osgi.service.http.port");
        ApiClient anonymous = ApiClient.anonymous(port);
        anonymous.awaitHealthy();
        ApiClient admin = anonymous.login(context.getProperty("pm.admin.password"));
        Eventually.within(WAIT, () -> assertTrue("the configured lifetime is applied", context.getServiceReferences(
                (String) null, "(event_stream_max_seconds=2)") != null));
        String name = "watcher-" + UUID.randomUUID();
        String token = admin.createToken(name, List.of("agents.read"), null);

        try (SseClient first = SseClient.open(port, "/api/v1/events", "Authorization", "Bearer " + token)) {
            assertEquals(200, first.status);
            assertTrue("the server ends a stream after its lifetime", first.awaitEnd(WAIT));
        }
        try (SseClient open = SseClient.open(port, "/api/v1/events", "Authorization", "Bearer " + token)) {
            assertEquals("a reconnect with a valid token is a new stream", 200, open.status);
            String id = ((List<Map<String, Object>>) admin.get("/api/v1/auth/tokens").json().get("tokens")).stream()
                    .filter(t -> name.equals(t.get("name"))).map(t -> (String) t.get("id")).findFirst().orElseThrow();
            assertEquals(204, admin.send("DELETE", "/api/v1/auth/tokens/" + id, null).status());
            assertTrue("the stream of the revoked token ends", open.awaitEnd(WAIT));
        }
        try (SseClient refused = SseClient.open(port, "/api/v1/events", "Authorization", "Bearer " + token)) {
            assertEquals("the revoked token's reconnect is refused", 401, refused.status);
        }
    }
}
