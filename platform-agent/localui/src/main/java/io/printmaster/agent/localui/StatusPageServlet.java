package io.printmaster.agent.localui;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * The agent's local status page: static files from this bundle's {@code ui/} folder; the page's script reads
 * {@code /api/autoupdate/status}. Registered as the default servlet ({@code /}), so {@code /api/*} keeps going to the
 * API dispatcher; any path that is not one of the page's files is 404.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/")
public class StatusPageServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    /** Request path → bundle resource and content type; nothing else is served. */
    private static final Map<String, Asset> ASSETS = Map.of(
            "/", new Asset("ui/index.html", "text/html; charset=utf-8"),
            "/index.html", new Asset("ui/index.html", "text/html; charset=utf-8"),
            "/status.js", new Asset("ui/status.js", "text/javascript; charset=utf-8"),
            "/local-policy.js", new Asset("ui/local-policy.js", "text/javascript; charset=utf-8"),
            "/status.css", new Asset("ui/status.css", "text/css; charset=utf-8"));

    /** Own files only, no inline code, no framing: the page cannot be turned against the local API. */
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private record Asset(String resource, String contentType) {
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!LoopbackGuard.isLoopbackHost(Optional.ofNullable(req.getHeader("Host")))) {
            resp.sendError(403, "this agent answers only requests addressed to 127.0.0.1 or localhost");
            return;
        }
        String path = req.getRequestURI().substring(req.getContextPath().length());
        Asset asset = ASSETS.get(path.isEmpty() ? "/" : path);
        InputStream in = asset == null ? null : StatusPageServlet.class.getClassLoader().getResourceAsStream(asset.resource());
        if (in == null) {
            resp.sendError(404);
            return;
        }
        try (in) {
            byte[] bytes = in.readAllBytes();
            resp.setStatus(200);
            resp.setContentType(asset.contentType());
            resp.setContentLength(bytes.length);
            resp.setHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
            resp.setHeader("X-Content-Type-Options", "nosniff");
            resp.setHeader("Referrer-Policy", "no-referrer");
            // small files that change with the agent version: always revalidate
            resp.setHeader("Cache-Control", "no-cache");
            resp.getOutputStream().write(bytes);
        }
    }
}
