package io.printmaster.releasesource.github.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replays recorded GitHub REST API answers (test resources {@code github/releases-page*.json}, shaped exactly as
 * {@code GET /repos/{owner}/{repo}/releases} answers) from three loopback servers standing in for api.github.com,
 * github.com and the asset storage host. The recorded host names are rewritten to the local servers, as a recording
 * proxy would. Records every request with its headers.
 */
final class FakeGitHub implements AutoCloseable {
    static final String REPOSITORY = "acme/printmaster";
    static final long REPOSITORY_ID = 123456789;
    private static final Pattern ASSET = Pattern.compile("/repos/acme/printmaster/releases/assets/(\\d+)");
    private static final Pattern DOWNLOAD = Pattern.compile("/acme/printmaster/releases/download/([^/]+)/([^/]+)");
    private static final Pattern STORAGE = Pattern.compile("/github-production-release-asset-2e65be/" + REPOSITORY_ID + "/(\\d+)");
    private static final Pattern TAG = Pattern.compile("/repos/acme/printmaster/releases/tags/([^/]+)");

    /** One request as a server saw it. */
    record Request(String server, String pathAndQuery, Map<String, List<String>> headers, AtomicInteger answered) {
        int status() {
            return answered.get();
        }

        Optional<String> header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .flatMap(e -> e.getValue().stream()).findFirst();
        }
    }

    /** A canned answer that replaces every API answer while set (rate limits, outages). */
    record CannedAnswer(int status, Map<String, String> headers, String body) {
    }

    private final HttpServer api;
    private final HttpServer web;
    private final HttpServer storage;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<Long, String[]> assetsById = new HashMap<>();
    private final Map<String, String> releaseByTag = new HashMap<>();
    private final String page1;
    private final String page2;
    private volatile CannedAnswer override;

    FakeGitHub() throws IOException {
        api = start("api", this::api);
        web = start("web", this::web);
        storage = start("storage", this::storage);
        page1 = rewrite(resource("github/releases-page1.json"));
        page2 = rewrite(resource("github/releases-page2.json"));
        ObjectMapper json = new ObjectMapper();
        for (String page : List.of(page1, page2)) {
            for (JsonNode release : json.readTree(page)) {
                releaseByTag.put(release.path("tag_name").asText(), json.writeValueAsString(release));
                for (JsonNode asset : release.path("assets")) {
                    assetsById.put(asset.path("id").asLong(),
                            new String[] {release.path("tag_name").asText(), asset.path("name").asText()});
                }
            }
        }
    }

    String apiUrl() {
        return "http://127.0.0.1:" + api.getAddress().getPort();
    }

    String webUrl() {
        return "http://127.0.0.1:" + web.getAddress().getPort();
    }

    String storageUrl() {
        return "http://127.0.0.1:" + storage.getAddress().getPort();
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    List<Request> requests(String server) {
        return requests.stream().filter(r -> r.server().equals(server)).toList();
    }

    void override(CannedAnswer o) {
        this.override = o;
    }

    /** The bytes the storage host serves for an asset that is not a checksum file. */
    static byte[] content(String name) {
        return ("PrintMaster test asset " + name + "\n").getBytes(StandardCharsets.UTF_8);
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private interface Handler {
        void handle(HttpExchange exchange, String path) throws IOException;
    }

    private HttpServer start(String name, Handler handler) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            // recorded before answering: the client may look at the record as soon as it has the answer
            Request request = new Request(name, exchange.getRequestURI().toString(),
                    Map.copyOf(exchange.getRequestHeaders()), new AtomicInteger());
            exchange.setAttribute(Request.class.getName(), request);
            requests.add(request);
            try (exchange) {
                handler.handle(exchange, exchange.getRequestURI().getPath());
            }
        });
        server.start();
        return server;
    }

    private void api(HttpExchange ex, String path) throws IOException {
        CannedAnswer o = override;
        if (o != null) {
            o.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
            send(ex, o.status(), o.body().getBytes(StandardCharsets.UTF_8));
            return;
        }
        rateHeaders(ex);
        Matcher m;
        String query = Optional.ofNullable(ex.getRequestURI().getRawQuery()).orElse("");
        if (path.equals("/repos/acme/printmaster/releases")) {
            String next = apiUrl() + "/repositories/" + REPOSITORY_ID + "/releases?per_page=30&page=2";
            ex.getResponseHeaders().add("Link", "<" + next + ">; rel=\"next\", <" + next + ">; rel=\"last\"");
            json(ex, page1);
        } else if (path.equals("/repositories/" + REPOSITORY_ID + "/releases") && query.contains("page=2")) {
            String first = apiUrl() + "/repositories/" + REPOSITORY_ID + "/releases?per_page=30&page=1";
            ex.getResponseHeaders().add("Link", "<" + first + ">; rel=\"prev\", <" + first + ">; rel=\"first\"");
            json(ex, page2);
        } else if ((m = TAG.matcher(path)).matches() && releaseByTag.containsKey(m.group(1))) {
            json(ex, releaseByTag.get(m.group(1)));
        } else if ((m = ASSET.matcher(path)).matches() && assetsById.containsKey(Long.parseLong(m.group(1)))
                && "application/octet-stream".equals(ex.getRequestHeaders().getFirst("Accept"))) {
            redirectToStorage(ex, Long.parseLong(m.group(1)));
        } else {
            ex.getResponseHeaders().add("Content-Type", "application/json; charset=utf-8");
            send(ex, 404, ("{\"message\":\"Not Found\",\"documentation_url\":"
                    + "\"https://docs.github.com/rest/releases/releases\",\"status\":\"404\"}").getBytes(StandardCharsets.UTF_8));
        }
    }

    private void web(HttpExchange ex, String path) throws IOException {
        Matcher m = DOWNLOAD.matcher(path);
        if (m.matches()) {
            for (Map.Entry<Long, String[]> e : assetsById.entrySet()) {
                if (e.getValue()[0].equals(m.group(1)) && e.getValue()[1].equals(m.group(2))) {
                    redirectToStorage(ex, e.getKey());
                    return;
                }
            }
        }
        send(ex, 404, "Not Found".getBytes(StandardCharsets.UTF_8));
    }

    private void storage(HttpExchange ex, String path) throws IOException {
        Matcher m = STORAGE.matcher(path);
        String[] asset = m.matches() ? assetsById.get(Long.parseLong(m.group(1))) : null;
        if (asset == null) {
            send(ex, 404, "<?xml version=\"1.0\"?><Error><Code>BlobNotFound</Code></Error>".getBytes(StandardCharsets.UTF_8));
            return;
        }
        InputStream checksumFile = FakeGitHub.class.getClassLoader()
                .getResourceAsStream("github/checksum-files/" + asset[0] + "/" + asset[1]);
        byte[] body = checksumFile != null ? checksumFile.readAllBytes() : content(asset[1]);
        ex.getResponseHeaders().add("Content-Type", "application/octet-stream");
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
            // the storage host honours open-ended ranges, as GitHub's does
            int from = Integer.parseInt(range.substring(6, range.length() - 1));
            ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
            send(ex, 206, java.util.Arrays.copyOfRange(body, from, body.length));
            return;
        }
        send(ex, 200, body);
    }

    private void redirectToStorage(HttpExchange ex, long assetId) throws IOException {
        String name = assetsById.get(assetId)[1];
        ex.getResponseHeaders().add("Location", storageUrl() + "/github-production-release-asset-2e65be/" + REPOSITORY_ID
                + "/" + assetId + "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=releaseassetproduction"
                + "&X-Amz-Expires=300&X-Amz-Signature=3f6c0d0b8a7e&response-content-disposition=attachment%3B%20filename%3D"
                + name + "&response-content-type=application%2Foctet-stream");
        send(ex, 302, new byte[0]);
    }

    private static void rateHeaders(HttpExchange ex) {
        ex.getResponseHeaders().add("X-RateLimit-Limit", "60");
        ex.getResponseHeaders().add("X-RateLimit-Remaining", "58");
        ex.getResponseHeaders().add("X-RateLimit-Reset", "1764680400");
        ex.getResponseHeaders().add("X-RateLimit-Used", "2");
        ex.getResponseHeaders().add("X-RateLimit-Resource", "core");
        ex.getResponseHeaders().add("X-GitHub-Api-Version-Selected", "2022-11-28");
    }

    /** A JSON answer with a weak ETag, or 304 when the client already has it. */
    private static void json(HttpExchange ex, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String etag = "W/\"" + sha256(bytes) + "\"";
        ex.getResponseHeaders().add("ETag", etag);
        ex.getResponseHeaders().add("Cache-Control", "private, max-age=60, s-maxage=60");
        ex.getResponseHeaders().add("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP,Accept-Encoding, Accept, X-Requested-With");
        if (etag.equals(ex.getRequestHeaders().getFirst("If-None-Match"))) {
            send(ex, 304, new byte[0]);
            return;
        }
        ex.getResponseHeaders().add("Content-Type", "application/json; charset=utf-8");
        send(ex, 200, bytes);
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        ((Request) ex.getAttribute(Request.class.getName())).answered().set(status);
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            ex.getResponseBody().write(body);
        }
    }

    private String rewrite(String recorded) {
        return recorded.replace("https://api.github.com", apiUrl()).replace("https://github.com", webUrl());
    }

    private static String resource(String name) {
        try (InputStream in = FakeGitHub.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, String> headers(String... keyValues) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    @Override
    public void close() {
        api.stop(0);
        web.stop(0);
        storage.stop(0);
    }
}
