package io.printmaster.server.notifications.impl;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends due webhook deliveries: every second, and at once when one is queued, it claims due deliveries
 * ({@link DeliveryStore#claim}) and POSTs each body with its signature ({@link WebhookSignature}), event type and
 * delivery id, without waiting on the receiver (java.net.http, asynchronous, {@value #TIMEOUT_SECONDS} s timeout, no
 * redirects followed). A 2xx answer delivers it; a 5xx, a 429 or no answer retries after
 * {@code retry_base_seconds × 2^(attempt-1)} until {@code max_attempts}; any other answer is final.
 */
@Component(service = WebhookSender.class, configurationPid = NotificationsConfiguration.PID)
public class WebhookSender {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookSender.class);
    static final int TIMEOUT_SECONDS = 10;
    /** How long a claim holds a delivery before another sender may take it: well beyond the request timeout. */
    static final Duration LEASE = Duration.ofSeconds(60);
    /** Requests in flight at most; due deliveries beyond wait for the next round. */
    static final int MAX_IN_FLIGHT = 16;
    /** How long the delivery log keeps a delivered or failed delivery. */
    static final Duration KEEP_LOG = Duration.ofDays(30);

    private final WebhookStore webhooks;
    private final DeliveryStore deliveries;
    private final Clock clock;
    private final Duration retryBase;
    private final int maxAttempts;
    private final HttpClient http;
    /** The client's threads (callbacks, its selector), ended with the component. */
    private final ExecutorService httpThreads;
    private final ScheduledExecutorService executor;
    private final AtomicInteger inFlight = new AtomicInteger();

    @Activate
    public WebhookSender(@Reference WebhookStore webhooks, @Reference DeliveryStore deliveries,
                         NotificationsConfiguration config) {
        this(webhooks, deliveries, config, Clock.systemUTC());
    }

    WebhookSender(WebhookStore webhooks, DeliveryStore deliveries, NotificationsConfiguration config, Clock clock) {
        if (config.retry__base__seconds() < 1) {
            throw new IllegalArgumentException(NotificationsConfiguration.PID + ": retry_base_seconds must be at least 1, not "
                    + config.retry__base__seconds());
        }
        if (config.max__attempts() < 1) {
            throw new IllegalArgumentException(NotificationsConfiguration.PID + ": max_attempts must be at least 1, not "
                    + config.max__attempts());
        }
        this.webhooks = webhooks;
        this.deliveries = deliveries;
        this.clock = clock;
        this.retryBase = Duration.ofSeconds(config.retry__base__seconds());
        this.maxAttempts = config.max__attempts();
        this.httpThreads = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "pm-webhook-http");
            t.setDaemon(true);
            return t;
        });
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(TIMEOUT_SECONDS))
                .followRedirects(HttpClient.Redirect.NEVER).executor(httpThreads).build();
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pm-webhook-sender");
            t.setDaemon(true);
            return t;
        });
        executor.scheduleWithFixedDelay(this::round, 1, 1, TimeUnit.SECONDS);
        executor.scheduleWithFixedDelay(this::prune, 1, 60, TimeUnit.MINUTES);
    }

    @Deactivate
    void stop() {
        executor.shutdownNow();
        httpThreads.shutdownNow();
    }

    /** A delivery was queued: send it now rather than at the next round. */
    void wake() {
        try {
            executor.execute(this::round);
        } catch (RejectedExecutionException stopping) {
            // the next start sends it
        }
    }

    /** The wait before the attempt after {@code attempt} (1-based): base, 2 × base, 4 × base, … */
    Duration backoff(int attempt) {
        return retryBase.multipliedBy(1L << Math.min(attempt - 1, 20));
    }

    private void round() {
        try {
            int room = MAX_IN_FLIGHT - inFlight.get();
            if (room <= 0) {
                return;
            }
            Instant now = clock.instant();
            for (long id : deliveries.due(now, room)) {
                Optional<DeliveryStore.Claimed> claimed = deliveries.claim(id, now, now.plus(LEASE), maxAttempts);
                claimed.ifPresent(this::send);
            }
        } catch (SQLException | RuntimeException e) {
            LOG.warn("webhook deliveries could not be sent this round: {}", e.toString());
        }
    }

    private void prune() {
        try {
            deliveries.prune(clock.instant().minus(KEEP_LOG));
        } catch (SQLException | RuntimeException e) {
            LOG.warn("old webhook deliveries could not be deleted: {}", e.toString());
        }
    }

    private void send(DeliveryStore.Claimed d) {
        Optional<Webhook> hook;
        byte[] body = d.body().getBytes(StandardCharsets.UTF_8);
        String signature;
        try {
            hook = webhooks.find(d.webhookId());
            if (hook.isEmpty()) {
                return; // deleted meanwhile: its deliveries went with it
            }
            byte[] secret = webhooks.openSecret(hook.get());
            try {
                signature = WebhookSignature.sign(secret, body);
            } finally {
                Arrays.fill(secret, (byte) 0);
            }
        } catch (Exception e) {
            // never the secret in the message: only that it could not be opened
            outcome(d, null, "cannot sign the delivery: the webhook's secret cannot be opened (" + e.getClass().getSimpleName() + ")", true);
            return;
        }
        HttpRequest request;
        try {
            request = HttpRequest.newBuilder(URI.create(hook.get().url())).timeout(Duration.ofSeconds(TIMEOUT_SECONDS))
                    .header("Content-Type", "application/json")
                    .header("User-Agent", "PrintMaster-Webhooks")
                    .header(WebhookSignature.HEADER, signature)
                    .header("X-PrintMaster-Event", d.eventType())
                    .header("X-PrintMaster-Delivery", Long.toString(d.id()))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        } catch (IllegalArgumentException e) {
            outcome(d, null, "the webhook's URL cannot be used: " + e.getMessage(), true);
            return;
        }
        inFlight.incrementAndGet();
        http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, failure) -> {
            inFlight.decrementAndGet();
            if (failure != null) {
                Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
                outcome(d, null, "no answer: " + cause.getClass().getSimpleName()
                        + (cause.getMessage() == null ? "" : " (" + cause.getMessage() + ")"), false);
            } else {
                int status = response.statusCode();
                boolean ok = status >= 200 && status < 300;
                outcome(d, status, ok ? null : "the receiver answered " + status, !ok && !retryable(status));
            }
        });
    }

    static boolean retryable(int status) {
        return status >= 500 || status == 429;
    }

    /** @param status null when no answer came; {@code error} null when delivered */
    private void outcome(DeliveryStore.Claimed d, Integer status, String error, boolean finalFailure) {
        Instant now = clock.instant();
        String state;
        Instant next = null;
        if (error == null) {
            state = DeliveryStore.DELIVERED;
        } else if (finalFailure || d.attempt() >= maxAttempts) {
            state = DeliveryStore.FAILED;
        } else {
            state = DeliveryStore.PENDING;
            next = now.plus(backoff(d.attempt()));
        }
        try {
            deliveries.record(d.id(), d.attempt(), state, status, error, now, next);
        } catch (SQLException | RuntimeException e) {
            LOG.warn("cannot record the outcome of webhook delivery {} ({}): {}", d.id(), state, e.toString());
        }
        if (next != null) {
            long delay = Math.max(0, Duration.between(clock.instant(), next).toMillis());
            try {
                executor.schedule(this::round, delay, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException stopping) {
                // the delivery stays pending; the next start sends it
            }
        }
    }
}
