package io.printmaster.server.console;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * Serves the console at {@code /}. Registered as the default servlet ({@code "/"}), so the REST dispatcher's
 * {@code /api/*} always wins for API paths. Pages get {@code index.html} and the browser routes; files are served
 * with their type, a strong ETag and {@code Cache-Control: no-cache} (revalidate every time: after a server update
 * the browser must never run yesterday's script against today's API, and file names carry no content hash).
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern("/")
public class ConsoleServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    private final transient ConsoleAssets assets;

    public ConsoleServlet() {
        this(ConsoleAssets.fromClassLoader(ConsoleServlet.class.getClassLoader()));
    }

    ConsoleServlet(ConsoleAssets assets) {
        this.assets = assets;
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        for (Map.Entry<String, String> h : SecurityHeaders.ALL.entrySet()) {
            resp.setHeader(h.getKey(), h.getValue());
        }
        String method = req.getMethod();
        boolean head = "HEAD".equals(method);
        if (!head && !"GET".equals(method)) {
            resp.setHeader("Allow", "GET, HEAD");
            plain(resp, HttpServletResponse.SC_METHOD_NOT_ALLOWED, "method not allowed", head);
            return;
        }
        String path = req.getRequestURI().substring(req.getContextPath().length());
        ConsolePaths.Resolution resolution = ConsolePaths.resolve(path);
        Optional<ConsoleAssets.Asset> asset;
        if (resolution instanceof ConsolePaths.Page) {
            asset = assets.find(ConsolePaths.INDEX);
        } else if (resolution instanceof ConsolePaths.Asset file) {
            asset = assets.find(file.name());
        } else {
            asset = Optional.empty();
        }
        if (asset.isEmpty()) {
            plain(resp, HttpServletResponse.SC_NOT_FOUND, "not found: " + path, head);
            return;
        }
        ConsoleAssets.Asset a = asset.get();
        resp.setHeader("ETag", a.etag());
        resp.setHeader("Cache-Control", "no-cache");
        if (ConsoleAssets.matches(req.getHeader("If-None-Match"), a.etag())) {
            resp.setStatus(HttpServletResponse.SC_NOT_MODIFIED);
            return;
        }
        resp.setStatus(HttpServletResponse.SC_OK);
        resp.setContentType(a.contentType());
        resp.setContentLength(a.bytes().length);
        if (!head) {
            resp.getOutputStream().write(a.bytes());
        }
    }

    private static void plain(HttpServletResponse resp, int status, String message, boolean head) throws IOException {
        byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
        resp.setStatus(status);
        resp.setHeader("Cache-Control", "no-store");
        resp.setContentType("text/plain; charset=utf-8");
        resp.setContentLength(body.length);
        if (!head) {
            resp.getOutputStream().write(body);
        }
    }
}
