package io.printmaster.http.api;

import java.util.List;

/**
 * A request the server will not carry out. Rendered as
 * {@code {"error":{"code":"…","message":"…","field":"…"}}} with the given status (plus {@code "details"}, a list of
 * {@code {"field","message"}}, when several fields are invalid); nothing was changed.
 */
public class ApiException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final String field;
    private final List<FieldError> details;
    private final java.util.Map<String, String> headers = new java.util.LinkedHashMap<>();

    /** One of several problems with one request, each naming its field. */
    public record FieldError(String field, String message) {
    }

    public ApiException(int status, String code, String message, String field) {
        this(status, code, message, field, List.of());
    }

    private ApiException(int status, String code, String message, String field, List<FieldError> details) {
        super(message);
        this.status = status;
        this.code = code;
        this.field = field;
        this.details = List.copyOf(details);
    }

    public ApiException(int status, String code, String message) {
        this(status, code, message, null);
    }

    /** 400 for a value that fails validation; {@code field} names it, dotted for nested fields. */
    public static ApiException invalid(String field, String message) {
        return new ApiException(400, "invalid_field", message, field);
    }

    /**
     * 400 for several invalid values at once: {@code field} and the message name the first, {@code details} lists
     * them all so a form can mark every one.
     */
    public static ApiException invalid(List<FieldError> errors) {
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("no errors");
        }
        FieldError first = errors.get(0);
        String more = errors.size() > 1 ? " (and " + (errors.size() - 1) + " more problem" + (errors.size() > 2 ? "s" : "") + ")" : "";
        return new ApiException(400, "invalid_field", first.message() + more, first.field(), errors);
    }

    public static ApiException badRequest(String message) {
        return new ApiException(400, "bad_request", message);
    }

    public static ApiException notFound(String what) {
        return new ApiException(404, "not_found", what + " not found");
    }

    public static ApiException conflict(String field, String message) {
        return new ApiException(409, "conflict", message, field);
    }

    public static ApiException unauthorized(String message) {
        return new ApiException(401, "unauthorized", message);
    }

    public static ApiException forbidden(String message) {
        return new ApiException(403, "forbidden", message);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    /** Adds a response header to the error answer, e.g. {@code Retry-After} on a 429. */
    public ApiException withHeader(String name, String value) {
        headers.put(name, value);
        return this;
    }

    /** Headers the error answer carries. */
    public java.util.Map<String, String> headers() {
        return java.util.Collections.unmodifiableMap(headers);
    }

    /** Every invalid field when there were several; empty otherwise. */
    public List<FieldError> details() {
        return details;
    }

    /** The offending field, or null when the error is not about one field. */
    public String field() {
        return field;
    }
}
