package io.printmaster.server.metrics.impl;

import io.printmaster.http.api.Authenticator;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /metrics}: every metric in the Prometheus text exposition format (0.0.4), for a caller
 * {@link MetricsAccess} lets in; errors in the API's JSON error shape. An exact servlet pattern, so it wins over the
 * console's default servlet ({@code /}).
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/metrics")
public class MetricsServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(MetricsServlet.class);
    /** The framework property, and the environment variable, holding the site's metrics token. */
    static final String TOKEN_PROPERTY = "pm.metrics.token";
    static final String TOKEN_VARIABLE = "PM_METRICS_TOKEN";
    private static final String SESSION_COOKIE = "PM_SESSION";

    private final transient ServerMetrics metrics;
    private final transient MetricsAccess access;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private transient volatile List<Authenticator> authenticators = List.of();

    @Activate
    public MetricsServlet(@Reference ServerMetrics metrics, BundleContext context) {
        this(metrics, siteToken(context.getProperty(TOKEN_PROPERTY), System.getenv(TOKEN_VARIABLE)));
    }

    MetricsServlet(ServerMetrics metrics, String siteToken) {
        this.metrics = metrics;
        this.access = new MetricsAccess(siteToken);
    }

    /** Set in tests, where no DS injects them. */
    void authenticators(List<Authenticator> authenticators) {
        this.authenticators = List.copyOf(authenticators);
    }

    /**
     * The site's metrics token: the framework property, else the environment variable; none when both are empty.
     * One that is too short is refused (logged without its value), so only API tokens open the metrics then.
     */
    static String siteToken(String property, String variable) {
        String token = property != null && !property.isBlank() ? property.strip()
                : variable != null && !variable.isBlank() ? variable.strip() : null;
        if (token != null && token.length() < MetricsAccess.MIN_TOKEN_LENGTH) {
            LOG.error("{} ({}) is shorter than {} characters and is ignored: only API tokens with scope metrics.read "
                    + "can read /metrics", TOKEN_VARIABLE, TOKEN_PROPERTY, MetricsAccess.MIN_TOKEN_LENGTH);
            return null;
        }
        return token;
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setHeader("Cache-Control", "no-store");
        resp.setHeader("X-Content-Type-Options", "nosniff");
        boolean head = "HEAD".equals(req.getMethod());
        if (!head && !"GET".equals(req.getMethod())) {
            resp.setHeader("Allow", "GET, HEAD");
            error(resp, 405, "method_not_allowed", req.getMethod() + " is not allowed on /metrics");
            return;
        }
        MetricsAccess.Decision decision = access.decide(bearer(req), session(req), req.getRemoteAddr(), authenticators);
        if (!decision.allowed()) {
            if (decision.status() == 401) {
                resp.setHeader("WWW-Authenticate", "Bearer realm=\"printmaster\"");
            }
            error(resp, decision.status(), decision.code(), decision.message());
            return;
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream(64 * 1024);
        metrics.write(body);
        resp.setStatus(200);
        resp.setContentType(metrics.contentType());
        resp.setContentLength(body.size());
        if (!head) {
            body.writeTo(resp.getOutputStream());
        }
    }

    private static Optional<String> bearer(HttpServletRequest req) {
        return Optional.ofNullable(req.getHeader("Authorization"))
                .filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7))
                .map(h -> h.substring(7).trim())
                .filter(t -> !t.isEmpty());
    }

    private static Optional<String> session(HttpServletRequest req) {
        Cookie[] cookies = req.getCookies();
        Optional<String> session = Optional.empty();
        if (cookies != null) {
            for (Cookie c : cookies) {
                if (SESSION_COOKIE.equals(c.getName())) {
                    session = Optional.of(c.getValue());
                }
            }
        }
        return session;
    }

    private static void error(HttpServletResponse resp, int status, String code, String message) throws IOException {
        byte[] body = ("{\"error\":{\"code\":\"" + json(code) + "\",\"message\":\"" + json(message) + "\"}}")
                .getBytes(StandardCharsets.UTF_8);
        resp.setStatus(status);
        resp.setContentType("application/json");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }

    /** A string's JSON escape: quotes, backslashes and control characters. */
    static String json(String s) {
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
