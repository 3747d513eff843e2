package io.printmaster.http.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Authenticator;
import io.printmaster.http.api.Authenticator.RequestCredentials;
import io.printmaster.http.api.Caller;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.RouteRegistry;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single entry point of {@code /api/*}: matches the route, authenticates, checks the route's declared access,
 * CSRF for console sessions and the body limit, then calls the handler and renders its answer or its error in the
 * one error shape. Routes come from {@link RouteProvider} services, so they appear and vanish with their bundles.
 */
@Component(service = {Servlet.class, RouteRegistry.class})
@HttpWhiteboardServletPattern("/api/*")
@Designate(ocd = ApiDispatcher.Config.class)
public class ApiDispatcher extends HttpServlet implements RouteRegistry {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ApiDispatcher.class);
    static final String SESSION_COOKIE = "PM_SESSION";
    static final String SERVER_WIDE_REFUSAL =
            "a fleet-restricted token cannot change server-wide settings; use an unrestricted token or the console";
    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS");

    @ObjectClassDefinition(name = "PrintMaster API dispatcher")
    public @interface Config {
        @AttributeDefinition(description = "Largest request body accepted, in bytes; larger bodies get 413.")
        long max__body__bytes() default 1024 * 1024;
    }

    private final JsonMapper json = new JsonMapper();
    private final List<RouteProvider> providers = new CopyOnWriteArrayList<>();
    private final List<Authenticator> authenticators = new CopyOnWriteArrayList<>();
    private volatile RouteTable table = new RouteTable(List.of());
    private volatile long maxBodyBytes;

    @Activate
    public ApiDispatcher(Config config) {
        this.maxBodyBytes = config.max__body__bytes();
    }

    @Modified
    void modified(Config config) {
        this.maxBodyBytes = config.max__body__bytes();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addProvider(RouteProvider provider) {
        providers.add(provider);
        rebuild();
    }

    void removeProvider(RouteProvider provider) {
        providers.remove(provider);
        rebuild();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addAuthenticator(Authenticator authenticator) {
        authenticators.add(authenticator);
    }

    void removeAuthenticator(Authenticator authenticator) {
        authenticators.remove(authenticator);
    }

    private synchronized void rebuild() {
        List<Route> all = new ArrayList<>();
        for (RouteProvider p : List.copyOf(providers)) {
            try {
                all.addAll(p.routes());
            } catch (RuntimeException e) {
                LOG.error("route provider {} failed to list its routes; its endpoints are not served", p, e);
            }
        }
        table = new RouteTable(all);
    }

    @Override
    public List<Route> routes() {
        return table.all();
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = req.getRequestURI().substring(req.getContextPath().length());
        String method = req.getMethod();
        boolean bodyConsumed = false;
        try {
            Optional<RouteTable.Match> match = table.match(method, path);
            if (match.isEmpty()) {
                Set<String> allowed = table.methodsFor(path);
                if (allowed.isEmpty()) {
                    throw new ApiException(404, "not_found", "no such endpoint: " + path);
                }
                resp.setHeader("Allow", String.join(", ", allowed));
                throw new ApiException(405, "method_not_allowed", method + " is not allowed on " + path);
            }
            Route route = match.get().route();
            Optional<Caller> caller = authenticate(req);
            authorize(route, caller, req);
            byte[] body = readBody(req);
            bodyConsumed = true;
            ServletApiRequest apiRequest = new ServletApiRequest(req, match.get().params(), caller, body, json);
            ApiResponse response = route.handler().handle(apiRequest);
            write(resp, response);
        } catch (ApiException e) {
            closeIfBodyUnread(req, resp, bodyConsumed);
            writeError(resp, e);
        } catch (Exception e) {
            LOG.error("{} {} failed", method, path, e);
            closeIfBodyUnread(req, resp, bodyConsumed);
            writeError(resp, new ApiException(500, "internal_error", "the server failed to handle this request; see the server log"));
        }
    }

    /**
     * An answer given before the request body was read (401, 403, 404, 405, 413) leaves that body on the
     * connection; Jetty then closes the connection after the answer, and a client that reuses it for its next
     * request fails with an empty reply. Saying {@code Connection: close} tells the client not to reuse it. Not
     * draining the body instead: an unauthenticated caller should not make the server read up to the body limit.
     */
    private static void closeIfBodyUnread(HttpServletRequest req, HttpServletResponse resp, boolean bodyConsumed) {
        boolean hasBody = req.getContentLengthLong() > 0 || req.getHeader("Transfer-Encoding") != null;
        if (!bodyConsumed && hasBody && !resp.isCommitted()) {
            resp.setHeader("Connection", "close");
        }
    }

    private Optional<Caller> authenticate(HttpServletRequest req) throws ApiException {
        Optional<String> bearer = Optional.ofNullable(req.getHeader("Authorization"))
                .filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7))
                .map(h -> h.substring(7).trim());
        Optional<String> session = Optional.empty();
        Cookie[] cookies = req.getCookies();
        if (cookies != null) {
            for (Cookie c : cookies) {
                if (SESSION_COOKIE.equals(c.getName())) {
                    session = Optional.of(c.getValue());
                }
            }
        }
        if (bearer.isEmpty() && session.isEmpty()) {
            return Optional.empty();
        }
        RequestCredentials credentials = new RequestCredentials(bearer, session, req.getRemoteAddr());
        for (Authenticator a : List.copyOf(authenticators)) {
            Optional<Caller> caller = a.authenticate(credentials);
            if (caller.isPresent()) {
                return caller;
            }
        }
        return Optional.empty();
    }

    private static void authorize(Route route, Optional<Caller> caller, HttpServletRequest req) throws ApiException {
        String access = route.access();
        if (Route.PUBLIC.equals(access)) {
            return;
        }
        if (caller.isEmpty()) {
            throw ApiException.unauthorized("authentication required: log in or send 'Authorization: Bearer <token>'");
        }
        Caller c = caller.get();
        if (c.kind() == Caller.Kind.SESSION && !SAFE_METHODS.contains(req.getMethod())) {
            String sent = req.getHeader("X-CSRF-Token");
            if (sent == null || c.csrfToken().isEmpty() || !constantTimeEquals(sent, c.csrfToken().get())) {
                throw new ApiException(403, "csrf_token_invalid", "missing or wrong X-CSRF-Token header");
            }
        }
        if (Route.ADMIN.equals(access)) {
            if (c.kind() != Caller.Kind.SESSION) {
                throw ApiException.forbidden("only the administrator's console session may do this");
            }
            return;
        }
        if (!c.hasScope(access)) {
            throw ApiException.forbidden("this needs scope '" + access + "'");
        }
        if (route.serverWide() && c.fleets().isPresent()) {
            throw ApiException.forbidden(SERVER_WIDE_REFUSAL);
        }
    }

    private static boolean constantTimeEquals(String a, String b) {
        return java.security.MessageDigest.isEqual(a.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                b.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private byte[] readBody(HttpServletRequest req) throws IOException, ApiException {
        long limit = maxBodyBytes;
        long declared = req.getContentLengthLong();
        if (declared > limit) {
            throw new ApiException(413, "body_too_large", "the request body exceeds " + limit + " bytes");
        }
        try (InputStream in = req.getInputStream()) {
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (bytes.length > limit) {
                throw new ApiException(413, "body_too_large", "the request body exceeds " + limit + " bytes");
            }
            return bytes;
        }
    }

    private void write(HttpServletResponse resp, ApiResponse response) throws IOException {
        resp.setStatus(response.status());
        resp.setHeader("Cache-Control", "no-store");
        resp.setHeader("X-Content-Type-Options", "nosniff");
        for (Map.Entry<String, List<String>> h : response.headers().entrySet()) {
            for (String v : h.getValue()) {
                resp.addHeader(h.getKey(), v);
            }
        }
        if (response.raw() != null) {
            if (response.contentType() != null) {
                resp.setContentType(response.contentType());
            }
            try (OutputStream out = resp.getOutputStream()) {
                response.raw().writeTo(out);
            }
        } else if (response.status() != 204 && response.json() != null) {
            byte[] bytes = json.bytes(response.json());
            resp.setContentType("application/json");
            resp.setContentLength(bytes.length);
            resp.getOutputStream().write(bytes);
        }
    }

    private void writeError(HttpServletResponse resp, ApiException e) throws IOException {
        if (resp.isCommitted()) {
            return;
        }
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", e.code());
        error.put("message", e.getMessage());
        if (e.field() != null) {
            error.put("field", e.field());
        }
        if (!e.details().isEmpty()) {
            error.put("details", e.details());
        }
        e.headers().forEach(resp::setHeader);
        if (e.status() == 401) {
            resp.setHeader("WWW-Authenticate", "Bearer realm=\"printmaster\"");
        }
        byte[] bytes = json.bytes(Map.of("error", error));
        resp.setStatus(e.status());
        resp.setHeader("Cache-Control", "no-store");
        resp.setContentType("application/json");
        resp.setContentLength(bytes.length);
        resp.getOutputStream().write(bytes);
    }
}
