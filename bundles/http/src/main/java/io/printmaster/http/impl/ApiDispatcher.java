package io.printmaster.http.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Authenticator;
import io.printmaster.http.api.Authenticator.RequestCredentials;
import io.printmaster.http.api.Caller;
import io.printmaster.http.api.RequestObserver;
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
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletAsyncSupported;
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
@HttpWhiteboardServletAsyncSupported
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

        @AttributeDefinition(description = "A request body must arrive whole within this many seconds (408 and the "
                + "connection closed otherwise); it is read without holding a thread meanwhile.")
        long body__read__timeout__seconds() default 20;

        @AttributeDefinition(description = "Most event streams open at once on the server; beyond, 503.")
        int max__event__streams() default 1000;

        @AttributeDefinition(description = "Most event streams open at once from one client address; beyond, 429.")
        int max__event__streams__per__address() default 20;

        @AttributeDefinition(description = "Seconds between keep-alive comments on an idle event stream.")
        long event__stream__keep__alive__seconds() default 15;
    }

    private final JsonMapper json = new JsonMapper();
    private final List<RouteProvider> providers = new CopyOnWriteArrayList<>();
    private final List<Authenticator> authenticators = new CopyOnWriteArrayList<>();
    private final RequestObservers observers = new RequestObservers();
    private volatile RouteTable table = new RouteTable(List.of());
    private volatile long maxBodyBytes;
    private volatile long bodyReadTimeoutSeconds;
    /** One thread for every body deadline and stream keep-alive: timers, never work. */
    private final java.util.concurrent.ScheduledThreadPoolExecutor timer;
    private final EventStreams streams;
    /** Makes the pieces of downloads served from a RangeWriter (installers); two, as the machine's cores bound it. */
    private final java.util.concurrent.ThreadPoolExecutor producers;

    @Activate
    public ApiDispatcher(Config config) {
        this.timer = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "pm-http-timer");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        this.producers = new java.util.concurrent.ThreadPoolExecutor(2, 2, 30, java.util.concurrent.TimeUnit.SECONDS,
                new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "pm-http-download");
                    t.setDaemon(true);
                    return t;
                });
        producers.allowCoreThreadTimeOut(true);
        this.streams = new EventStreams(timer, streamLimits(config));
        configure(config);
    }

    @Modified
    void modified(Config config) {
        configure(config);
    }

    private void configure(Config config) {
        if (config.body__read__timeout__seconds() < 1) {
            throw new IllegalArgumentException("body_read_timeout_seconds: must be at least 1, not "
                    + config.body__read__timeout__seconds());
        }
        this.maxBodyBytes = config.max__body__bytes();
        this.bodyReadTimeoutSeconds = config.body__read__timeout__seconds();
        streams.limits(streamLimits(config));
    }

    private static EventStreams.Limits streamLimits(Config config) {
        if (config.max__event__streams() < 0 || config.max__event__streams__per__address() < 0
                || config.event__stream__keep__alive__seconds() < 1) {
            throw new IllegalArgumentException("max_event_streams and max_event_streams_per_address must be 0 or more, "
                    + "event_stream_keep_alive_seconds at least 1");
        }
        return new EventStreams.Limits(config.max__event__streams(), config.max__event__streams__per__address(),
                config.event__stream__keep__alive__seconds() * 1000);
    }

    @Deactivate
    void deactivate() {
        timer.shutdownNow();
        producers.shutdownNow();
    }

    /** Event streams open now (for tests and diagnostics). */
    int openEventStreams() {
        return streams.open();
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

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addObserver(RequestObserver observer) {
        observers.add(observer);
    }

    void removeObserver(RequestObserver observer) {
        observers.remove(observer);
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
        RequestObservers.Exchange exchange = observers.begin(req, resp);
        try {
            dispatch(req, resp, exchange);
        } finally {
            exchange.dispatched(req);
        }
    }

    private void dispatch(HttpServletRequest req, HttpServletResponse resp, RequestObservers.Exchange exchange)
            throws IOException {
        String path = req.getRequestURI().substring(req.getContextPath().length());
        String method = req.getMethod();
        RouteTable.Match match;
        Optional<Caller> caller;
        try {
            Optional<RouteTable.Match> found = table.match(method, path);
            if (found.isEmpty()) {
                Set<String> allowed = table.methodsFor(path);
                if (allowed.isEmpty()) {
                    throw new ApiException(404, "not_found", "no such endpoint: " + path);
                }
                resp.setHeader("Allow", String.join(", ", allowed));
                throw new ApiException(405, "method_not_allowed", method + " is not allowed on " + path);
            }
            match = found.get();
            exchange.route(match.route().path());
            caller = authenticate(req);
            authorize(match.route(), caller, req);
            if (hasBody(req) && req.isAsyncSupported()) {
                checkDeclaredLength(req);
                // the body is read without a thread waiting for it; the handler runs once it is all there
                RouteTable.Match m = match;
                Optional<Caller> c = caller;
                AsyncBodyReader.start(req, resp, maxBodyBytes, bodyReadTimeoutSeconds, timer,
                        body -> {
                            if (!respond(req, resp, m, c, body, exchange)) {
                                req.getAsyncContext().complete();
                            }
                        }, this::writeError);
                return;
            }
        } catch (ApiException e) {
            closeIfBodyUnread(req, resp, false);
            writeError(resp, e);
            return;
        } catch (Exception e) {
            LOG.error("{} {} failed", method, path, e);
            closeIfBodyUnread(req, resp, false);
            writeError(resp, new ApiException(500, "internal_error", "the server failed to handle this request; see the server log"));
            return;
        }
        byte[] body;
        try {
            body = readBody(req);
        } catch (ApiException e) {
            closeIfBodyUnread(req, resp, false);
            writeError(resp, e);
            return;
        }
        respond(req, resp, match, caller, body, exchange);
    }

    private static boolean hasBody(HttpServletRequest req) {
        return req.getContentLengthLong() > 0 || req.getHeader("Transfer-Encoding") != null;
    }

    private void checkDeclaredLength(HttpServletRequest req) throws ApiException {
        if (req.getContentLengthLong() > maxBodyBytes) {
            throw new ApiException(413, "body_too_large", "the request body exceeds " + maxBodyBytes + " bytes");
        }
    }

    /**
     * Runs the route's handler on the read body and writes its answer or its error.
     *
     * @return true when the answer goes on asynchronously (an event stream, a file), so the request must not be completed
     */
    private boolean respond(HttpServletRequest req, HttpServletResponse resp, RouteTable.Match match,
                            Optional<Caller> caller, byte[] body, RequestObservers.Exchange exchange) {
        String method = req.getMethod();
        try {
            ServletApiRequest apiRequest = new ServletApiRequest(req, match.params(), caller, body, json);
            ApiResponse response = match.route().handler().handle(apiRequest);
            if (response.eventStream() != null) {
                EventStreams.Slot slot = streams.reserve(req.getRemoteAddr());
                try {
                    writeHead(resp, response);
                    streams.start(req, resp, response.eventStream(), slot);
                    exchange.eventStream();
                } catch (IOException | RuntimeException e) {
                    slot.release();
                    throw e;
                }
                return true;
            }
            if (response.deferred() != null) {
                AsyncPendingAnswer.start(req, resp, response.deferred(), timer, r -> renderLater(resp, r));
                return true;
            }
            if (response.fileRange() != null) {
                writeHead(resp, response);
                if (response.contentType() != null) {
                    resp.setContentType(response.contentType());
                }
                exchange.download(AsyncFileWriter.start(req, resp, response.fileRange()));
                return true;
            }
            if (response.writerRange() != null) {
                writeHead(resp, response);
                if (response.contentType() != null) {
                    resp.setContentType(response.contentType());
                }
                exchange.download(PrefetchingRangeWriter.start(req, resp, response.writerRange(), producers));
                return true;
            }
            write(resp, response);
        } catch (ApiException e) {
            writeErrorQuietly(resp, e);
        } catch (Exception e) {
            LOG.error("{} {} failed", method, req.getRequestURI(), e);
            writeErrorQuietly(resp, new ApiException(500, "internal_error", "the server failed to handle this request; see the server log"));
        }
        return false;
    }

    private void writeErrorQuietly(HttpServletResponse resp, ApiException e) {
        try {
            writeError(resp, e);
        } catch (IOException io) {
            // the client is gone
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

    private static void writeHead(HttpServletResponse resp, ApiResponse response) {
        resp.setStatus(response.status());
        resp.setHeader("Cache-Control", "no-store");
        resp.setHeader("X-Content-Type-Options", "nosniff");
        for (Map.Entry<String, List<String>> h : response.headers().entrySet()) {
            for (String v : h.getValue()) {
                resp.addHeader(h.getKey(), v);
            }
        }
        if (response.eventStream() != null) {
            resp.setContentType(response.contentType());
            // reverse proxies (nginx) must pass events through as they come
            resp.setHeader("X-Accel-Buffering", "no");
        }
    }

    private void write(HttpServletResponse resp, ApiResponse response) throws IOException {
        writeHead(resp, response);
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

    /**
     * Sets the status and headers of a deferred request's answer and returns its body, for a write without a
     * thread waiting ({@link AsyncPendingAnswer}).
     */
    private byte[] renderLater(HttpServletResponse resp, ApiResponse response) {
        writeHead(resp, response);
        if (response.status() == 204 || response.json() == null) {
            if (response.status() != 204) {
                resp.setContentLength(0);
            }
            return new byte[0];
        }
        byte[] bytes;
        try {
            bytes = json.bytes(response.json());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        resp.setContentType("application/json");
        resp.setContentLength(bytes.length);
        return bytes;
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
