package io.printmaster.http.api;

import java.io.IOException;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.ArrayList;
import java.util.Map;

/**
 * What a handler answers: a status, headers, and either a value the dispatcher writes as JSON or a raw body
 * with its own content type.
 */
public final class ApiResponse {
    private final int status;
    private final Object json;
    private final RawBody raw;
    private final String contentType;
    private final EventStream eventStream;
    private Deferred deferred;
    private FileRange fileRange;
    private WriterRange writerRange;
    private final Map<String, List<String>> headers = new LinkedHashMap<>();

    private ApiResponse(int status, Object json, RawBody raw, String contentType) {
        this(status, json, raw, contentType, null);
    }

    private ApiResponse(int status, Object json, RawBody raw, String contentType, EventStream eventStream) {
        this.status = status;
        this.json = json;
        this.raw = raw;
        this.contentType = contentType;
        this.eventStream = eventStream;
    }

    public static ApiResponse ok(Object body) {
        return new ApiResponse(200, body, null, "application/json");
    }

    public static ApiResponse created(Object body) {
        return new ApiResponse(201, body, null, "application/json");
    }

    public static ApiResponse noContent() {
        return new ApiResponse(204, null, null, null);
    }

    public static ApiResponse status(int status, Object body) {
        return new ApiResponse(status, body, null, "application/json");
    }

    /** A body written by the handler itself (files, streams); the dispatcher does not touch it. */
    public static ApiResponse raw(int status, String contentType, RawBody body) {
        return new ApiResponse(status, null, body, contentType);
    }

    /**
     * A 200 {@code text/event-stream} answer that stays open without holding a thread; see {@link EventStream}.
     * When the server already holds as many streams as it allows, the caller gets 503 (or 429 for its address).
     *
     * @since 1.5
     */
    public static ApiResponse eventStream(EventStream stream) {
        return new ApiResponse(200, null, null, "text/event-stream;charset=utf-8", java.util.Objects.requireNonNull(stream));
    }

    /**
     * An answer given later by whoever completes the {@link PendingAnswer} handed to {@code answer} (a long poll);
     * no server thread waits meanwhile, and the connection's idle timeout does not end the wait early. When nobody
     * answers within {@code maxWait}, the client gets {@code whenTimedOut}.
     *
     * @param maxWait how long the request may wait, at least 1 ms
     * @param whenTimedOut the answer after {@code maxWait} (a plain response, such as {@link #noContent()})
     * @since 1.8
     */
    public static ApiResponse deferred(java.time.Duration maxWait, ApiResponse whenTimedOut, DeferredAnswer answer) {
        if (maxWait.isNegative() || maxWait.isZero()) {
            throw new IllegalArgumentException("maxWait must be positive");
        }
        if (!java.util.Objects.requireNonNull(whenTimedOut, "whenTimedOut").isPlain()) {
            throw new IllegalArgumentException("whenTimedOut must be a plain answer");
        }
        ApiResponse r = new ApiResponse(200, null, null, null);
        r.deferred = new Deferred(java.util.Objects.requireNonNull(answer, "answer"), maxWait, whenTimedOut);
        return r;
    }

    /** What a {@link #deferred} answer is made of. @since 1.8 */
    public record Deferred(DeferredAnswer answer, java.time.Duration maxWait, ApiResponse whenTimedOut) {
    }

    /** The parts of a {@link #deferred} answer, else null. @since 1.8 */
    public Deferred deferred() {
        return deferred;
    }

    /** Whether this is a status, headers and a JSON body or none (no stream, file, raw body or deferral). @since 1.8 */
    public boolean isPlain() {
        return raw == null && eventStream == null && fileRange == null && writerRange == null && deferred == null;
    }

    /**
     * Bytes of a file as the body, written without a thread waiting on a slow client (the dispatcher writes them
     * whenever the connection can take more). The status and headers ({@code Content-Length}, {@code Content-Range})
     * are the caller's; {@link Downloads#serveFile} sets them for downloads.
     *
     * @since 1.5
     */
    public static ApiResponse file(int status, String contentType, java.nio.file.Path file, long offset, long length) {
        ApiResponse r = new ApiResponse(status, null, null, contentType);
        r.fileRange = new FileRange(java.util.Objects.requireNonNull(file), offset, length);
        return r;
    }

    /** {@code length} bytes of {@code file} from {@code offset}: the body of a {@link #file} answer. @since 1.5 */
    public record FileRange(java.nio.file.Path file, long offset, long length) {
        public FileRange {
            if (offset < 0 || length < 0) {
                throw new IllegalArgumentException("offset and length must not be negative");
            }
        }
    }

    /** The body of a {@link #file} answer, else null. @since 1.5 */
    public FileRange fileRange() {
        return fileRange;
    }

    /**
     * {@code length} bytes from {@code offset} that {@code writer} produces, as the body, written in pieces whenever
     * the connection can take more (no thread waits on a slow client): the writer is called once per piece, with
     * consecutive ranges, never concurrently. The status and headers are the caller's; {@link Downloads#serve} sets
     * them for downloads.
     *
     * @since 1.5
     */
    public static ApiResponse ranged(int status, String contentType, Downloads.RangeWriter writer, long offset, long length) {
        ApiResponse r = new ApiResponse(status, null, null, contentType);
        r.writerRange = new WriterRange(java.util.Objects.requireNonNull(writer), offset, length);
        return r;
    }

    /** The body of a {@link #ranged} answer. @since 1.5 */
    public record WriterRange(Downloads.RangeWriter writer, long offset, long length) {
        public WriterRange {
            if (offset < 0 || length < 0) {
                throw new IllegalArgumentException("offset and length must not be negative");
            }
        }
    }

    /** The body of a {@link #ranged} answer, else null. @since 1.5 */
    public WriterRange writerRange() {
        return writerRange;
    }

    /** Adds a header; may be called several times for the same name (Set-Cookie). */
    public ApiResponse header(String name, String value) {
        headers.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        return this;
    }

    public int status() {
        return status;
    }

    public Object json() {
        return json;
    }

    public RawBody raw() {
        return raw;
    }

    /** The event stream of an {@link #eventStream} answer, else null. @since 1.5 */
    public EventStream eventStream() {
        return eventStream;
    }

    public String contentType() {
        return contentType;
    }

    public Map<String, List<String>> headers() {
        return headers;
    }

    @FunctionalInterface
    public interface RawBody {
        void writeTo(OutputStream out) throws IOException;
    }
}
