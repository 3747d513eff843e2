package io.printmaster.http.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.Caller;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

final class ServletApiRequest implements ApiRequest {
    private final HttpServletRequest req;
    private final Map<String, String> params;
    private final Optional<Caller> caller;
    private final byte[] body;
    private final JsonMapper json;

    ServletApiRequest(HttpServletRequest req, Map<String, String> params, Optional<Caller> caller, byte[] body, JsonMapper json) {
        this.req = req;
        this.params = params;
        this.caller = caller;
        this.body = body;
        this.json = json;
    }

    @Override
    public String method() {
        return req.getMethod();
    }

    @Override
    public String path() {
        return req.getRequestURI();
    }

    @Override
    public String pathParam(String name) {
        return java.net.URLDecoder.decode(params.get(name), java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public Optional<String> query(String name) {
        return Optional.ofNullable(req.getParameter(name));
    }

    @Override
    public Map<String, List<String>> queryParams() {
        return req.getParameterMap().entrySet().stream()
                .collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, e -> Arrays.asList(e.getValue())));
    }

    @Override
    public Optional<String> header(String name) {
        return Optional.ofNullable(req.getHeader(name));
    }

    @Override
    public Optional<String> cookie(String name) {
        jakarta.servlet.http.Cookie[] cookies = req.getCookies();
        if (cookies != null) {
            for (jakarta.servlet.http.Cookie c : cookies) {
                if (c.getName().equals(name)) {
                    return Optional.of(c.getValue());
                }
            }
        }
        return Optional.empty();
    }

    @Override
    public boolean isSecure() {
        return req.isSecure();
    }

    @Override
    public Optional<Caller> caller() {
        return caller;
    }

    @Override
    public Caller requireCaller() {
        return caller.orElseThrow(() -> new IllegalStateException("protected route without caller"));
    }

    @Override
    public byte[] body() {
        return body.clone();
    }

    @Override
    public <T> T body(Class<T> type) throws ApiException {
        return json.read(body, type);
    }

    @Override
    public String remoteAddress() {
        return req.getRemoteAddr();
    }
}
