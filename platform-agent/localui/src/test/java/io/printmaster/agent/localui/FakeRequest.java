package io.printmaster.agent.localui;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.Caller;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A request as the dispatcher hands it to a public route: no caller, only method, path, headers and a JSON body
 * (mapped strictly, as the dispatcher maps it: unknown members are refused).
 */
record FakeRequest(String method, String path, Map<String, String> headers, String json) implements ApiRequest {
    private static final com.fasterxml.jackson.databind.ObjectMapper STRICT = new com.fasterxml.jackson.databind.ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    FakeRequest(String method, String path, Map<String, String> headers) {
        this(method, path, headers, null);
    }

    static FakeRequest put(String path, String json) {
        return new FakeRequest("PUT", path, Map.of("Host", "127.0.0.1:8181"), json);
    }

    static FakeRequest get(String path) {
        return new FakeRequest("GET", path, Map.of("Host", "127.0.0.1:8181"));
    }

    static FakeRequest post(String path) {
        return new FakeRequest("POST", path, Map.of("Host", "127.0.0.1:8181"));
    }

    FakeRequest with(String header, String value) {
        Map<String, String> h = new java.util.HashMap<>(headers);
        h.put(header, value);
        return new FakeRequest(method, path, Map.copyOf(h), json);
    }

    @Override
    public String pathParam(String name) {
        throw new IllegalArgumentException(name);
    }

    @Override
    public Optional<String> query(String name) {
        return Optional.empty();
    }

    @Override
    public Map<String, List<String>> queryParams() {
        return Map.of();
    }

    @Override
    public Optional<String> header(String name) {
        return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).findFirst();
    }

    @Override
    public Optional<Caller> caller() {
        return Optional.empty();
    }

    @Override
    public Caller requireCaller() {
        throw new IllegalStateException("public route");
    }

    @Override
    public byte[] body() {
        return json == null ? new byte[0] : json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public <T> T body(Class<T> type) throws ApiException {
        if (json == null) {
            throw new ApiException(400, "missing_body", "a JSON body is required");
        }
        try {
            return STRICT.readValue(json, type);
        } catch (java.io.IOException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    @Override
    public String remoteAddress() {
        return "127.0.0.1";
    }

    @Override
    public java.util.Optional<String> cookie(String name) {
        return java.util.Optional.empty();
    }

    @Override
    public boolean isSecure() {
        return false;
    }
}
