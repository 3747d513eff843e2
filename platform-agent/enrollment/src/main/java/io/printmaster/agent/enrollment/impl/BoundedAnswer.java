package io.printmaster.agent.enrollment.impl;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/**
 * Reads a server answer into memory, but never more than a limit and never for longer than a deadline: a hostile or
 * broken server that sends endless or trickling data would otherwise run the agent out of memory or hold its check-in
 * forever. Going beyond either cancels the body's subscription, which makes the HTTP client drop the connection, and
 * the call fails with an {@link IOException} the check-in loop treats like an unreachable server (it retries later).
 */
final class BoundedAnswer implements HttpResponse.BodySubscriber<byte[]> {
    /** The answer went beyond the byte limit. */
    static final class TooLarge extends IOException {
        private static final long serialVersionUID = 1L;

        TooLarge(String message) {
            super(message);
        }
    }

    /**
     * Whether a failed call was this limit's refusal (the HTTP client rethrows it wrapped in an exception of its own).
     */
    static boolean tooLarge(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof TooLarge) {
                return true;
            }
        }
        return false;
    }

    private final long maxBytes;
    private final Duration deadline;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private volatile Flow.Subscription subscription;

    private BoundedAnswer(long maxBytes, Duration deadline) {
        this.maxBytes = maxBytes;
        this.deadline = deadline;
    }

    /** A body handler whose bodies are read by a new {@code BoundedAnswer} each. */
    static HttpResponse.BodyHandler<byte[]> handler(long maxBytes, Duration deadline) {
        return info -> {
            long declared = info.headers().firstValueAsLong("Content-Length").orElse(-1);
            BoundedAnswer body = new BoundedAnswer(maxBytes, deadline);
            if (declared > maxBytes) {
                // refused before a byte is read: the subscription is cancelled as soon as it starts
                body.fail(body.tooLarge("declares " + declared + " bytes"));
            }
            return body;
        };
    }

    @Override
    public CompletionStage<byte[]> getBody() {
        return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        if (result.isDone()) {
            s.cancel();
            return;
        }
        CompletableFuture.delayedExecutor(deadline.toMillis(), TimeUnit.MILLISECONDS).execute(() ->
                fail(new HttpTimeoutException("the server's answer was not complete within " + deadline.toSeconds()
                        + " s (" + size() + " bytes received); the connection was dropped")));
        s.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
        if (result.isDone()) {
            return;
        }
        synchronized (bytes) {
            for (ByteBuffer b : items) {
                if (bytes.size() + (long) b.remaining() > maxBytes) {
                    fail(tooLarge("went on beyond them"));
                    return;
                }
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                bytes.write(chunk, 0, chunk.length);
            }
        }
        subscription.request(1);
    }

    @Override
    public void onError(Throwable t) {
        result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
        synchronized (bytes) {
            result.complete(bytes.toByteArray());
        }
    }

    private TooLarge tooLarge(String what) {
        return new TooLarge("the server's answer is larger than the " + maxBytes + " bytes an agent reads (it " + what
                + "); the connection was dropped");
    }

    private int size() {
        synchronized (bytes) {
            return bytes.size();
        }
    }

    private void fail(IOException e) {
        if (result.completeExceptionally(e)) {
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
        }
    }
}
