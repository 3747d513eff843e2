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
