package io.printmaster.releasesource.github.impl;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A GitHub-shaped upstream on loopback, built from code rather than recordings: {@code GET <prefix>/repos/<owner>/
 * <repo>/releases} (newest first, one page), {@code …/releases/tags/<tag>}, the API asset URL
 * {@code <prefix>/repos/<owner>/<repo>/releases/assets/<id>} and the download URL
 * {@code /<owner>/<repo>/releases/download/<tag>/<name>}. Shaped like github.com (API and downloads on two origins,
 * no prefix) or like GitHub Enterprise Server (one origin, API under {@code /api/v3}).
 */
public final class UpstreamGitHub implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A file of a release; {@code digest} false publishes it without GitHub's {@code digest} field. */
    public record Asset(String name, byte[] bytes, boolean digest) {
        public static Asset of(String name, String text) {
            return new Asset(name, text.getBytes(StandardCharsets.UTF_8), true);
        }
    }

    public record Release(long id, String tag, String body, boolean draft, boolean prerelease, List<Asset> assets) {
    }

    private final String repository;
    private final String apiPrefix;
    private final HttpServer api;
    private final HttpServer downloads;
    private final List<Release> releases = new CopyOnWriteArrayList<>();
    /** Every request: {@code api GET /path} or {@code downloads GET /path}. */
    public final List<String> requests = new CopyOnWriteArrayList<>();
    private long nextId = 100;

    /**
     * @param apiPrefix              {@code ""} for github.com's shape, {@code /api/v3} for GitHub Enterprise Server's
     * @param separateDownloadOrigin true: downloads on a second server (another port), as github.com does
     */
    UpstreamGitHub(String repository, String apiPrefix, boolean separateDownloadOrigin) throws IOException {
        this.repository = repository;
        this.apiPrefix = apiPrefix;
        this.api = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        this.api.createContext("/", e -> handle("api", e));
        this.api.start();
        if (separateDownloadOrigin) {
            this.downloads = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            this.downloads.createContext("/", e -> handle("downloads", e));
            this.downloads.start();
        } else {
            this.downloads = api;
        }
    }

    /** Github.com's shape: API at the root of one origin, downloads on another. */
    public static UpstreamGitHub githubCom(String repository) throws IOException {
        return new UpstreamGitHub(repository, "", true);
    }

    /** GitHub Enterprise Server's shape: one origin, the API under {@code /api/v3}. */
    public static UpstreamGitHub enterprise(String repository) throws IOException {
        return new UpstreamGitHub(repository, "/api/v3", false);
    }

    public String apiUrl() {
        return "http://127.0.0.1:" + api.getAddress().getPort() + apiPrefix;
    }

    public String downloadOrigin() {
        return "http://127.0.0.1:" + downloads.getAddress().getPort();
    }

    public UpstreamGitHub release(String tag, String body, Asset... assets) {
        releases.add(0, new Release(nextId++, tag, body, false, false, List.of(assets)));
        return this;
    }

    public UpstreamGitHub draft(String tag, Asset... assets) {
        releases.add(0, new Release(nextId++, tag, "", true, false, List.of(assets)));
        return this;
    }

    public UpstreamGitHub prerelease(String tag, Asset... assets) {
        releases.add(0, new Release(nextId++, tag, "", false, true, List.of(assets)));
        return this;
    }

    private long assetId(Release r, int index) {
        return r.id() * 100 + index;
    }

    private ObjectNode json(Release r) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", r.id());
        n.put("tag_name", r.tag());
        n.put("name", r.tag());
        n.put("body", r.body());
        n.put("draft", r.draft());
        n.put("prerelease", r.prerelease());
        n.put("published_at", "2026-11-0" + (r.id() % 9 + 1) + "T09:00:00Z");
        ArrayNode assets = n.putArray("assets");
        for (int i = 0; i < r.assets().size(); i++) {
            Asset a = r.assets().get(i);
            ObjectNode j = assets.addObject();
            j.put("id", assetId(r, i));
            j.put("name", a.name());
            j.put("state", "uploaded");
            j.put("size", a.bytes().length);
            j.put("url", apiUrl() + "/repos/" + repository + "/releases/assets/" + assetId(r, i));
            j.put("browser_download_url", downloadOrigin() + "/" + repository + "/releases/download/" + r.tag() + "/" + a.name());
            if (a.digest()) {
                j.put("digest", "sha256:" + sha256(a.bytes()));
            }
        }
        return n;
    }

    private void handle(String server, HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getRawPath();
            requests.add(server + " " + exchange.getRequestMethod() + " " + path);
            String repos = apiPrefix + "/repos/" + repository + "/releases";
            if (server.equals("api") && path.equals(repos)) {
                ArrayNode list = JSON.createArrayNode();
                releases.forEach(r -> list.add(json(r)));
                send(exchange, 200, "application/json", JSON.writeValueAsBytes(list));
                return;
            }
            for (Release r : releases) {
                if (server.equals("api") && path.equals(repos + "/tags/" + r.tag())) {
                    send(exchange, 200, "application/json", JSON.writeValueAsBytes(json(r)));
                    return;
                }
                for (int i = 0; i < r.assets().size(); i++) {
                    Asset a = r.assets().get(i);
                    boolean apiAsset = server.equals("api") && path.equals(repos + "/assets/" + assetId(r, i));
                    boolean download = (server.equals("downloads") || downloads == api)
                            && path.equals("/" + repository + "/releases/download/" + r.tag() + "/" + a.name());
                    if (apiAsset || download) {
                        send(exchange, 200, "application/octet-stream", a.bytes());
                        return;
                    }
                }
            }
            send(exchange, 404, "application/json", "{\"message\":\"Not Found\"}".getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    public List<Release> releases() {
        return new ArrayList<>(releases);
    }

    @Override
    public void close() {
        api.stop(0);
        if (downloads != api) {
            downloads.stop(0);
        }
    }
}
