package io.printmaster.http.impl;

import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.EventSink;
import io.printmaster.http.api.Route;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A real Jetty with the dispatcher as its servlet and the connection defences handed the server the way Felix HTTP
 * hands it (its HTTP connector started first, then the {@code ConnectorFactory} called), on a deliberately small
 * thread pool: anything that held a thread per slow client would starve it.
 */
final class JettyFixture implements AutoCloseable {
    static final int MAX_THREADS = 24;

    final Server server;
    final ServerConnector http;
    final ApiDispatcher dispatcher;
    final ConnectionDefences defences;
    final List<EventSink> sinks = new CopyOnWriteArrayList<>();
    /** The long polls of {@code GET /api/v1/wait?ms=} waiting now. */
    final List<io.printmaster.http.api.PendingAnswer> waiting = new CopyOnWriteArrayList<>();
    /** 4 MiB of random bytes served by {@code GET /api/v1/file}: far more than a socket buffer holds. */
    final java.nio.file.Path file;

    JettyFixture(Map<String, Object> dispatcherConfig, Map<String, Object> connectionConfig, String launcherProxies) throws Exception {
        server = new Server(new QueuedThreadPool(MAX_THREADS, 4));
        http = new ServerConnector(server, 1, 1);
        http.setHost("127.0.0.1");
        http.setPort(0);
        server.addConnector(http);
        file = java.nio.file.Files.createTempFile("pm-download", ".bin");
        byte[] content = new byte[4 * 1024 * 1024];
        new java.util.Random(42).nextBytes(content);
        java.nio.file.Files.write(file, content);
        ServletContextHandler context = new ServletContextHandler("/");
        dispatcher = new ApiDispatcher(config(ApiDispatcher.Config.class, dispatcherConfig));
        dispatcher.addProvider(() -> List.of(
                Route.get("/api/v1/health", Route.PUBLIC, req -> ApiResponse.ok(Map.of("status", "UP"))),
                Route.post("/api/v1/echo", Route.PUBLIC, req -> ApiResponse.ok(Map.of("bytes", req.body().length))),
                Route.get("/api/v1/whoami", Route.PUBLIC, req -> ApiResponse.ok(Map.of(
                        "address", req.remoteAddress(), "secure", req.isSecure(),
                        "host", req.header("Host").orElse(""),
                        "forwarded_for", req.header("X-Forwarded-For").orElse("")))),
                Route.get("/api/v1/file", Route.PUBLIC, req -> io.printmaster.http.api.Downloads.serveFile(req, file,
                        "\"file-v1\"", "application/octet-stream", "file.bin")),
                // the same bytes through a range writer, as installers (decrypted from their cache) are served
                Route.get("/api/v1/written", Route.PUBLIC, req -> io.printmaster.http.api.Downloads.serve(req,
                        java.nio.file.Files.size(file), "\"file-v1\"", "application/octet-stream", "file.bin",
                        (offset, length, out) -> {
                            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file)) {
                                io.printmaster.http.api.Downloads.copy(ch, offset, length, out);
                            }
                        })),
                Route.get("/api/v1/wait", Route.PUBLIC, req -> ApiResponse.deferred(
                        java.time.Duration.ofMillis(Long.parseLong(req.query("ms").orElse("60000"))),
                        ApiResponse.noContent(), pending -> {
                            waiting.add(pending);
                            pending.onClose(() -> waiting.remove(pending));
                        })),
                Route.get("/api/v1/stream", Route.PUBLIC, req -> ApiResponse.eventStream(sink -> {
                    sink.send("retry: 2000\n\n");
                    sinks.add(sink);
                    sink.onClose(() -> sinks.remove(sink));
                }))));
        ServletHolder holder = new ServletHolder(dispatcher);
        holder.setAsyncSupported(true);
        context.addServlet(holder, "/api/*");
        server.setHandler(context);
        server.start();
        defences = new ConnectionDefences(config(ConnectionDefences.Config.class, connectionConfig), launcherProxies);
        Connector inert = defences.createConnector(server);
        server.addConnector(inert);
        inert.start();
    }

    int port() {
        return http.getLocalPort();
    }

    @Override
    public void close() throws Exception {
        defences.deactivate();
        dispatcher.deactivate();
        server.stop();
        java.nio.file.Files.deleteIfExists(file);
    }

    /** A configuration annotation with some values given and the rest at their defaults. */
    @SuppressWarnings("unchecked")
    static <T> T config(Class<T> type, Map<String, Object> values) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (p, m, a) -> {
            String key = m.getName().replace("__", "_");
            return values.containsKey(key) ? values.get(key) : m.getDefaultValue();
        });
    }

    /** A socket from a given loopback address (the whole 127.0.0.0/8 is loopback on Linux). */
    Socket connect(String from) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(from, 0));
        s.connect(new InetSocketAddress("127.0.0.1", port()), 5_000);
        s.setSoTimeout(30_000);
        return s;
    }

    static void write(Socket s, String text) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** Reads the head of an answer (up to the blank line). */
    static String readHead(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        StringBuilder b = new StringBuilder();
        while (!b.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                break;
            }
            b.append((char) c);
        }
        return b.toString();
    }

    /** Reads whatever arrives until the server closes the connection. */
    static String readToEnd(Socket s) throws IOException {
        return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    /** One request on a fresh connection ({@code Connection: close}); the whole answer. */
    String request(String from, String method, String path, Map<String, String> headers) throws IOException {
        try (Socket s = connect(from)) {
            StringBuilder b = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: printmaster.test\r\nConnection: close\r\n");
            headers.forEach((k, v) -> b.append(k).append(": ").append(v).append("\r\n"));
            write(s, b.append("\r\n").toString());
            return readToEnd(s);
        }
    }

    /** Reads a chunked body until its last chunk ({@code 0\r\n\r\n}) or the connection's end; true if it ended. */
    static boolean readToEndOfChunks(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        StringBuilder b = new StringBuilder();
        while (true) {
            int c = in.read();
            if (c < 0) {
                return true;
            }
            b.append((char) c);
            if (b.toString().endsWith("\r\n0\r\n\r\n")) {
                return true;
            }
        }
    }
}
