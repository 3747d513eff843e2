package io.printmaster.releasesource.httpfeed.impl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.api.plugin.PluginName;
import io.printmaster.api.support.PacedInputStream;
import io.printmaster.api.release.Release;
import io.printmaster.api.release.ReleaseAsset;
import io.printmaster.api.release.ReleasePage;
import io.printmaster.api.release.ReleaseSource;
import io.printmaster.api.release.ReleaseSourceException;
import io.printmaster.api.release.ReleaseSourceType;
import io.printmaster.api.release.Refusal;
import io.printmaster.api.release.TagPattern;
import io.printmaster.upstream.signatures.UpstreamPublicKey;
import io.printmaster.upstream.signatures.UpstreamSignatures;
import java.nio.file.Path;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Releases listed in a JSON feed document (schema {@value FeedDocument#SCHEMA}, see {@code docs/release-feed.md})
 * at any http(s) URL: a static bucket, a mirror, a vendor's portal. One instance per factory configuration of PID
 * {@value #FACTORY_PID} ({@code etc/io.printmaster.releasesource.httpfeed-<name>.cfg}, or
 * {@code POST /api/v1/release-sources} with type {@code http-feed}). Keys:
 * <table>
 * <caption>configuration</caption>
 * <tr><th>key</th><th>default</th><th>meaning</th></tr>
 * <tr><td>{@code name}</td><td>the URL</td><td>display name of this source</td></tr>
 * <tr><td>{@code url}</td><td>(required)</td><td>the feed document, http or https (https unless the network
 *     is trusted: the checksums come from it)</td></tr>
 * <tr><td>{@code tag_pattern}</td><td>{@value TagPattern#DEFAULT}</td><td>how an entry's {@code id} is read
 *     (see {@link FeedDocument#parse(JsonNode, URI, TagPattern)}): {@code agent-v1.2.0} makes the entry a release of
 *     the agent only</td></tr>
 * <tr><td>{@code upstream_public_key}</td><td>none</td><td>a minisign public key or an {@code ssh-ed25519} line:
 *     every asset must then have a valid signature at its URL plus {@code .minisig} (or {@code .sig}), or it is
 *     refused ({@link Refusal#SIGNATURE_INVALID})</td></tr>
 * </table>
 *
 * <p>Each document is one page; its optional {@code next} names the document with older releases, and is the page
 * token. Documents are fetched conditionally ({@code If-None-Match}, {@code If-Modified-Since}) and an unchanged one
 * (304) is reused. A document with a missing or malformed required field is refused as a whole, with the JSON path
 * of the field. Asset URLs may be relative to the document. {@link #open} serves the assets this source listed (it
 * re-reads the feed when asked for one it has not listed since it started) and follows redirects.
 *
 * <p>Invalid configuration: the service is registered all the same (failing the activation would leave a service
 * that cannot be obtained and mark the server unhealthy for an admin's typo); it logs an error naming the key when
 * the configuration arrives, and every {@link #releases} call fails with a non-retryable
 * {@link ReleaseSourceException} carrying the same message. It declines (empty) to open assets meanwhile.
 */
@Component(service = ReleaseSource.class, configurationPid = HttpFeedReleaseSource.FACTORY_PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE,
        // activated when its configuration arrives, so a configuration error is logged at once, not on first use
        immediate = true,
        // built-in: a vendor's source of the same type wins
        property = "service.ranking:Integer=-100")
@Designate(ocd = HttpFeedReleaseSource.Config.class, factory = true)
@ReleaseSourceType(type = "http-feed")
@PluginName("HTTP release feed")
public class HttpFeedReleaseSource implements ReleaseSource {
    /** Factory PID of the configurations, one per feed. */
    public static final String FACTORY_PID = "io.printmaster.releasesource.httpfeed";
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Until the response headers arrive; a stalled body is the caller's to detect. */
    static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(30);
    static final int MAX_FEED_BYTES = 16 * 1024 * 1024;
    /** How many documents {@link #open} reads, at most, to find an asset it has not listed yet. */
    static final int MAX_PAGES = 100;
    static final String USER_AGENT = "PrintMaster-Update-Server";
    private static final int CACHE_ENTRIES = 64;

    private static final System.Logger LOG = System.getLogger(HttpFeedReleaseSource.class.getName());

    /** The configuration keys. */
    @ObjectClassDefinition(name = "PrintMaster release source: HTTP feed",
            description = "Lists the releases of a JSON feed document (schema printmaster.feed.v1).")
    public @interface Config {
        @AttributeDefinition(name = "Name", required = false, description = "Display name of this source; the URL "
                + "when empty.")
        String name() default "";

        @AttributeDefinition(name = "URL", description = "The feed document, such as "
                + "https://downloads.example.com/printmaster/feed.json.")
        String url() default "";

        @AttributeDefinition(name = "Tag pattern", description = "How an entry's id names version and component: "
                + "alternatives separated by '|', placeholders {version} and {component}.")
        String tag__pattern() default TagPattern.DEFAULT;

        @AttributeDefinition(name = "Upstream public key", required = false, description = "A minisign public key "
                + "(the base64 line of its .pub) or an 'ssh-ed25519 AAAA…' line: every asset must then have a valid "
                + "signature at its URL plus .minisig (or .sig, ssh-keygen -Y sign -n file), or it is refused.")
        String upstream__public__key() default "";
    }

    /** The keys besides the URL, validated; every problem names its key. */
    record Rules(TagPattern tags, Optional<UpstreamPublicKey> upstreamKey) {
        static final Rules DEFAULT = new Rules(TagPattern.defaultPattern(), Optional.empty());

        static Rules from(String tagPattern, String upstreamKey) {
            TagPattern tags;
            try {
                tags = TagPattern.compile(tagPattern == null || tagPattern.isBlank() ? TagPattern.DEFAULT : tagPattern.strip());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("tag_pattern: " + e.getMessage(), e);
            }
            Optional<UpstreamPublicKey> key = Optional.empty();
            if (upstreamKey != null && !upstreamKey.isBlank()) {
                try {
                    key = Optional.of(UpstreamPublicKey.parse(upstreamKey));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("upstream_public_key: " + e.getMessage(), e);
                }
            }
            return new Rules(tags, key);
        }
    }

    /** A document as last fetched, with what it takes to ask for it conditionally. */
    private record Fetched(Optional<String> etag, Optional<String> lastModified, byte[] body, URI finalUrl) {
    }

    private final String name;
    /** Null when the configuration is invalid; then {@link #configurationError} says why. */
    private final URI feedUrl;
    private final String configurationError;
    private final HttpClient client;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<URI, Fetched> fetched = new ConcurrentHashMap<>();
    /** Download URLs of every asset listed since start: what {@link #open} serves. */
    private final Set<URI> listed = ConcurrentHashMap.newKeySet();
    private final Rules rules;
    /** The pace a feed document or signature must keep (a trickling server must not hold the sync). */
    private volatile long minBytesPerSecond = PacedInputStream.DEFAULT_MIN_BYTES_PER_SECOND;
    private volatile Duration rateGrace = PacedInputStream.DEFAULT_GRACE;

    @Activate
    public HttpFeedReleaseSource(Config config) {
        this(config.name(), validUrl(config.url()), error(config), rules(config));
        if (feedUrl == null) {
            LOG.log(Level.ERROR, "HTTP feed release source '" + name + "' cannot list anything: " + configurationError);
            return;
        }
        LOG.log(Level.INFO, () -> "HTTP feed release source '" + name + "' reads " + feedUrl);
        if (feedUrl.getScheme().equals("http") && !isLoopback(feedUrl.getHost())) {
            LOG.log(Level.WARNING, () -> "HTTP feed release source '" + name + "' reads its checksums over plain http from "
                    + feedUrl.getHost() + ": anyone on the network path can change them; use https");
        }
    }

    HttpFeedReleaseSource(String name, URI feedUrl) {
        this(name, feedUrl, null, Rules.DEFAULT);
    }

    HttpFeedReleaseSource(String name, URI feedUrl, Rules rules) {
        this(name, feedUrl, null, rules);
    }

    private HttpFeedReleaseSource(String name, URI feedUrl, String configurationError, Rules rules) {
        // an invalid configuration lists nothing, so no asset can pass without its signature
        this.feedUrl = configurationError == null ? feedUrl : null;
        this.rules = rules;
        this.configurationError = configurationError;
        this.name = name != null && !name.isBlank() ? name.strip() : feedUrl != null ? feedUrl.toString() : "(unnamed)";
        this.client = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NORMAL).build();
    }

    private static URI validUrl(String text) {
        try {
            return url(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String error(Config config) {
        try {
            url(config.url());
            Rules.from(config.tag__pattern(), config.upstream__public__key());
            return null;
        } catch (IllegalArgumentException e) {
            return "invalid configuration: " + e.getMessage();
        }
    }

    private static Rules rules(Config config) {
        try {
            return Rules.from(config.tag__pattern(), config.upstream__public__key());
        } catch (IllegalArgumentException e) {
            return Rules.DEFAULT; // unused: the configuration error stops every listing
        }
    }

    static URI url(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("url: required, the feed document's http(s) URL");
        }
        URI uri;
        try {
            uri = new URI(text.strip());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("url: '" + text.strip() + "' is not a URL: " + e.getReason(), e);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw new IllegalArgumentException("url: '" + text.strip() + "' must be an http(s) URL such as "
                    + "https://downloads.example.com/printmaster/feed.json");
        }
        if (uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("url: must not carry credentials (user:password@); the feed is read "
                    + "without authentication");
        }
        return uri;
    }

    @Override
    public ReleasePage releases(Optional<String> pageToken) throws ReleaseSourceException {
        if (feedUrl == null) {
            // every listing fails the same way while the configuration is invalid: the intake shows why
            throw new ReleaseSourceException("HTTP feed release source '" + name + "': " + configurationError
                    + "; fix its configuration", false);
        }
        URI page = feedUrl;
        if (pageToken.isPresent()) {
            try {
                page = url(pageToken.get());
            } catch (IllegalArgumentException e) {
                throw new ReleaseSourceException("page token '" + pageToken.get() + "' is not a feed URL", false, e);
            }
        }
        FeedDocument.Page parsed = read(page);
        return new ReleasePage(parsed.releases(), parsed.next().map(URI::toString), parsed.skipped(), parsed.refused());
    }

    private FeedDocument.Page read(URI page) throws ReleaseSourceException {
        Fetched doc = fetch(page);
        JsonNode root;
        try {
            root = json.readTree(doc.body());
        } catch (JsonProcessingException e) {
            var where = e.getLocation();
            throw new ReleaseSourceException("feed " + page + " is not valid JSON"
                    + (where != null ? " (line " + where.getLineNr() + ", column " + where.getColumnNr() + ")" : "")
                    + ": " + e.getOriginalMessage(), false, e);
        } catch (IOException e) {
            throw new ReleaseSourceException("feed " + page + " cannot be read: " + e, false, e);
        }
        try {
            FeedDocument.Page parsed = FeedDocument.parse(root, doc.finalUrl(), rules.tags());
            for (Release r : parsed.releases()) {
                r.assets().forEach(a -> listed.add(a.downloadUrl()));
            }
            return parsed;
        } catch (FeedDocument.FormatException e) {
            throw new ReleaseSourceException("feed " + page + " is malformed at " + e.getMessage(), false, e);
        }
    }

    /** GETs a document, conditionally when it was fetched before; a 304 reuses the remembered body. */
    private Fetched fetch(URI url) throws ReleaseSourceException {
        Fetched cached = fetched.get(url);
        HttpRequest.Builder request = HttpRequest.newBuilder(url).GET().timeout(RESPONSE_TIMEOUT)
                .header("User-Agent", USER_AGENT).header("Accept", "application/json");
        if (cached != null) {
            cached.etag().ifPresent(e -> request.header("If-None-Match", e));
            cached.lastModified().ifPresent(m -> request.header("If-Modified-Since", m));
        }
        HttpResponse<InputStream> r = send(request.build(), "feed " + url);
        if (r.statusCode() == 304 && cached != null) {
            closeQuietly(r);
            return cached;
        }
        expectOk(r, "feed " + url, "check the url key");
        byte[] body;
        try (InputStream in = paced(r.body(), "feed " + url)) {
            body = in.readNBytes(MAX_FEED_BYTES + 1);
        } catch (PacedInputStream.TooSlowException e) {
            throw new ReleaseSourceException(e.getMessage(), true, e);
        } catch (IOException e) {
            throw new ReleaseSourceException("reading feed " + url + " failed: " + e, true, e);
        }
        if (body.length > MAX_FEED_BYTES) {
            throw new ReleaseSourceException("feed " + url + " is larger than " + MAX_FEED_BYTES
                    + " bytes; split it with \"next\"", false);
        }
        Fetched now = new Fetched(r.headers().firstValue("ETag"), r.headers().firstValue("Last-Modified"), body, r.uri());
        if (now.etag().isPresent() || now.lastModified().isPresent()) {
            if (fetched.size() >= CACHE_ENTRIES) {
                fetched.clear(); // rare: a feed of more documents than this; they are simply fetched again
            }
            fetched.put(url, now);
        }
        return now;
    }

    @Override
    public Optional<InputStream> open(ReleaseAsset asset) throws ReleaseSourceException {
        Optional<URI> url = listedUrl(asset);
        if (url.isEmpty()) {
            return Optional.empty();
        }
        HttpRequest request = HttpRequest.newBuilder(url.get()).GET().timeout(RESPONSE_TIMEOUT)
                .header("User-Agent", USER_AGENT).build();
        HttpResponse<InputStream> r = send(request, asset.name() + " (" + url.get() + ")");
        expectOk(r, asset.name() + " (" + url.get() + ")", "the feed lists a file its server does not have");
        return Optional.of(r.body());
    }

    /**
     * Resumes a download with {@code Range: bytes=<offset>-}. Only a {@code 206} whose {@code Content-Range} starts
     * at {@code offset} is used; a server that ignores ranges (answers {@code 200}) is declined, so the download
     * starts over.
     */
    @Override
    public Optional<InputStream> open(ReleaseAsset asset, long offset) throws ReleaseSourceException {
        Optional<URI> url = listedUrl(asset);
        if (url.isEmpty() || offset < 1) {
            return Optional.empty();
        }
        HttpRequest request = HttpRequest.newBuilder(url.get()).GET().timeout(RESPONSE_TIMEOUT)
                .header("User-Agent", USER_AGENT).header("Range", "bytes=" + offset + "-").build();
        String what = asset.name() + " (" + url.get() + ")";
        HttpResponse<InputStream> r = send(request, what);
        if (r.statusCode() == 206 && startsAt(r.headers().firstValue("Content-Range").orElse(""), offset)) {
            return Optional.of(r.body());
        }
        if (r.statusCode() == 200 || r.statusCode() == 206 || r.statusCode() == 416) {
            closeQuietly(r);
            return Optional.empty();
        }
        expectOk(r, what, "the feed lists a file its server does not have");
        closeQuietly(r);
        return Optional.empty();
    }

    /**
     * With {@code upstream_public_key} set, the asset needs a valid signature of that key at its URL plus
     * {@code .minisig} (minisign key) or {@code .sig} (SSH key), fetched from the same server; otherwise it is
     * refused.
     */
    @Override
    public Optional<Refusal> verify(ReleaseAsset asset, Path file) throws ReleaseSourceException {
        if (rules.upstreamKey().isEmpty()) {
            return Optional.empty();
        }
        Optional<URI> url = listedUrl(asset);
        if (url.isEmpty()) {
            // fail closed: with a key, an asset whose URL this feed does not list (any more) has no signature to check
            return Optional.of(new Refusal(asset, Refusal.SIGNATURE_INVALID, "upstream_public_key is set, but the feed "
                    + "does not list " + asset.name() + " now, so its signature cannot be fetched"));
        }
        UpstreamPublicKey key = rules.upstreamKey().get();
        URI signatureUrl = URI.create(url.get() + key.kind().signatureSuffix());
        HttpRequest request = HttpRequest.newBuilder(signatureUrl).GET().timeout(RESPONSE_TIMEOUT)
                .header("User-Agent", USER_AGENT).build();
        HttpResponse<InputStream> r = send(request, "signature " + signatureUrl);
        if (r.statusCode() == 404 || r.statusCode() == 410) {
            closeQuietly(r);
            return Optional.of(new Refusal(asset, Refusal.SIGNATURE_INVALID, "upstream_public_key is set, but there is "
                    + "no signature at " + signatureUrl + " (HTTP " + r.statusCode() + ")"));
        }
        expectOk(r, "signature " + signatureUrl, "");
        try (InputStream in = paced(r.body(), "signature " + signatureUrl)) {
            byte[] signature = in.readNBytes(UpstreamSignatures.MAX_SIGNATURE_BYTES + 1);
            return UpstreamSignatures.check(key, file, signature).map(problem -> new Refusal(asset,
                    Refusal.SIGNATURE_INVALID, signatureUrl + ": " + problem));
        } catch (IOException e) {
            throw new ReleaseSourceException("reading signature " + signatureUrl + " or the downloaded " + asset.name()
                    + " failed: " + e, true, e);
        }
    }

    private InputStream paced(InputStream body, String what) {
        return PacedInputStream.of(body, minBytesPerSecond, rateGrace, what);
    }

    /** The pace feed documents and signatures must keep; the defaults are 4 KiB/s after 30 s (tests shorten it). */
    void pace(long minBytesPerSecond, Duration grace) {
        this.minBytesPerSecond = minBytesPerSecond;
        this.rateGrace = grace;
    }

    /** True when a {@code Content-Range} header ({@code bytes 1000-4999/5000}) starts at {@code offset}. */
    static boolean startsAt(String contentRange, long offset) {
        String v = contentRange.strip();
        if (!v.regionMatches(true, 0, "bytes ", 0, 6)) {
            return false;
        }
        int dash = v.indexOf('-', 6);
        try {
            return dash > 6 && Long.parseLong(v.substring(6, dash).strip()) == offset;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** The asset's URL when this feed listed it (http or https); empty for anything else. */
    private Optional<URI> listedUrl(ReleaseAsset asset) throws ReleaseSourceException {
        URI url = asset.downloadUrl();
        String scheme = String.valueOf(url.getScheme()).toLowerCase(Locale.ROOT);
        if (feedUrl == null || !scheme.equals("http") && !scheme.equals("https")) {
            return Optional.empty();
        }
        if (!listed.contains(url)) {
            relist();
            if (!listed.contains(url)) {
                return Optional.empty();
            }
        }
        return Optional.of(url);
    }

    /** After a restart: read the feed again to learn which assets it lists. */
    private void relist() throws ReleaseSourceException {
        Optional<URI> page = Optional.of(feedUrl);
        for (int i = 0; i < MAX_PAGES && page.isPresent(); i++) {
            page = read(page.get()).next();
        }
    }

    private HttpResponse<InputStream> send(HttpRequest request, String what) throws ReleaseSourceException {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpTimeoutException e) {
            throw new ReleaseSourceException(what + ": no answer within " + RESPONSE_TIMEOUT.toSeconds() + " s", true, e);
        } catch (IOException e) {
            throw new ReleaseSourceException(what + " cannot be fetched: " + e, true, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ReleaseSourceException("interrupted while fetching " + what, true, e);
        }
    }

    private static void expectOk(HttpResponse<InputStream> r, String what, String hintFor404) throws ReleaseSourceException {
        int status = r.statusCode();
        if (status == 200) {
            return;
        }
        closeQuietly(r);
        if (status == 404 || status == 410) {
            throw new ReleaseSourceException(what + " was not found (HTTP " + status + "): " + hintFor404, false);
        }
        boolean retryable = status >= 500 || status == 408 || status == 429;
        String retryAfter = r.headers().firstValue("Retry-After").map(v -> "; retry after " + v.strip()
                + (v.strip().chars().allMatch(Character::isDigit) ? " s" : "")).orElse("");
        throw new ReleaseSourceException(what + " answered HTTP " + status + retryAfter, retryable);
    }

    private static void closeQuietly(HttpResponse<InputStream> r) {
        try {
            r.body().close();
        } catch (IOException e) {
            // the connection is dropped; nothing else to do
        }
    }

    private static boolean isLoopback(String host) {
        if (host.equalsIgnoreCase("localhost")) {
            return true;
        }
        String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        if (!h.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':')) {
            return false; // a name: never resolved here
        }
        try {
            return InetAddress.getByName(h).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "HttpFeedReleaseSource[" + name + ", " + (feedUrl != null ? feedUrl : configurationError) + "]";
    }
}
