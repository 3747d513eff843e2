package io.printmaster.releasesource.github.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.api.release.ReleaseSourceException;
import java.io.IOException;
import io.printmaster.api.support.PacedInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTTP to GitHub for one source: the API with conditional requests and rate-limit back-off, and downloads that
 * follow redirects while sending the token only to the API's own origin (scheme, host and port of
 * {@code api_url}). GitHub answers asset downloads with a redirect to another host (objects.githubusercontent.com);
 * that host gets no token.
 */
final class GitHubHttp {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Until the response headers arrive; a stalled body is the caller's to detect. */
    static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(30);
    static final String API_VERSION = "2022-11-28";
    static final String USER_AGENT = "PrintMaster-Update-Server";
    static final int MAX_REDIRECTS = 5;
    static final int MAX_JSON_BYTES = 16 * 1024 * 1024;
    /** When GitHub says "rate limited" without saying until when, its documentation asks for at least a minute. */
    static final Duration DEFAULT_BACKOFF = Duration.ofMinutes(1);
    private static final int ETAG_CACHE_ENTRIES = 128;
    private static final Pattern LINK = Pattern.compile("<([^>]*)>\\s*((?:;[^,<]*)*)");
    private static final Pattern REL = Pattern.compile(";\\s*rel\\s*=\\s*\"?([^\";]*)\"?");

    /** A JSON answer and the next page's URL from its {@code Link} header. */
    record JsonAnswer(JsonNode body, Optional<URI> next) {
    }

    private record Cached(String etag, byte[] body, Optional<URI> next) {
    }

