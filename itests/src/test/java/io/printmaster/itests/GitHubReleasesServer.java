package io.printmaster.itests;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A GitHub-shaped HTTP server on 127.0.0.1 for one repository: {@code GET /repos/{owner}/{repo}/releases} (newest
 * first, one release per page, {@code Link: <…>; rel="next"}), each release with its assets ({@code name},
 * {@code size}, {@code digest: sha256:…}, {@code browser_download_url}, API {@code url}), and the asset bytes at
 * both URLs. An asset can be published tampered: its bytes differ from the digest the listing gives.
 */
final class GitHubReleasesServer implements AutoCloseable {
    static final String REPOSITORY = "printmaster/printmaster";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One asset: its file name, bytes served, and the bytes its published digest was computed from. */
    record Asset(long id, String name, byte[] served, byte[] digested) {
        boolean tampered() {
            return !java.util.Arrays.equals(served, digested);
        }

        String sha256() {
            return GitHubReleasesServer.sha256(digested);
        }
    }

    record Release(long id, String tag, String body, String publishedAt, List<Asset> assets) {
    }

    private final HttpServer server;
    private final List<Release> releases = new CopyOnWriteArrayList<>();
    private final Map<Long, Asset> assets = new LinkedHashMap<>();
    /** The Authorization header of every API request, to show the token reached the plugin. */
    final List<String> authorizations = new CopyOnWriteArrayList<>();
    /** The Range header of every asset request that had one. */
    final List<String> ranges = new CopyOnWriteArrayList<>();
    /** Assets whose next download breaks off after this many bytes (the connection drops mid-way). */
    private final Map<String, Integer> interruptions = new java.util.concurrent.ConcurrentHashMap<>();
    private long nextId = 1000;

    GitHubReleasesServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    URI apiUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Publishes a release (it becomes the newest); assets as {@code name -> bytes}. */
    synchronized Release publish(String tag, String notes, String publishedAt, Map<String, byte[]> files, String tamperedName) {
        List<Asset> list = new ArrayList<>();
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            byte[] served = f.getValue();
            byte[] digested = served;
            if (f.getKey().equals(tamperedName)) {
                served = served.clone();
                served[served.length / 2] ^= 0x5a; // the mirror's copy was altered after the digest was published
            }
            Asset a = new Asset(nextId++, f.getKey(), served, digested);
            assets.put(a.id(), a);
            list.add(a);
        }
        Release r = new Release(nextId++, tag, notes, publishedAt, List.copyOf(list));
        releases.add(0, r);
        return r;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String releasesPath = "/repos/" + REPOSITORY + "/releases";
            String assetPrefix = releasesPath + "/assets/";
            String downloadPrefix = "/" + REPOSITORY + "/releases/download/";
            if (path.equals(releasesPath)) {
                String auth = exchange.getRequestHeaders().getFirst("Authorization");
                authorizations.add(auth == null ? "" : auth);
                listing(exchange);
            } else if (path.startsWith(assetPrefix)) {
                asset(exchange, assets.get(Long.parseLong(path.substring(assetPrefix.length()))));
            } else if (path.startsWith(downloadPrefix)) {
                String name = path.substring(path.lastIndexOf('/') + 1);
                asset(exchange, assets.values().stream().filter(x -> x.name().equals(name)).findFirst().orElse(null));
            } else {
                send(exchange, 404, "application/json", "{\"message\":\"Not Found\"}".getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    /** The next download of {@code name} sends {@code bytes} bytes and then drops the connection. */
    void interruptOnce(String name, int bytes) {
        interruptions.put(name, bytes);
    }

    /** An asset's bytes: all of them, the rest from a {@code Range: bytes=N-}, or a download cut short. */
    private void asset(HttpExchange exchange, Asset a) throws IOException {
        if (a == null) {
            send(exchange, 404, "application/json", "{\"message\":\"Not Found\"}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        byte[] all = a.served();
        Integer cut = interruptions.remove(a.name());
        if (cut != null) {
            exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
            exchange.sendResponseHeaders(200, all.length);
            OutputStream out = exchange.getResponseBody();
            out.write(all, 0, cut);
            out.flush();
            // closing with bytes missing makes the server drop the connection: the client sees the stream break off
            return;
        }
        String range = exchange.getRequestHeaders().getFirst("Range");
        if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
            ranges.add(range);
            int from = Integer.parseInt(range.substring(6, range.length() - 1));
            exchange.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (all.length - 1) + "/" + all.length);
            send(exchange, 206, "application/octet-stream", java.util.Arrays.copyOfRange(all, from, all.length));
            return;
        }
        send(exchange, 200, "application/octet-stream", all);
    }

    private void listing(HttpExchange exchange) throws IOException {
        int page = 1;
        String query = exchange.getRequestURI().getQuery();
        if (query != null) {
            for (String p : query.split("&")) {
                if (p.startsWith("page=")) {
                    page = Integer.parseInt(p.substring(5));
                }
            }
        }
        List<Release> all = List.copyOf(releases);
        ArrayNode body = JSON.createArrayNode();
        if (page >= 1 && page <= all.size()) {
            body.add(releaseJson(all.get(page - 1)));
        }
        if (page < all.size()) {
            URI next = apiUrl().resolve("/repos/" + REPOSITORY + "/releases?per_page=1&page=" + (page + 1));
            exchange.getResponseHeaders().add("Link", "<" + next + ">; rel=\"next\"");
        }
        send(exchange, 200, "application/json", JSON.writeValueAsBytes(body));
    }

    private ObjectNode releaseJson(Release r) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", r.id());
        n.put("tag_name", r.tag());
        n.put("name", r.tag());
        n.put("body", r.body());
        n.put("draft", false);
        n.put("prerelease", false);
        n.put("created_at", r.publishedAt());
        n.put("published_at", r.publishedAt());
        ArrayNode list = n.putArray("assets");
        for (Asset a : r.assets()) {
            ObjectNode j = list.addObject();
            j.put("id", a.id());
            j.put("name", a.name());
            j.put("state", "uploaded");
            j.put("content_type", "application/octet-stream");
            j.put("size", a.digested().length);
            j.put("digest", "sha256:" + a.sha256());
            j.put("url", apiUrl() + "/repos/" + REPOSITORY + "/releases/assets/" + a.id());
            j.put("browser_download_url", apiUrl() + "/" + REPOSITORY + "/releases/download/" + r.tag() + "/" + a.name());
        }
        return n;
    }

    private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
