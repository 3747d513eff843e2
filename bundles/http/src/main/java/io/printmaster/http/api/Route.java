package io.printmaster.http.api;

import java.util.Locale;
import java.util.Objects;

/**
 * One REST route: method, path template such as {@code /api/v1/fleets/{id}}, the access it requires and its
 * handler. Every route must declare its access; there is no default.
 *
 * <p>A write whose target is not one fleet (the signing key, every manifest, the release sources, the global
 * policy, a new fleet) is declared {@link #serverWide()}: the dispatcher then refuses it with 403 to a caller
 * restricted to some fleets, whatever its scopes, before the handler runs. Declaring it on the route keeps the
 * rule in one place and visible in the route list, instead of a check each handler might forget.
 *
 * @param method HTTP method, upper case
 * @param path path template; {@code {name}} segments become path parameters
 * @param access {@link #PUBLIC}, {@link #ADMIN}, one of the grantable {@link Scopes} or {@link Scopes#AGENT}
 * @param handler the code that answers
 * @param serverWide true when the route changes state shared by all fleets; only for write methods
 * @param doc what the API description says about the route ({@link RouteDoc#NONE} when nothing); since 1.7
 */
public record Route(String method, String path, String access, Handler handler, boolean serverWide, RouteDoc doc) {

    /** Anyone, authenticated or not (health, login). */
    public static final String PUBLIC = "public";
    /** Only the administrator's console session; API tokens are refused (minting tokens, for instance). */
    public static final String ADMIN = "admin";

    public Route {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(access, "access");
        Objects.requireNonNull(handler, "handler");
        doc = doc == null ? RouteDoc.NONE : doc;
        method = method.toUpperCase(Locale.ROOT);
        if (!path.startsWith("/api/")) {
            throw new IllegalArgumentException("route path must start with /api/: " + path);
        }
        if (!PUBLIC.equals(access) && !ADMIN.equals(access) && !Scopes.isRouteScope(access)) {
            throw new IllegalArgumentException("unknown access '" + access + "' for " + method + " " + path);
        }
        if (serverWide && ("GET".equals(method) || "HEAD".equals(method))) {
            // reads are filtered per fleet by their handlers; the flag is about changing shared state
            throw new IllegalArgumentException("only a write can be server-wide: " + method + " " + path);
        }
        if (serverWide && PUBLIC.equals(access)) {
            throw new IllegalArgumentException("a public route cannot be server-wide: " + method + " " + path);
        }
    }

    /** A route without documentation (the API description makes up its summary). */
    public Route(String method, String path, String access, Handler handler, boolean serverWide) {
        this(method, path, access, handler, serverWide, RouteDoc.NONE);
    }

    /** A route that changes only what its handler scopes to the caller's fleets (or nothing shared). */
    public Route(String method, String path, String access, Handler handler) {
        this(method, path, access, handler, false);
    }

    /**
     * This route, declared as changing server-wide state: callers restricted to some fleets get 403
     * {@code forbidden} whatever their scopes.
     */
    public Route asServerWide() {
        return new Route(method, path, access, handler, true, doc);
    }

    /** This route with a one-line summary for the API description. @since 1.7 */
    public Route doc(String summary) {
        return doc(summary, null);
    }

    /** This route with a one-line summary and a longer description (CommonMark). @since 1.7 */
    public Route doc(String summary, String description) {
        return withDoc(doc.withSummary(requireText(summary, "summary"), description));
    }

    /** This route, documented as reading a JSON body of this type (a record, {@link JsonTypes#listOf}...). @since 1.7 */
    public Route accepts(java.lang.reflect.Type body) {
        return withDoc(doc.withRequest(Objects.requireNonNull(body, "body")));
    }

    /** This route, documented as answering the method's usual success status with a JSON body of this type. @since 1.7 */
    public Route returns(java.lang.reflect.Type body) {
        return withDoc(doc.withResponse(doc.status(), Objects.requireNonNull(body, "body"), null));
    }

    /**
     * This route, documented as answering {@code status} (2xx) with a JSON body of this type, or with no body when
     * {@code body} is null (204, 202). @since 1.7
     */
    public Route returns(int status, java.lang.reflect.Type body) {
        return withDoc(doc.withResponse(status, body, null));
    }

    /** This route, documented as answering a body that is not JSON (a file, an event stream). @since 1.7 */
    public Route produces(String mediaType) {
        return withDoc(doc.withResponse(doc.status(), null, requireText(mediaType, "mediaType")));
    }

    /** This route, documented as reading the optional query parameter {@code name}. @since 1.7 */
    public Route query(String name, String description) {
        return withDoc(doc.withQuery(new RouteDoc.QueryParam(name, description)));
    }

    private Route withDoc(RouteDoc newDoc) {
        return new Route(method, path, access, handler, serverWide, newDoc);
    }

    private static String requireText(String text, String what) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException(what + " must not be blank");
        }
        return text;
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
