package io.printmaster.releasesource.github.impl;

import io.printmaster.api.release.AssetNamePattern;
import io.printmaster.api.release.ChecksumFile;

import com.fasterxml.jackson.databind.JsonNode;
import io.printmaster.api.plugin.PluginName;
import io.printmaster.api.release.Channel;
import io.printmaster.api.release.Checksum;
import io.printmaster.api.release.Release;
import io.printmaster.api.release.ReleaseAsset;
import io.printmaster.api.release.ReleasePage;
import io.printmaster.api.release.ReleaseSource;
import io.printmaster.api.release.ReleaseSourceException;
import io.printmaster.api.release.ReleaseSourceType;
import io.printmaster.api.release.Refusal;
import io.printmaster.api.release.Skipped;
import io.printmaster.api.release.TagPattern;
import io.printmaster.api.platform.ComponentName;
import io.printmaster.upstream.signatures.UpstreamPublicKey;
import io.printmaster.upstream.signatures.UpstreamSignatures;
import java.io.IOException;
import java.nio.file.Path;
import io.printmaster.api.version.SemanticVersion;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Releases of one GitHub repository, through the GitHub REST API ({@code GET /repos/{owner}/{repo}/releases}).
 * One instance per factory configuration of PID {@value #FACTORY_PID}
 * ({@code etc/io.printmaster.releasesource.github-<name>.cfg}, or {@code POST /api/v1/release-sources} with type
 * {@code github}). Keys:
 * <table>
 * <caption>configuration</caption>
 * <tr><th>key</th><th>default</th><th>meaning</th></tr>
 * <tr><td>{@code name}</td><td>the repository</td><td>display name of this source</td></tr>
 * <tr><td>{@code api_url}</td><td>{@code https://api.github.com}</td><td>REST API root (GitHub Enterprise:
 *     {@code https://ghe.example.com/api/v3}); http only for loopback hosts when a token is set</td></tr>
 * <tr><td>{@code repository}</td><td>(required)</td><td>{@code owner/name}</td></tr>
 * <tr><td>{@code token} (or {@code .token})</td><td>none</td><td>bearer token (fine-grained, read-only
 *     "Contents"); sent only to the API's origin, never logged. Declarative Services publishes every configuration
 *     property as a service property except those whose key starts with a dot, so configurations should store it
 *     as {@code .token}; {@code token} is read too</td></tr>
 * <tr><td>{@code asset_pattern}</td><td>{@value AssetNamePattern#DEFAULT}</td><td>asset file names; see
 *     {@link AssetNamePattern}</td></tr>
 * <tr><td>{@code include_prereleases}</td><td>{@code false}</td><td>also list releases on the beta and alpha
 *     channels</td></tr>
 * <tr><td>{@code tag_pattern}</td><td>{@value TagPattern#DEFAULT}</td><td>how tags name the version and, in a
 *     monorepo, the component; see {@link TagPattern}</td></tr>
 * <tr><td>{@code upstream_public_key}</td><td>none</td><td>a minisign public key or an {@code ssh-ed25519} line;
 *     every asset must then have a valid {@code <asset>.minisig} / {@code <asset>.sig} in its release
 *     ({@link #verify})</td></tr>
 * </table>
 *
 * <p>Mapping: the tag, read with {@code tag_pattern}, is the version, and names the component in a monorepo
 * ({@code agent-v1.2.0}); an asset of another component in such a release is refused
 * ({@link Refusal#COMPONENT_MISMATCH}). Drafts, tags no alternative matches, excluded pre-releases, assets whose
 * names do not match {@code asset_pattern} or name another version are skipped, each reported on the page with its
 * reason ({@link Skipped}). A release marked pre-release is on the beta channel, or alpha when its version says so
 * ({@link Channel#forVersion}); an unmarked release whose version is a pre-release ({@code v2.0.0-rc.1}) takes the
 * channel of its version. The body is the release notes. Checksum files ({@code SHA256SUMS}, {@code *.sha256},
 * {@code checksums.txt}) are read by {@link #upstreamChecksum} for assets without a GitHub {@code digest}, and
 * signature files ({@code *.minisig}, {@code *.sig}) by {@link #verify}; neither is listed. Without a token, assets
 * are fetched from their {@code browser_download_url}; with one, from the API asset URL (the only way for private
 * repositories), and the token never follows the redirect to the storage host. On GitHub Enterprise Server both
 * live on the API's origin; see {@link #isOurs} for which URLs this source opens.
 *
 * <p>Pages hold {@value #PER_PAGE} releases; the page token is GitHub's {@code rel="next"} URL. Every API request is
 * conditional ({@code If-None-Match}) once a page was seen, so an unchanged repository costs no rate limit. When
 * GitHub says the limit is reached, calls fail fast with a retryable {@link ReleaseSourceException} naming the
 * time to retry, without contacting GitHub again before then.
 *
 * <p>Invalid configuration: the service is registered all the same (failing the activation would leave a service
 * that cannot be obtained and mark the server unhealthy for an admin's typo); it logs an error naming the key when
 * the configuration arrives, and every {@link #releases} call fails with a non-retryable
 * {@link ReleaseSourceException} carrying the same message, so the intake shows it next to the source. It declines
 * (empty) to open assets or give checksums meanwhile.
 */
@Component(service = ReleaseSource.class, configurationPid = GitHubReleaseSource.FACTORY_PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE,
        // activated when its configuration arrives, so a configuration error is logged at once, not on first use
        immediate = true,
        // built-in: a vendor's source of the same type wins
        property = "service.ranking:Integer=-100")
@Designate(ocd = GitHubReleaseSource.Config.class, factory = true)
@ReleaseSourceType(type = "github")
@PluginName("GitHub releases")
public class GitHubReleaseSource implements ReleaseSource {
    /** Factory PID of the configurations, one per repository. */
    public static final String FACTORY_PID = "io.printmaster.releasesource.github";
    /** The token under a private key, which Declarative Services does not publish as a service property. */
    public static final String PRIVATE_TOKEN = ".token";
    static final int PER_PAGE = 30;
    static final int MAX_CHECKSUM_FILE_BYTES = 1024 * 1024;
    /** How long a fetched checksum file is trusted before it is read again (a maintainer may fix a wrong one). */
    static final Duration CHECKSUM_FILE_TTL = Duration.ofMinutes(5);

    private static final System.Logger LOG = System.getLogger(GitHubReleaseSource.class.getName());

    /**
     * The configuration keys (DS name mapping: a double underscore is one underscore in the key, so
     * {@code api__url()} is {@code api_url}).
     */
    @ObjectClassDefinition(name = "PrintMaster release source: GitHub Releases",
            description = "Lists the releases of a GitHub repository and fetches their assets.")
    public @interface Config {
        @AttributeDefinition(name = "Name", required = false, description = "Display name of this source; "
                + "the repository when empty.")
        String name() default "";

        @AttributeDefinition(name = "API URL", description = "The GitHub REST API root; for GitHub Enterprise "
                + "Server https://<host>/api/v3.")
        String api__url() default GitHubSettings.DEFAULT_API_URL;

        @AttributeDefinition(name = "Repository", description = "owner/name, such as acme/printmaster.")
        String repository() default "";

        @AttributeDefinition(name = "Token", type = AttributeType.PASSWORD, required = false,
                description = "Bearer token with read access to the repository's contents; needed for private "
                        + "repositories and higher rate limits. Sent only to the API URL's host; never logged.")
        String token() default "";

        @AttributeDefinition(name = "Asset name pattern", description = "Placeholders {component}, {version}, "
                + "{os}, {arch} (or {platform}) and {ext}; assets that do not match are ignored.")
        String asset__pattern() default AssetNamePattern.DEFAULT;

        @AttributeDefinition(name = "Include pre-releases", description = "Also list pre-releases (beta and "
                + "alpha channels).")
        boolean include__prereleases() default false;

        @AttributeDefinition(name = "Tag pattern", description = "How release tags name the version and, in a "
                + "monorepo, the component: alternatives separated by '|', placeholders {version} and {component}.")
        String tag__pattern() default TagPattern.DEFAULT;

        @AttributeDefinition(name = "Upstream public key", required = false, description = "A minisign public key "
                + "(the base64 line of its .pub) or an 'ssh-ed25519 AAAA…' line: every asset must then have a valid "
                + "<asset>.minisig or <asset>.sig (ssh-keygen -Y sign -n file) beside it, or it is refused.")
        String upstream__public__key() default "";
    }

    /** A checksum file published with a release. */
    private record ChecksumFileRef(String name, URI url) {
    }

    private record FetchedChecksums(Map<String, Checksum> entries, Instant fetchedAt) {
    }

    /** The outcome of reading a configuration: settings, or why there are none. */
    private record Configuration(GitHubSettings settings, String error, String displayName) {
    }

    /** Null when the configuration is invalid; then {@link #configurationError} says why. */
    private final GitHubSettings settings;
    private final String configurationError;
    private final String displayName;
    private final GitHubHttp http;
    private final Clock clock;
    private final URI firstPage;
    /** For each listed asset (by download URL): the checksum files of its release. */
    private final Map<URI, List<ChecksumFileRef>> checksumFilesByAsset = new ConcurrentHashMap<>();
    private final Map<URI, FetchedChecksums> checksumFiles = new ConcurrentHashMap<>();
    private final PublishedSignatures signatures = new PublishedSignatures();

    @Activate
    public GitHubReleaseSource(Config config, Map<String, Object> properties) {
        this(configuration(config, properties), Clock.systemUTC());
        if (settings != null) {
            LOG.log(Level.INFO, () -> "GitHub release source '" + settings.name() + "' lists " + settings.repository()
                    + " at " + settings.apiUrl() + (settings.token().isPresent() ? " with a token" : " without a token"));
        } else {
            LOG.log(Level.ERROR, "GitHub release source '" + displayName + "' cannot list anything: " + configurationError);
        }
    }

    GitHubReleaseSource(GitHubSettings settings, Clock clock) {
        this(new Configuration(settings, null, settings.name()), clock);
    }

    private GitHubReleaseSource(Configuration configuration, Clock clock) {
        this.settings = configuration.settings();
        this.configurationError = configuration.error();
        this.displayName = configuration.displayName();
        this.clock = clock;
        this.http = settings == null ? null : new GitHubHttp(settings, clock);
        this.firstPage = settings == null ? null : URI.create(settings.apiUrl() + "/repos/" + settings.owner() + "/"
                + settings.repo() + "/releases?per_page=" + PER_PAGE);
    }

    private static Configuration configuration(Config config, Map<String, Object> properties) {
        try {
            // ".token" is the private spelling: Declarative Services copies every configuration property into the
            // service properties except those starting with '.', so a token stored under "token" is visible in the
            // service registry; whoever writes the configuration should prefer ".token"
            String token = config.token().isBlank() && properties.get(PRIVATE_TOKEN) != null
                    ? properties.get(PRIVATE_TOKEN).toString() : config.token();
            GitHubSettings settings = GitHubSettings.from(config.name(), config.api__url(), config.repository(), token,
                    config.asset__pattern(), properties.get("include_prereleases"), config.tag__pattern(),
                    config.upstream__public__key());
            return new Configuration(settings, null, settings.name());
        } catch (IllegalArgumentException e) {
            return new Configuration(null, "invalid configuration: " + e.getMessage(), displayName(config, properties));
        }
    }

    private static String displayName(Config config, Map<String, Object> properties) {
        for (Object candidate : new Object[] {config.name(), config.repository(), properties.get("service.pid")}) {
            if (candidate != null && !candidate.toString().isBlank()) {
                return candidate.toString();
            }
        }
        return "(unnamed)";
    }

    /** Every listing fails the same way while the configuration is invalid: the intake shows why. */
    private void requireValidConfiguration() throws ReleaseSourceException {
        if (settings == null) {
            throw new ReleaseSourceException("GitHub release source '" + displayName + "': " + configurationError
                    + "; fix its configuration", false);
        }
    }

    @Override
    public ReleasePage releases(Optional<String> pageToken) throws ReleaseSourceException {
        requireValidConfiguration();
        URI url = pageToken.isPresent() ? pageUrl(pageToken.get()) : firstPage;
        GitHubHttp.JsonAnswer answer = http.getJson(url);
        if (!answer.body().isArray()) {
            throw new ReleaseSourceException("GitHub answered " + GitHubHttp.strip(url)
                    + " with something other than a list of releases", false);
        }
        Listing listing = new Listing();
        for (JsonNode node : answer.body()) {
            toRelease(node, listing).ifPresent(listing.releases::add);
        }
        return new ReleasePage(listing.releases, answer.next().map(URI::toString), listing.skipped, listing.refused);
    }

    /** What one page yields: the releases listed, and what was skipped or refused on the way, with reasons. */
    private static final class Listing {
        final List<Release> releases = new ArrayList<>();
        final List<Skipped> skipped = new ArrayList<>();
        final List<Refusal> refused = new ArrayList<>();
    }

    /** A page token is a next-page URL GitHub gave; anything pointing elsewhere is refused (it would get the token). */
    private URI pageUrl(String token) throws ReleaseSourceException {
        try {
            URI url = new URI(token);
            if (http.isApiOrigin(url)) {
                return url;
            }
        } catch (java.net.URISyntaxException e) {
            // refused below
        }
        throw new ReleaseSourceException("page token '" + token + "' is not a page of " + settings.apiUrl(), false);
    }

    private Optional<Release> toRelease(JsonNode node, Listing listing) {
        String tag = node.path("tag_name").asText("");
        String releaseId = tag.isBlank() ? "(release " + node.path("id").asText("?") + " without a tag)" : tag;
        if (node.path("draft").asBoolean(false)) {
            listing.skipped.add(Skipped.release(releaseId, Skipped.DRAFT, "a draft release: not published yet"));
            return Optional.empty();
        }
        Optional<TagPattern.Parsed> parsed = settings.tagPattern().parse(tag);
        if (parsed.isEmpty()) {
            listing.skipped.add(Skipped.release(releaseId, Skipped.TAG_NOT_A_VERSION, "tag '" + tag
                    + "' matches no alternative of tag_pattern '" + settings.tagPattern() + "'"));
            return Optional.empty();
        }
        SemanticVersion version = parsed.get().version();
        Optional<ComponentName> tagComponent = parsed.get().component();
        Channel channel = channel(node.path("prerelease").asBoolean(false), version);
        if (channel != Channel.STABLE && !settings.includePrereleases()) {
            listing.skipped.add(Skipped.release(releaseId, Skipped.PRERELEASE_EXCLUDED, "a pre-release (channel "
                    + channel.wireName() + ") while include_prereleases is false"));
            return Optional.empty();
        }
        List<ReleaseAsset> assets = new ArrayList<>();
        List<ChecksumFileRef> checksumRefs = new ArrayList<>();
        List<PublishedSignatures.Ref> signatureRefs = new ArrayList<>();
        for (JsonNode a : node.path("assets")) {
            String name = a.path("name").asText("");
            // "open" assets are uploads in progress: their bytes are not there yet
            if (name.isEmpty() || !a.path("state").asText("uploaded").equals("uploaded")) {
                continue;
            }
            Optional<URI> url = downloadUrl(a);
            if (url.isEmpty()) {
                continue;
            }
            if (ChecksumFile.isChecksumFileName(name)) {
                checksumRefs.add(new ChecksumFileRef(name, url.get()));
                continue;
            }
            if (PublishedSignatures.isSignatureFileName(name)) {
                signatureRefs.add(new PublishedSignatures.Ref(name, url.get()));
                continue;
            }
            toAsset(a, name, url.get(), version, channel, tag, tagComponent, listing).ifPresent(assets::add);
        }
        List<ChecksumFileRef> refs = List.copyOf(checksumRefs);
        assets.forEach(asset -> checksumFilesByAsset.put(asset.downloadUrl(), refs));
        signatures.listed(assets, signatureRefs);
        String body = node.path("body").asText("");
        return Optional.of(new Release(tag, version, channel, GitHubJson.instant(node.path("published_at")),
                body.isBlank() ? Optional.empty() : Optional.of(body), assets));
    }

    static Channel channel(boolean markedPrerelease, SemanticVersion version) {
        Channel byVersion = Channel.forVersion(version);
        if (markedPrerelease) {
            return byVersion == Channel.ALPHA ? Channel.ALPHA : Channel.BETA;
        }
        return byVersion;
    }

    /**
     * The asset of a listed release, or empty when it is skipped (its name does not match, or names another version)
     * or refused (the tag names another component: {@link Refusal#COMPONENT_MISMATCH}).
     */
    private Optional<ReleaseAsset> toAsset(JsonNode a, String name, URI url, SemanticVersion version, Channel channel,
                                           String tag, Optional<ComponentName> tagComponent, Listing listing) {
        Optional<AssetNamePattern.Parsed> parsed = settings.assetPattern().parse(name);
        if (parsed.isEmpty()) {
            listing.skipped.add(Skipped.asset(tag, name, Skipped.ASSET_NAME_NOT_MATCHED, "asset " + name
                    + " does not match asset_pattern '" + settings.assetPattern() + "'"));
            return Optional.empty();
        }
        AssetNamePattern.Parsed p = parsed.get();
        if (p.version().isPresent() && !p.version().get().equals(version)) {
            listing.skipped.add(Skipped.asset(tag, name, Skipped.ASSET_NOT_OF_RELEASE, "asset " + name + " names version "
                    + p.version().get() + ", not the release's " + version));
            return Optional.empty();
        }
        long size = a.path("size").asLong(-1);
        ReleaseAsset asset;
        try {
            asset = new ReleaseAsset(name, p.component(), version, p.platform(), p.format(), channel,
                    size >= 0 ? OptionalLong.of(size) : OptionalLong.empty(), url, GitHubJson.digest(a.path("digest")));
        } catch (IllegalArgumentException e) {
            listing.skipped.add(Skipped.asset(tag, name, Skipped.ASSET_NAME_NOT_MATCHED, "asset " + name
                    + " cannot be read: " + e.getMessage()));
            return Optional.empty();
        }
        if (tagComponent.isPresent() && !tagComponent.get().equals(p.component())) {
            listing.refused.add(new Refusal(asset, Refusal.COMPONENT_MISMATCH, "tag " + tag + " is a release of "
                    + tagComponent.get().value() + ", but asset " + name + " is named as " + p.component().value()));
            return Optional.empty();
        }
        return Optional.of(asset);
    }

    /** With a token, the API asset URL (private repositories need it); otherwise the public download URL. */
    private Optional<URI> downloadUrl(JsonNode asset) {
        String api = asset.path("url").asText("");
        String browser = asset.path("browser_download_url").asText("");
        String chosen = settings.token().isPresent() && !api.isEmpty() ? api : browser;
        try {
            return chosen.isEmpty() ? Optional.empty() : Optional.of(new URI(chosen));
        } catch (java.net.URISyntaxException e) {
            return Optional.empty();
        }
    }

    /**
     * Assets of the configured repository only: API asset URLs ({@code <api_url>/repos/<owner>/<repo>/releases/
     * assets/<id>}) on the API's origin, and release download URLs ({@code /<owner>/<repo>/releases/download/…}) on
     * the API's origin (GitHub Enterprise Server serves both from one host), on GitHub's download origin
     * ({@code https://github.com} for {@code api.github.com}), or on another host when this source's listing named
     * exactly that URL (the API said so). Anything else, another repository's path or a host nobody named, is not
     * ours, and neither is a path with dot segments or encoded separators, which could leave the repository's.
     */
    private boolean isOurs(ReleaseAsset asset) {
        URI u = asset.downloadUrl();
        String rawPath = u.getRawPath() == null ? "" : u.getRawPath();
        String lower = rawPath.toLowerCase(Locale.ROOT);
        if (u.getRawUserInfo() != null || u.getHost() == null || lower.contains("%2f") || lower.contains("%5c")
                || lower.contains("%2e") || !u.normalize().getRawPath().equals(rawPath)) {
            return false;
        }
        String repoPath = ("/" + settings.owner() + "/" + settings.repo() + "/").toLowerCase(Locale.ROOT);
        boolean releaseDownload = lower.startsWith(repoPath + "releases/download/");
        if (http.isApiOrigin(u)) {
            String apiAssets = URI.create(settings.apiUrl() + "/repos" + repoPath + "releases/assets/").getRawPath();
            return lower.startsWith(apiAssets.toLowerCase(Locale.ROOT)) || releaseDownload;
        }
        return releaseDownload && (isGitHubDownloadOrigin(u) || checksumFilesByAsset.containsKey(u));
    }

    /**
     * {@link #isOurs}, asking the API when the asset's URL is a release download of the repository on a host this
     * instance has not listed yet (after a restart, the listing is not in memory): the release is looked up by its
     * tag, and the URL is ours when the API names it.
     */
    private boolean isOursAskingTheApi(ReleaseAsset asset) throws ReleaseSourceException {
        if (isOurs(asset)) {
            return true;
        }
        String path = asset.downloadUrl().getRawPath() == null ? "" : asset.downloadUrl().getRawPath();
        String repoPath = ("/" + settings.owner() + "/" + settings.repo() + "/releases/download/").toLowerCase(Locale.ROOT);
        if (!path.toLowerCase(Locale.ROOT).startsWith(repoPath) || checksumFilesByAsset.containsKey(asset.downloadUrl())) {
            return false;
        }
        checksumFilesOfRelease(asset);
        return isOurs(asset);
    }

    /** {@code https://github.com}, where {@code api.github.com}'s releases are downloaded from. */
    private boolean isGitHubDownloadOrigin(URI u) {
        return settings.apiUrl().getHost().equalsIgnoreCase("api.github.com")
                && "https".equalsIgnoreCase(u.getScheme()) && "github.com".equalsIgnoreCase(u.getHost())
                && (u.getPort() == -1 || u.getPort() == 443);
    }

    @Override
    public Optional<InputStream> open(ReleaseAsset asset) throws ReleaseSourceException {
        if (settings == null || !isOursAskingTheApi(asset)) {
            return Optional.empty();
        }
        return Optional.of(http.download(asset.downloadUrl()));
    }

    /** Resumes an interrupted download with an HTTP range request; empty when the server ignores ranges. */
    @Override
    public Optional<InputStream> open(ReleaseAsset asset, long offset) throws ReleaseSourceException {
        if (settings == null || offset < 1 || !isOursAskingTheApi(asset)) {
            return Optional.empty();
        }
        return http.downloadFrom(asset.downloadUrl(), offset);
    }

    /**
     * The asset's GitHub {@code digest} when it has one; otherwise its entry in a checksum file of its release: a
     * {@code <asset>.sha256} first, then lists ({@code SHA256SUMS}, {@code checksums.txt}). Empty when none lists
     * it.
     */
    @Override
    public Optional<Checksum> upstreamChecksum(ReleaseAsset asset) throws ReleaseSourceException {
        if (asset.upstreamSha256().isPresent() || settings == null || !isOursAskingTheApi(asset)) {
            return asset.upstreamSha256();
        }
        List<ChecksumFileRef> refs = checksumFilesByAsset.get(asset.downloadUrl());
        if (refs == null) {
            refs = checksumFilesOfRelease(asset);
        }
        List<ChecksumFileRef> ordered = new ArrayList<>(refs);
        // a file about this asset alone first; then lists
        ordered.sort(Comparator.comparing(r -> !ChecksumFile.subjectOf(r.name()).map(asset.name()::equals).orElse(false)));
        for (ChecksumFileRef ref : ordered) {
            Optional<String> subject = ChecksumFile.subjectOf(ref.name());
            if (subject.isPresent() && !subject.get().equals(asset.name())) {
                continue; // the checksum of another asset
            }
            Checksum found = checksums(ref).get(asset.name());
            if (found != null) {
                return Optional.of(found);
            }
        }
        return Optional.empty();
    }

    /**
     * After a restart the listing is not in memory: look the release up by each tag {@code tag_pattern} would give
     * it ({@code v1.2.3}, {@code 1.2.3}, {@code agent-v1.2.3}).
     */
    private List<ChecksumFileRef> checksumFilesOfRelease(ReleaseAsset asset) throws ReleaseSourceException {
        for (String tag : settings.tagPattern().tagsFor(asset.component(), asset.version())) {
            URI url = URI.create(settings.apiUrl() + "/repos/" + settings.owner() + "/" + settings.repo()
                    + "/releases/tags/" + tag);
            Optional<GitHubHttp.JsonAnswer> answer = http.findJson(url);
            if (answer.isPresent()) {
                toRelease(answer.get().body(), new Listing());
                return checksumFilesByAsset.getOrDefault(asset.downloadUrl(), List.of());
            }
        }
        return List.of();
    }

    private Map<String, Checksum> checksums(ChecksumFileRef ref) throws ReleaseSourceException {
        Instant now = clock.instant();
        FetchedChecksums cached = checksumFiles.get(ref.url());
        if (cached != null && cached.fetchedAt().plus(CHECKSUM_FILE_TTL).isAfter(now)) {
            return cached.entries();
        }
        checksumFiles.values().removeIf(f -> !f.fetchedAt().plus(CHECKSUM_FILE_TTL).isAfter(now));
        Map<String, Checksum> entries = ChecksumFile.parse(http.downloadText(ref.url(), MAX_CHECKSUM_FILE_BYTES),
                ChecksumFile.subjectOf(ref.name()));
        checksumFiles.put(ref.url(), new FetchedChecksums(Map.copyOf(entries), now));
        return entries;
    }

    /**
     * With {@code upstream_public_key} set, the asset must have a valid signature of that key beside it
     * ({@code <asset>.minisig} for a minisign key, {@code <asset>.sig} for an SSH key); anything else is refused
     * with {@link Refusal#SIGNATURE_INVALID}. Without a key, every asset passes.
     */
    @Override
    public Optional<Refusal> verify(ReleaseAsset asset, Path file) throws ReleaseSourceException {
        if (settings == null || settings.upstreamKey().isEmpty()) {
            return Optional.empty();
        }
        UpstreamPublicKey key = settings.upstreamKey().get();
        String expected = key.signatureFileFor(asset.name());
        if (!signatures.knows(asset) && isOursAskingTheApi(asset)) {
            checksumFilesOfRelease(asset); // after a restart: the listing (and its signature files) again
        }
        Optional<PublishedSignatures.Ref> signature = signatures.find(asset, expected);
        if (signature.isEmpty()) {
            return Optional.of(new Refusal(asset, Refusal.SIGNATURE_INVALID, "upstream_public_key is set, but the release "
                    + "has no " + expected + " beside " + asset.name()));
        }
        byte[] signatureBytes = http.downloadBytes(signature.get().url(), UpstreamSignatures.MAX_SIGNATURE_BYTES);
        Optional<String> problem;
        try {
            problem = UpstreamSignatures.check(key, file, signatureBytes);
        } catch (IOException e) {
            throw new ReleaseSourceException("cannot read the downloaded " + asset.name() + ": " + e.getMessage(), true, e);
        }
        return problem.map(p -> new Refusal(asset, Refusal.SIGNATURE_INVALID, expected + ": " + p));
    }

    @Override
    public String toString() {
        return settings == null ? "GitHubReleaseSource[" + displayName + ", " + configurationError + "]"
                : "GitHubReleaseSource[" + settings.name() + ", " + settings.repository() + " at " + settings.apiUrl() + "]";
    }
}
