package io.printmaster.releasesource.httpfeed.impl;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A static file host on loopback, like a bucket behind a CDN: feed documents (with ETags, answering 304 when
 * unchanged), artifact files (any other path ending in an artifact extension), and {@code /cdn/…} redirecting to
 * {@code /blobs/…}. The example documents of docs/release-feed.md name https://cdn.example.net; that host is
 * rewritten to {@code /cdn} here.
 */
final class FeedServer implements AutoCloseable {
    /** One request: path and the status answered. */
    record Request(String path, String ifNoneMatch, int status) {
    }

    private final HttpServer server;
    private final java.util.Map<String, byte[]> files = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, String> documents = new ConcurrentHashMap<>();
    private final Map<String, Integer> failures = new ConcurrentHashMap<>();
    final List<Request> requests = new CopyOnWriteArrayList<>();
    /** False: answer range requests with the whole file (200), as servers without range support do. */
    volatile boolean honourRanges = true;

    FeedServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
        document("/printmaster/feed.json", resource("feed/feed.json"));
        document("/printmaster/feed-2024.json", resource("feed/feed-2024.json"));
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    void document(String path, String json) {
        documents.put(path, json.replace("https://cdn.example.net", url("/cdn")));
    }

    /** Answer {@code status} for this path from now on. */
    /** Serves {@code bytes} at {@code path} (a signature beside an asset). */
    void file(String path, byte[] bytes) {
        files.put(path, bytes);
    }

    void fail(String path, int status) {
        failures.put(path, status);
    }

    static byte[] content(String name) {
        return ("PrintMaster test asset " + name + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String ifNoneMatch = ex.getRequestHeaders().getFirst("If-None-Match");
            answer(ex, path, ifNoneMatch);
        }
    }

    private int answer(HttpExchange ex, String path, String ifNoneMatch) throws IOException {
        Integer failure = failures.get(path);
        if (failure != null) {
            if (failure == 503) {
                ex.getResponseHeaders().add("Retry-After", "30");
            }
            return send(ex, failure, "failure".getBytes(StandardCharsets.UTF_8));
        }
        byte[] file = files.get(path);
        if (file != null) {
            return send(ex, 200, file);
        }
        String doc = documents.get(path);
        if (doc != null) {
            byte[] body = doc.getBytes(StandardCharsets.UTF_8);
            String etag = "\"" + sha256(body).substring(0, 16) + "\"";
            ex.getResponseHeaders().add("ETag", etag);
            if (etag.equals(ifNoneMatch)) {
                return send(ex, 304, new byte[0]);
            }
            ex.getResponseHeaders().add("Content-Type", "application/json");
            return send(ex, 200, body);
        }
        if (path.startsWith("/cdn/")) {
            ex.getResponseHeaders().add("Location", "/blobs/" + path.substring("/cdn/".length()));
            return send(ex, 302, new byte[0]);
        }
        String name = path.substring(path.lastIndexOf('/') + 1);
        if (name.endsWith(".tar.gz") || name.endsWith(".zip") || name.endsWith(".msi")) {
            byte[] all = content(name);
            String range = ex.getRequestHeaders().getFirst("Range");
            if (range != null && range.startsWith("bytes=") && range.endsWith("-") && honourRanges) {
                int from = Integer.parseInt(range.substring(6, range.length() - 1));
                ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (all.length - 1) + "/" + all.length);
                return send(ex, 206, java.util.Arrays.copyOfRange(all, from, all.length));
            }
            return send(ex, 200, all);
        }
        return send(ex, 404, "Not Found".getBytes(StandardCharsets.UTF_8));
    }

    private int send(HttpExchange ex, int status, byte[] body) throws IOException {
        // recorded before answering: the client may look at the record as soon as it has the answer
        requests.add(new Request(ex.getRequestURI().getPath(), ex.getRequestHeaders().getFirst("If-None-Match"), status));
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            ex.getResponseBody().write(body);
        }
        return status;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static String resource(String name) {
        try (InputStream in = FeedServer.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