    private final GitHubSettings settings;
    private final HttpClient client;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<URI, Cached> byUrl = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<URI, Cached> eldest) {
            return size() > ETAG_CACHE_ENTRIES;
        }
    });
    private volatile Instant blockedUntil = Instant.MIN;

    GitHubHttp(GitHubSettings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        // redirects are followed by hand: the token must not travel to another origin
        this.client = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** True when {@code url} has the API's scheme, host and port: the only origin that gets the token. */
    boolean isApiOrigin(URI url) {
        URI api = settings.apiUrl();
        return api.getScheme().equalsIgnoreCase(String.valueOf(url.getScheme()))
                && api.getHost().equalsIgnoreCase(String.valueOf(url.getHost()))
                && port(api) == port(url);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    /**
     * GETs an API document, conditionally when it was fetched before: GitHub answers 304 for an unchanged one,
     * which does not count against the rate limit, and the remembered body is reused.
     */
    JsonAnswer getJson(URI url) throws ReleaseSourceException {
        return getJson(url, false).orElseThrow();
    }

    /** Like {@link #getJson(URI)}, but empty when GitHub answers 404. */
    Optional<JsonAnswer> findJson(URI url) throws ReleaseSourceException {
        return getJson(url, true);
    }

    private Optional<JsonAnswer> getJson(URI url, boolean absentIsEmpty) throws ReleaseSourceException {
        Cached cached = byUrl.get(url);
        HttpResponse<InputStream> r = send(url, "application/vnd.github+json",
                Optional.ofNullable(cached).map(Cached::etag));
        byte[] body;
        Optional<URI> next;
        if (r.statusCode() == 404 && absentIsEmpty) {
            close(r);
            return Optional.empty();
        }
        if (r.statusCode() == 304 && cached != null) {
            close(r);
            body = cached.body();
            next = cached.next();
        } else {
            expectOk(r, url);
            body = read(r, MAX_JSON_BYTES, url);
            next = nextLink(r, url);
            r.headers().firstValue("ETag").ifPresent(etag -> byUrl.put(url, new Cached(etag, body, next)));
        }
        try {
            return Optional.of(new JsonAnswer(json.readTree(body), next));
        } catch (IOException e) {
            throw new ReleaseSourceException("GitHub answered " + url + " with malformed JSON: " + e.getMessage(),
                    false, e);
        }
    }

    /** Opens a download; API asset URLs are asked for their bytes ({@code application/octet-stream}). */
    InputStream download(URI url) throws ReleaseSourceException {
        String accept = isApiOrigin(url) ? "application/octet-stream" : "*/*";
        HttpResponse<InputStream> r = send(url, accept, Optional.empty());
        expectOk(r, url);
        return r.body();
    }

    /** Downloads a small file entirely (a checksum list), refusing more than {@code maxBytes}. */
    String downloadText(URI url, int maxBytes) throws ReleaseSourceException {
        return new String(downloadBytes(url, maxBytes), StandardCharsets.UTF_8);
    }

    /** A small file (a signature), at most {@code maxBytes}, as the bytes it is. */
    byte[] downloadBytes(URI url, int maxBytes) throws ReleaseSourceException {
        String accept = isApiOrigin(url) ? "application/octet-stream" : "*/*";
        HttpResponse<InputStream> r = send(url, accept, Optional.empty());
        expectOk(r, url);
        return read(r, maxBytes, url);
    }

    /**
     * Resumes a download from byte {@code offset} ({@code Range: bytes=<offset>-}, kept across redirects, as the
     * storage host honours it). Empty when the answer is not a {@code 206} starting at {@code offset} (a server
     * ignoring ranges): the download then starts over.
     */
    Optional<InputStream> downloadFrom(URI url, long offset) throws ReleaseSourceException {
        String accept = isApiOrigin(url) ? "application/octet-stream" : "*/*";
        HttpResponse<InputStream> r = send(url, accept, Optional.empty(), Optional.of("bytes=" + offset + "-"));
        if (r.statusCode() == 206 && startsAt(r.headers().firstValue("Content-Range").orElse(""), offset)) {
            return Optional.of(r.body());
        }
        if (r.statusCode() == 200 || r.statusCode() == 206 || r.statusCode() == 416) {
            close(r);
            return Optional.empty();
        }
        expectOk(r, url);
        close(r);
        return Optional.empty();
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

    private HttpResponse<InputStream> send(URI url, String accept, Optional<String> etag) throws ReleaseSourceException {
        return send(url, accept, etag, Optional.empty());
    }

    private HttpResponse<InputStream> send(URI url, String accept, Optional<String> etag, Optional<String> range)
            throws ReleaseSourceException {
        URI current = url;
        for (int hop = 0; ; hop++) {
            boolean api = isApiOrigin(current);
            if (api) {
                checkNotRateLimited();
            }
            HttpRequest.Builder request = HttpRequest.newBuilder(current).GET().timeout(RESPONSE_TIMEOUT)
                    .header("User-Agent", USER_AGENT).header("Accept", accept);
            if (api) {
                request.header("X-GitHub-Api-Version", API_VERSION);
                settings.token().ifPresent(t -> request.header("Authorization", "Bearer " + t));
            }
            if (hop == 0) {
                etag.ifPresent(e -> request.header("If-None-Match", e));
            }
            range.ifPresent(r -> request.header("Range", r));
            HttpResponse<InputStream> r;
            try {
                r = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (HttpTimeoutException e) {
                throw new ReleaseSourceException(current.getHost() + " did not answer " + strip(current) + " within "
                        + RESPONSE_TIMEOUT.toSeconds() + " s", true, e);
            } catch (IOException e) {
                throw new ReleaseSourceException("cannot reach " + current.getHost() + " for " + strip(current) + ": " + e,
                        true, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ReleaseSourceException("interrupted while fetching " + strip(current), true, e);
            }
            int status = r.statusCode();
            if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
                close(r);
                String location = r.headers().firstValue("Location").orElseThrow(() -> new ReleaseSourceException(
                        strip(url) + " redirected (" + status + ") without a Location", false));
                if (hop >= MAX_REDIRECTS) {
                    throw new ReleaseSourceException(strip(url) + " redirected more than " + MAX_REDIRECTS + " times", false);
                }
                URI next;
                try {
                    next = current.resolve(location);
                } catch (IllegalArgumentException e) {
                    throw new ReleaseSourceException(strip(url) + " redirected to a malformed location", false, e);
                }
                if ("https".equalsIgnoreCase(current.getScheme()) && !"https".equalsIgnoreCase(next.getScheme())) {
                    throw new ReleaseSourceException(strip(url) + " redirected from https to " + next.getScheme()
                            + "; refused", false);
                }
                current = next;
                continue;
            }
            if ((status == 403 || status == 429) && api) {
                String body = new String(readQuietly(r, 4096), StandardCharsets.UTF_8);
                Optional<ReleaseSourceException> limited = rateLimited(r, body);
                if (limited.isPresent()) {
                    throw limited.get();
                }
                throw failure(status, body, current);
            }
            return r;
        }
    }

    private void checkNotRateLimited() throws ReleaseSourceException {
        Instant until = blockedUntil;
        if (clock.instant().isBefore(until)) {
            throw new ReleaseSourceException("GitHub rate limit reached for " + settings.repository()
                    + "; not calling GitHub again before " + until, true);
        }
    }

    /** A rate-limit answer (primary or secondary limit) as a retryable exception; remembers when to retry. */
    private Optional<ReleaseSourceException> rateLimited(HttpResponse<?> r, String body) {
        Instant now = clock.instant();
        Optional<String> retryAfter = r.headers().firstValue("Retry-After");
        boolean exhausted = r.headers().firstValue("X-RateLimit-Remaining").map(String::strip).filter("0"::equals).isPresent();
        Instant until;
        String why;
        if (retryAfter.isPresent()) {
            until = retryAfter(retryAfter.get(), now);
            why = "Retry-After: " + retryAfter.get().strip();
        } else if (exhausted) {
            Optional<Long> reset = r.headers().firstValue("X-RateLimit-Reset").flatMap(GitHubHttp::longValue);
            until = reset.map(Instant::ofEpochSecond).filter(now::isBefore).orElse(now.plus(DEFAULT_BACKOFF));
            why = "X-RateLimit-Remaining: 0" + reset.map(s -> ", X-RateLimit-Reset: " + s).orElse("");
        } else if (r.statusCode() == 429 || body.toLowerCase(Locale.ROOT).contains("rate limit")) {
            until = now.plus(DEFAULT_BACKOFF);
            why = "no reset time given; waiting " + DEFAULT_BACKOFF.toMinutes() + " min";
        } else {
            return Optional.empty(); // a plain 403: permissions, not a limit
        }
        until = until.truncatedTo(ChronoUnit.SECONDS);
        blockedUntil = until;
        return Optional.of(new ReleaseSourceException("GitHub rate limit reached for " + settings.repository()
                + " (HTTP " + r.statusCode() + ", " + why + "); retry after " + until, true));
    }

    private static Instant retryAfter(String value, Instant now) {
        Optional<Long> seconds = longValue(value);
        if (seconds.isPresent()) {
            return now.plusSeconds(Math.max(0, seconds.get()));
        }
        try {
            return ZonedDateTime.parse(value.strip(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            return now.plus(DEFAULT_BACKOFF);
        }
    }

    private static Optional<Long> longValue(String s) {
        try {
            return Optional.of(Long.parseLong(s.strip()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private void expectOk(HttpResponse<InputStream> r, URI url) throws ReleaseSourceException {
        if (r.statusCode() != 200) {
            throw failure(r.statusCode(), new String(readQuietly(r, 4096), StandardCharsets.UTF_8), url);
        }
    }

    private ReleaseSourceException failure(int status, String body, URI url) {
        String detail = githubMessage(body).map(m -> ": " + m).orElse("");
        String what = strip(url);
        return switch (status) {
            case 401 -> new ReleaseSourceException("GitHub refused the token for " + settings.repository()
                    + " (401" + detail + "); check the token key", false);
            case 403 -> new ReleaseSourceException("GitHub denied access to " + what + " (403" + detail
                    + "); a private repository needs a token with read access to its contents", false);
            case 404 -> new ReleaseSourceException(isApiOrigin(url)
                    ? "GitHub has no " + what + " (404" + detail + "): check the repository key; a private repository "
                            + "also needs a token"
                    : what + " was not found (404)", false);
            default -> new ReleaseSourceException("GitHub answered " + what + " with HTTP " + status + detail,
                    status >= 500 || status == 408 || status == 429);
        };
    }

    private Optional<String> githubMessage(String body) {
        try {
            JsonNode m = json.readTree(body).path("message");
            return m.isTextual() ? Optional.of(m.asText()) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static Optional<URI> nextLink(HttpResponse<?> r, URI base) {
        for (String header : r.headers().allValues("Link")) {
            Matcher m = LINK.matcher(header);
            while (m.find()) {
                Matcher rel = REL.matcher(m.group(2));
                while (rel.find()) {
                    for (String value : rel.group(1).strip().split("\\s+")) {
                        if (value.equalsIgnoreCase("next")) {
                            try {
                                return Optional.of(base.resolve(m.group(1).strip()));
                            } catch (IllegalArgumentException e) {
                                return Optional.empty();
                            }
                        }
                    }
                }
            }
        }
        return Optional.empty();
    }

    /**
     * A listing, checksum file or signature, at most {@code maxBytes}, at the minimum average rate of
     * {@link PacedInputStream} (4 KiB/s after 30 s): a server that trickles must not hold the sync.
     */
    private static byte[] read(HttpResponse<InputStream> r, int maxBytes, URI url) throws ReleaseSourceException {
        try (InputStream in = PacedInputStream.of(r.body(), PacedInputStream.DEFAULT_MIN_BYTES_PER_SECOND,
                PacedInputStream.DEFAULT_GRACE, strip(url))) {
            byte[] bytes = in.readNBytes(maxBytes + 1);
            if (bytes.length > maxBytes) {
                throw new ReleaseSourceException(strip(url) + " is larger than " + maxBytes + " bytes; refused", false);
            }
            return bytes;
        } catch (PacedInputStream.TooSlowException e) {
            throw new ReleaseSourceException(e.getMessage(), true, e);
        } catch (IOException e) {
            throw new ReleaseSourceException("reading " + strip(url) + " failed: " + e, true, e);
        }
    }

    private static byte[] readQuietly(HttpResponse<InputStream> r, int maxBytes) {
        try (InputStream in = PacedInputStream.of(r.body(), PacedInputStream.DEFAULT_MIN_BYTES_PER_SECOND,
                PacedInputStream.DEFAULT_GRACE, "an error answer")) {
            return in.readNBytes(maxBytes);
        } catch (IOException e) {
            return new byte[0];
        }
    }

    private static void close(HttpResponse<InputStream> r) {
        try {
            r.body().close();
        } catch (IOException e) {
            // nothing to do: the connection is dropped
        }
    }

    /** The URL without its query: download URLs can carry signatures that have no place in messages. */
    static String strip(URI u) {
        return u.getScheme() + "://" + u.getRawAuthority() + Objects.requireNonNullElse(u.getRawPath(), "");
    }
}
