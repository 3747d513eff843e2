package io.printmaster.agent.enrollment.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.agent.enrollment.api.CheckIn;
import io.printmaster.agent.enrollment.api.EnrolledAgent;
import io.printmaster.core.retry.Backoff;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's end of push ({@code GET /api/v1/agents/update/wait}): one thread holding one long poll at a time. When
 * the server answers with events (a command, an abort of the agent's rollout, a policy change), the agent checks in
 * at once, and the check-in brings what changed (it stays the source of truth; the events are only hints). The
 * periodic check-in keeps its cadence whatever happens here.
 *
 * <p>Each connection starts with a handshake (a wait without a cursor, answered at once with one) and a check-in:
 * the check-in covers what happened before the cursor, the waits with the cursor what happens after it, so nothing
 * pushed while the agent started or reconnected is lost. On a failure (server unreachable, 5xx, a cut connection) it
 * backs off (1 s doubling to 60 s, with jitter) and connects again the same way.
 * A server without the route (404 or 405 for three minutes: older than push; a starting server answers 404 for a
 * moment) is asked again only after an hour. 503 and 429
 * are honoured with their {@code Retry-After}. The same TLS trust as the check-in ({@link FollowingServerTls}) and the
 * JDK's default proxy selector, as the check-in's client, are used.
 */
final class PushWaitLoop implements AutoCloseable {
    static final String WAIT = "/api/v1/agents/update/wait";
    static final String CURSOR_HEADER = "PM-Wait-Cursor";
    private static final Logger LOG = LoggerFactory.getLogger(PushWaitLoop.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Longer than the server holds a wait (55 s), so a quiet wait ends with the server's 204, not here. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(90);
    private static final int MAX_ANSWER_BYTES = 256 * 1024;
    private static final Duration CHECK_IN_TIMEOUT = Duration.ofSeconds(60);
    /**
     * How long a server without the route (404, 405) is left alone: an older server has none until it is upgraded,
     * and a server that is starting answers 404 for a moment, so "never again" would lose push for good.
     */
    static final Duration UNSUPPORTED_RETRY = Duration.ofHours(1);
    /**
     * How long 404/405 must last before the server is taken for one without push: a server that is starting serves
     * its routes as their bundles come up, so the first answers after a restart may be 404.
     */
    static final Duration NOT_FOUND_GRACE = Duration.ofMinutes(3);

    /** What the loop needs of the enrollment: who and where the agent is, and a check-in on demand. */
    interface Agent {
        Optional<EnrolledAgent> current();

        Optional<String> credential();

        SSLContext serverTls();

        /** Checks in now and waits for it, at most {@code timeout}. */
        Optional<CheckIn> checkInNow(Duration timeout) throws InterruptedException;
    }

    private final Agent agent;
    private final Supplier<Boolean> enabled;
    private final Backoff backoff;
    private final Duration connectTimeout;
    private final Object lock = new Object();
    private volatile boolean running;
    private Thread thread;
    private HttpClient http;
    private SSLContext httpTls;

    // only touched by the loop thread
    private String cursor;
    private int failures;
    /** When a server answered 404/405 (no push): asked again only after {@link #UNSUPPORTED_RETRY}. */
    private long unsupportedUntilNanos;
    private boolean unsupported;
    /** When the current run of 404/405 answers began; null after any other answer. */
    private Long notFoundSinceNanos;

    /** Waits answered with events (for tests). */
    private volatile long eventAnswers;
    /** When the current push connection was made (its handshake); null while there is none. */
    private volatile Instant connectedSince;

    PushWaitLoop(Agent agent, Supplier<Boolean> enabled, Backoff backoff, Duration connectTimeout) {
        this.agent = agent;
        this.enabled = enabled;
        this.backoff = backoff;
        this.connectTimeout = connectTimeout;
    }

    static Backoff defaultBackoff() {
        return Backoff.of(Duration.ofSeconds(1), Duration.ofSeconds(60), Integer.MAX_VALUE);
    }

    void start() {
        running = true;
        thread = new Thread(this::run, "pm-push-wait");
        thread.setDaemon(true);
        thread.start();
    }

    /** The configuration changed (push turned on or off): look again now. */
    void wake() {
        synchronized (lock) {
            lock.notifyAll();
        }
    }

    @Override
    public void close() {
        running = false;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** When the push connection in use was made; empty while there is none (off, not enrolled, failing). */
    Optional<Instant> connectedSince() {
        return Optional.ofNullable(connectedSince);
    }

    long eventAnswers() {
        return eventAnswers;
    }

    private void run() {
        while (running) {
            try {
                if (unsupported && System.nanoTime() - unsupportedUntilNanos >= 0) {
                    unsupported = false;
                }
                Optional<EnrolledAgent> enrolled = agent.current();
                Optional<String> credential = agent.credential();
                if (!Boolean.TRUE.equals(enabled.get()) || unsupported || enrolled.isEmpty() || credential.isEmpty()) {
                    disconnected();
                    pause(Duration.ofSeconds(5)); // not enrolled yet, or pushing is off: look again later
                    continue;
                }
                if (failures > 0) {
                    pause(backoff.delayAfter(failures).orElse(backoff.max()));
                    if (!running) {
                        return;
                    }
                }
                waitOnce(enrolled.get().serverUrl(), credential.get());
            } catch (InterruptedException e) {
                if (!running) {
                    return;
                }
            } catch (IOException | RuntimeException e) {
                disconnected();
                failures++;
                LOG.debug("waiting for a push failed ({}); polling continues, retrying", e.toString());
            }
        }
        disconnected();
    }

    /** Forgets the cursor: the next wait is a handshake followed by a check-in, which covers the gap. */
    private void disconnected() {
        connectedSince = null;
        cursor = null;
    }

    /**
     * One request: the handshake when there is no cursor (answered at once with a cursor; then a check-in covers
     * whatever happened before it), else a wait with the cursor.
     */
    private void waitOnce(URI server, String credential) throws IOException, InterruptedException {
        boolean handshake = cursor == null;
        String query = handshake ? "" : "?cursor=" + URLEncoder.encode(cursor, StandardCharsets.US_ASCII);
        HttpRequest req = HttpRequest.newBuilder(URI.create(server + WAIT + query)).timeout(REQUEST_TIMEOUT)
                .header("Accept", "application/json").header("Authorization", "Bearer " + credential).GET().build();
        HttpResponse<byte[]> resp = client().send(req, BoundedAnswer.handler(MAX_ANSWER_BYTES, REQUEST_TIMEOUT));
        int status = resp.statusCode();
        if (status != 404 && status != 405) {
            notFoundSinceNanos = null;
        }
        switch (status) {
            case 200 -> {
                JsonNode body = JSON.readTree(resp.body());
                String next = body.path("cursor").asText(null);
                if (next == null || next.isBlank()) {
                    throw new IOException("the server's wait answer has no cursor");
                }
                cursor = next;
                failures = 0;
                JsonNode events = body.path("events");
                if (handshake) {
                    connectedSince = Instant.now();
                    LOG.debug("push connected; checking in to cover the time before it");
                    agent.checkInNow(CHECK_IN_TIMEOUT);
                } else if (events.isArray() && !events.isEmpty()) {
                    eventAnswers++;
                    LOG.debug("the server pushed {} event(s); checking in now", events.size());
                    agent.checkInNow(CHECK_IN_TIMEOUT);
                }
            }
            case 204 -> {
                failures = 0;
                resp.headers().firstValue(CURSOR_HEADER).filter(c -> !c.isBlank()).ifPresent(c -> cursor = c);
            }
            case 404, 405 -> {
                disconnected();
                failures++;
                long now = System.nanoTime();
                if (notFoundSinceNanos == null) {
                    notFoundSinceNanos = now;
                } else if (now - notFoundSinceNanos >= NOT_FOUND_GRACE.toNanos()) {
                    notFoundSinceNanos = null;
                    failures = 0;
                    unsupported = true;
                    unsupportedUntilNanos = now + UNSUPPORTED_RETRY.toNanos();
                    LOG.info("the server does not push to agents (HTTP {} on {}); the agent polls on its schedule and "
                            + "asks again in {} minutes", status, WAIT, UNSUPPORTED_RETRY.toMinutes());
                }
                return;
            }
            case 429, 503 -> {
                disconnected();
                Duration after = retryAfter(resp).orElse(Duration.ofSeconds(60));
                LOG.debug("the server holds its most waits; polling only for {} s", after.toSeconds());
                failures = 0;
                pause(after);
            }
            default -> {
                // 400 (a cursor another server gave), 401 (the enrollment's check-in handles a refused credential),
                // 5xx, a proxy's error page
                disconnected();
                failures++;
            }
        }
    }

    private static Optional<Duration> retryAfter(HttpResponse<?> resp) {
        return resp.headers().firstValue("Retry-After").flatMap(v -> {
            try {
                long s = Long.parseLong(v.trim());
                return Optional.of(Duration.ofSeconds(Math.max(1, Math.min(600, s))));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        });
    }

    private HttpClient client() {
        SSLContext tls = agent.serverTls();
        if (http == null || tls != httpTls) {
            HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(connectTimeout)
                    .version(HttpClient.Version.HTTP_1_1).followRedirects(HttpClient.Redirect.NEVER);
            if (tls != null) {
                b.sslContext(tls);
            }
            http = b.build();
            httpTls = tls;
        }
        return http;
    }

    private void pause(Duration d) throws InterruptedException {
        synchronized (lock) {
            lock.wait(Math.max(1, d.toMillis()));
        }
    }
}
