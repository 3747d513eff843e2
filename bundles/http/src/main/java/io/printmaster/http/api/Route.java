package io.printmaster.http.api;

import java.util.Locale;
import java.util.Objects;

/**
 * One REST route: method, path template such as {@code /api/v1/fleets/{id}}, the access it requires and its
 * handler. Every route must declare its access; there is no default.
 *
 * @param method HTTP method, upper case
 * @param path path template; {@code {name}} segments become path parameters
 * @param access {@link #PUBLIC}, {@link #ADMIN}, one of the grantable {@link Scopes} or {@link Scopes#AGENT}
 * @param handler the code that answers
 */
public record Route(String method, String path, String access, Handler handler) {

    /** Anyone, authenticated or not (health, login). */
    public static final String PUBLIC = "public";
    /** Only the administrator's console session; API tokens are refused (minting tokens, for instance). */
    public static final String ADMIN = "admin";

    public Route {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(access, "access");
        Objects.requireNonNull(handler, "handler");
        method = method.toUpperCase(Locale.ROOT);
        if (!path.startsWith("/api/")) {
            throw new IllegalArgumentException("route path must start with /api/: " + path);
        }
        if (!PUBLIC.equals(access) && !ADMIN.equals(access) && !Scopes.isRouteScope(access)) {
            throw new IllegalArgumentException("unknown access '" + access + "' for " + method + " " + path);
        }
    }

    public static Route get(String path, String access, Handler handler) {
        return new Route("GET", path, access, handler);
    }

    public static Route post(String path, String access, Handler handler) {
        return new Route("POST", path, access, handler);
    }

    public static Route put(String path, String access, Handler handler) {
        return new Route("PUT", path, access, handler);
    }

    public static Route delete(String path, String access, Handler handler) {
        return new Route("DELETE", path, access, handler);
    }

    /** Answers one request. Throw {@link ApiException} for anything the caller did wrong. */
    @FunctionalInterface
    public interface Handler {
        ApiResponse handle(ApiRequest request) throws Exception;
    }
}
