package io.printmaster.releasesource.github.impl;

import io.printmaster.api.release.AssetNamePattern;
import io.printmaster.api.release.TagPattern;
import io.printmaster.upstream.signatures.UpstreamPublicKey;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The validated configuration of one GitHub release source. Every problem is reported as an
 * {@link IllegalArgumentException} whose message starts with the offending configuration key.
 *
 * @param name               display name (the {@code name} key, else the repository)
 * @param apiUrl             the REST API root without a trailing slash ({@code https://api.github.com})
 * @param owner              repository owner
 * @param repo               repository name
 * @param token              bearer token; never logged, never in {@link #toString()}
 * @param assetPattern       how asset names map to component, version, platform and format
 * @param includePrereleases whether releases on a channel other than stable are listed
 * @param tagPattern         how tags map to version and component ({@code tag_pattern})
 * @param upstreamKey        the key every asset must carry a valid signature of ({@code upstream_public_key})
 */
record GitHubSettings(String name, URI apiUrl, String owner, String repo, Optional<String> token,
                      AssetNamePattern assetPattern, boolean includePrereleases, TagPattern tagPattern,
                      Optional<UpstreamPublicKey> upstreamKey) {

    static final String DEFAULT_API_URL = "https://api.github.com";

    // GitHub: owners are letters, digits and single hyphens; repositories letters, digits, '.', '_' and '-'
    private static final Pattern REPOSITORY = Pattern.compile("([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/([A-Za-z0-9._-]{1,100})");

    /**
     * @param includePrereleases the raw {@code include_prereleases} value: a Boolean, "true"/"false" (any case),
     *                           or null for the default (false)
     */
    static GitHubSettings from(String name, String apiUrl, String repository, String token, String assetPattern,
                               Object includePrereleases) {
        return from(name, apiUrl, repository, token, assetPattern, includePrereleases, null, null);
    }

    /**
     * @param tagPattern  the raw {@code tag_pattern}; null or blank for {@link TagPattern#DEFAULT}
     * @param upstreamKey the raw {@code upstream_public_key}; null or blank for none (signatures are not checked)
     */
    static GitHubSettings from(String name, String apiUrl, String repository, String token, String assetPattern,
                               Object includePrereleases, String tagPattern, String upstreamKey) {
        URI api = apiUrl(apiUrl);
        String repositoryText = repository == null ? "" : repository.strip();
        var m = REPOSITORY.matcher(repositoryText);
        if (!m.matches() || m.group(2).equals(".") || m.group(2).equals("..")) {
            throw new IllegalArgumentException(repositoryText.isEmpty()
                    ? "repository: required, as owner/name (such as acme/printmaster)"
                    : "repository: '" + repositoryText + "' is not owner/name (such as acme/printmaster)");
        }
        Optional<String> tokenValue = Optional.ofNullable(token).map(String::strip).filter(t -> !t.isEmpty());
        if (tokenValue.isPresent()) {
            if (!tokenValue.get().chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                // never echo the value: it is a secret
                throw new IllegalArgumentException("token: must be printable ASCII without blanks");
            }
            if (api.getScheme().equals("http") && !isLoopback(api.getHost())) {
                throw new IllegalArgumentException("token: refusing to send a token over plain http to " + api.getHost()
                        + " (api_url); use https");
            }
        }
        AssetNamePattern pattern;
        try {
            pattern = AssetNamePattern.compile(assetPattern == null || assetPattern.isBlank()
                    ? AssetNamePattern.DEFAULT : assetPattern.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("asset_pattern: " + e.getMessage(), e);
        }
        TagPattern tags;
        try {
            tags = TagPattern.compile(tagPattern == null || tagPattern.isBlank() ? TagPattern.DEFAULT : tagPattern.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tag_pattern: " + e.getMessage(), e);
        }
        Optional<UpstreamPublicKey> key;
        try {
            key = upstreamKey == null || upstreamKey.isBlank() ? Optional.empty()
                    : Optional.of(UpstreamPublicKey.parse(upstreamKey));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("upstream_public_key: " + e.getMessage(), e);
        }
        String displayName = name == null || name.isBlank() ? repositoryText : name.strip();
        return new GitHubSettings(displayName, api, m.group(1), m.group(2), tokenValue, pattern,
                bool("include_prereleases", includePrereleases), tags, key);
    }

    private static URI apiUrl(String text) {
        String t = text == null || text.isBlank() ? DEFAULT_API_URL : text.strip();
        URI uri;
        try {
            uri = new URI(t);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("api_url: '" + t + "' is not a URL: " + e.getReason(), e);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http") || uri.getHost() == null) {
            throw new IllegalArgumentException("api_url: '" + t + "' must be an http(s) URL such as " + DEFAULT_API_URL);
        }
        if (uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("api_url: '" + uri.getHost()
                    + "…' must not carry credentials, a query or a fragment (use the token key for credentials)");
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("/+$", "");
        return URI.create(scheme + "://" + uri.getRawAuthority() + path);
    }

    private static boolean bool(String key, Object value) {
        if (value == null) {
            return false;
        }
        if (value instanceof Boolean b) {
            return b;
        }
        String s = value.toString().strip().toLowerCase(Locale.ROOT);
        if (s.equals("true") || s.equals("false")) {
            return Boolean.parseBoolean(s);
        }
        throw new IllegalArgumentException(key + ": '" + value + "' is not true or false");
    }

    static boolean isLoopback(String host) {
        if (host == null) {
            return false;
        }
        String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        if (h.equalsIgnoreCase("localhost")) {
            return true;
        }
        // only literal addresses: a name is never resolved here
        if (!h.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':')) {
            return false;
        }
        try {
            return InetAddress.getByName(h).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** {@code owner/repo}. */
    String repository() {
        return owner + "/" + repo;
    }

    @Override
    public String toString() {
        return "GitHubSettings[name=" + name + ", api_url=" + apiUrl + ", repository=" + repository()
                + ", token=" + (token.isPresent() ? "(set)" : "(none)") + ", asset_pattern=" + assetPattern
                + ", include_prereleases=" + includePrereleases + ", tag_pattern=" + tagPattern + ", upstream_public_key=" + upstreamKey.map(Object::toString).orElse("(none)") + "]";
    }
}
