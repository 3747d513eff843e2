package io.printmaster.agent.localui;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.Caller;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A request as the dispatcher hands it to a public route: no caller, only method, path and headers. */
record FakeRequest(String method, String path, Map<String, String> headers) implements ApiRequest {

    static FakeRequest get(String path) {
        return new FakeRequest("GET", path, Map.of("Host", "127.0.0.1:8181"));
    }

    static FakeRequest post(String path) {
        return new FakeRequest("POST", path, Map.of("Host", "127.0.0.1:8181"));
    }

    FakeRequest with(String header, String value) {
        Map<String, String> h = new java.util.HashMap<>(headers);
        h.put(header, value);
        return new FakeRequest(method, path, Map.copyOf(h));
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
        return new byte[0];
    }

    @Override
    public <T> T body(Class<T> type) throws ApiException {
        throw new ApiException(400, "missing_body", "a JSON body is required");
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
