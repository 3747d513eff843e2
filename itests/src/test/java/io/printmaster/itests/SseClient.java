package io.printmaster.itests;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A server-sent events client written out by hand (no EventSource library): opens {@code GET path} with the given
 * headers, parses the {@code id:}, {@code event:} and {@code data:} lines of each frame as the stream delivers them,
 * and queues the frames for the test to wait on.
 */
final class SseClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** One frame: its id (null when it has none), event name and data parsed as a JSON object. */
    record Frame(String id, String event, Map<String, Object> data) {
        long seq() {
            return Long.parseLong(id);
        }
    }

    final int status;
    final String contentType;
    private final BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
    private final List<Frame> seen = new ArrayList<>();
    private final Stream<String> lines;
    private final Thread reader;

    private SseClient(HttpResponse<Stream<String>> response) {
        this.status = response.statusCode();
        this.contentType = response.headers().firstValue("Content-Type").orElse("");
        this.lines = response.body();
        this.reader = new Thread(this::read, "sse-client");
        reader.setDaemon(true);
        reader.start();
    }

    /** @param headers name, value, name, value… ({@code Authorization}, {@code Cookie}, {@code Last-Event-ID}) */
    static SseClient open(String port, String path, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Accept", "text/event-stream").GET();
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return new SseClient(HTTP.send(b.build(), HttpResponse.BodyHandlers.ofLines()));
    }

    @SuppressWarnings("unchecked")
    private void read() {
        String id = null;
        String event = null;
        StringBuilder data = new StringBuilder();
        try {
            for (String line : (Iterable<String>) lines::iterator) {
                if (line.isEmpty()) {
                    if (data.length() > 0) {
                        frames.add(new Frame(id, event, JSON.readValue(data.toString(), Map.class)));
                    }
                    id = null;
                    event = null;
                    data.setLength(0);
                } else if (line.startsWith("id: ")) {
                    id = line.substring(4);
                } else if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    data.append(line.substring(6));
                }
                // comments (": keep-alive") and retry: lines carry no event
            }
        } catch (IOException | RuntimeException e) {
            // the stream ended or was closed by the test
        }
    }

    /** Waits for the next frame that matches, keeping every frame read on the way; fails after the timeout. */
    Frame await(Duration timeout, String what, Predicate<Frame> match) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            Frame f = left <= 0 ? null : frames.poll(left, TimeUnit.NANOSECONDS);
            if (f == null) {
                throw new AssertionError("no " + what + " within " + timeout + "; frames so far: " + seen);
            }
            seen.add(f);
            if (match.test(f)) {
                return f;
            }
        }
    }

    /** Whether the server ended the stream within {@code timeout} (its last line was read). */
    boolean awaitEnd(Duration timeout) throws InterruptedException {
        reader.join(timeout.toMillis());
        return !reader.isAlive();
    }

    /** Every frame the test has taken so far (through {@link #await}), in order. */
    List<Frame> seen() {
        return List.copyOf(seen);
    }

    @Override
    public void close() {
        lines.close();
        reader.interrupt();
    }
}
