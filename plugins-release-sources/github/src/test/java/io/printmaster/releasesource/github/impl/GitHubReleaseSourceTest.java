package io.printmaster.releasesource.github.impl;

import io.printmaster.api.release.AssetNamePattern;
import io.printmaster.api.release.ChecksumFile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.platform.ComponentName;
import io.printmaster.api.platform.Platform;
import io.printmaster.api.release.Channel;
import io.printmaster.api.release.Checksum;
import io.printmaster.api.release.Release;
import io.printmaster.api.release.ReleaseAsset;
import io.printmaster.api.release.ReleasePage;
import io.printmaster.api.release.ReleaseSourceException;
import io.printmaster.api.version.SemanticVersion;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The GitHub source against recorded GitHub answers replayed on loopback; nothing here touches the internet. */
class GitHubReleaseSourceTest {
    static final String TOKEN = "github_pat_11AAAAAAA0testtokenvalue";
    FakeGitHub github;
    MutableClock clock = new MutableClock(Instant.parse("2025-12-02T15:00:00Z"));

    @BeforeEach
    void start() throws Exception {
        github = new FakeGitHub();
    }

    @AfterEach
    void stop() {
        github.close();
    }

    GitHubReleaseSource source(Map<String, Object> extra) {
        Map<String, Object> props = new HashMap<>(Map.of("name", "Acme", "api_url", github.apiUrl(),
                "repository", FakeGitHub.REPOSITORY));
        props.putAll(extra);
        GitHubReleaseSource.Config config = Configs.of(GitHubReleaseSource.Config.class, props);
        GitHubSettings settings = GitHubSettings.from(config.name(), config.api__url(), config.repository(),
                config.token(), config.asset__pattern(), props.get("include_prereleases"));
        return new GitHubReleaseSource(settings, clock);
    }

    GitHubReleaseSource source() {
        return source(Map.of());
    }

    static List<String> versions(ReleasePage page) {
        return page.releases().stream().map(r -> r.version().toString()).toList();
    }

    static Release release(ReleasePage page, String version) {
        return page.releases().stream().filter(r -> r.version().toString().equals(version)).findFirst().orElseThrow();
    }

    static ReleaseAsset asset(Release release, String name) {
        return release.assets().stream().filter(a -> a.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void pagesThroughTheLinkHeaderAndSkipsDraftsPrereleasesAndForeignTags() throws Exception {
        GitHubReleaseSource source = source();
        ReleasePage first = source.releases(Optional.empty());
        // v1.5.0-rc.1 is a pre-release (not included by default), v1.4.1 a draft
        assertEquals(List.of("1.4.0"), versions(first));
        assertEquals(Optional.of(github.apiUrl() + "/repositories/123456789/releases?per_page=30&page=2"),
                first.nextPageToken());

        ReleasePage second = source.releases(first.nextPageToken());
        // the nightly's tag is not a version
        assertEquals(List.of("1.3.0", "1.2.0"), versions(second));
        assertEquals(Optional.empty(), second.nextPageToken(), "rel=prev/first only: the last page");

        List<FakeGitHub.Request> api = github.requests("api");
        assertEquals("/repos/acme/printmaster/releases?per_page=30", api.get(0).pathAndQuery());
        assertEquals("/repositories/123456789/releases?per_page=30&page=2", api.get(1).pathAndQuery());
        for (FakeGitHub.Request r : api) {
            assertEquals(Optional.of("application/vnd.github+json"), r.header("Accept"));
            assertEquals(Optional.of("2022-11-28"), r.header("X-GitHub-Api-Version"));
            assertEquals(Optional.empty(), r.header("Authorization"), "no token configured");
        }
    }

    @Test
    void releaseCarriesTagNotesAndPublicationTime() throws Exception {
        Release r = release(source().releases(Optional.empty()), "1.4.0");
        assertEquals("v1.4.0", r.id());
        assertEquals(Channel.STABLE, r.channel());
        assertEquals(Optional.of(Instant.parse("2025-11-20T10:02:33Z")), r.publishedAt());
        assertTrue(r.notes().orElseThrow().startsWith("## What's new"), r.notes().toString());
        Release noBody = release(source().releases(Optional.of(github.apiUrl()
                + "/repositories/123456789/releases?per_page=30&page=2")), "1.2.0");
        assertEquals(Optional.empty(), noBody.notes(), "a null body is no notes");
    }

    @Test
    void prereleasesAreListedOnTheBetaChannelWhenIncluded() throws Exception {
        GitHubReleaseSource source = source(Map.of("include_prereleases", "true"));
        ReleasePage first = source.releases(Optional.empty());
        assertEquals(List.of("1.5.0-rc.1", "1.4.0"), versions(first));
        Release rc = release(first, "1.5.0-rc.1");
        assertEquals(Channel.BETA, rc.channel());
        assertEquals(Channel.BETA, rc.assets().get(0).channel(), "assets carry their release's channel");
        assertEquals(Channel.STABLE, release(first, "1.4.0").channel());
        assertEquals(List.of("1.3.0", "1.2.0"), versions(source.releases(first.nextPageToken())),
                "a tag that is no version stays skipped even as a pre-release");
    }

    @Test
    void channelFollowsThePrereleaseFlagAndTheVersion() {
        assertEquals(Channel.STABLE, GitHubReleaseSource.channel(false, SemanticVersion.parse("1.0.0")));
        assertEquals(Channel.BETA, GitHubReleaseSource.channel(true, SemanticVersion.parse("1.0.0")));
        assertEquals(Channel.BETA, GitHubReleaseSource.channel(true, SemanticVersion.parse("1.0.0-rc.2")));
        assertEquals(Channel.ALPHA, GitHubReleaseSource.channel(true, SemanticVersion.parse("1.0.0-alpha.1")));
        assertEquals(Channel.BETA, GitHubReleaseSource.channel(false, SemanticVersion.parse("1.0.0-rc.1")),
                "an unmarked release with a pre-release version is not stable");
    }

    @Test
    void assetNamesAreParsedWithThePatternAndOthersIgnored() throws Exception {
        Release r = release(source().releases(Optional.empty()), "1.4.0");
        // SHA256SUMS is a checksum file, the SBOM does not match, the darwin zip is still uploading ("open")
        assertEquals(List.of("printmaster-agent-v1.4.0-linux-amd64.tar.gz", "printmaster-agent-v1.4.0-windows-amd64.msi",
                "printmaster-server-v1.4.0-linux-arm64.zip"), r.assets().stream().map(ReleaseAsset::name).toList());

        ReleaseAsset agent = asset(r, "printmaster-agent-v1.4.0-linux-amd64.tar.gz");
        assertEquals(ComponentName.AGENT, agent.component());
        assertEquals(SemanticVersion.parse("1.4.0"), agent.version());
        assertEquals(Optional.of(Platform.parse("linux-amd64")), agent.platform());
        assertEquals("tar.gz", agent.format());
        assertEquals(OptionalLong.of(FakeGitHub.content(agent.name()).length), agent.size());
        assertEquals(URI.create(github.webUrl() + "/acme/printmaster/releases/download/v1.4.0/" + agent.name()),
                agent.downloadUrl());

        ReleaseAsset msi = asset(r, "printmaster-agent-v1.4.0-windows-amd64.msi");
        assertEquals("msi", msi.format());
        assertEquals(Optional.of(Platform.parse("windows-amd64")), msi.platform());
        ReleaseAsset server = asset(r, "printmaster-server-v1.4.0-linux-arm64.zip");
        assertEquals(ComponentName.SERVER, server.component());
        assertEquals(Optional.of(Platform.parse("linux-arm64")), server.platform());
    }

    @Test
    void aCustomPatternSelectsTheAssetsItDescribes() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> AssetNamePattern.compile("printmaster-server-v{version}.{ext}"),
                "{component} is required");
        // the platform as one placeholder reads the same assets as the default pattern
        GitHubReleaseSource byComponent = source(Map.of("asset_pattern", "printmaster-{component}-v{version}-{platform}.{ext}"));
        assertEquals(3, release(byComponent.releases(Optional.empty()), "1.4.0").assets().size());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> source(Map.of("asset_pattern", "{name}.{ext}")))
                .getMessage().startsWith("asset_pattern: "));
    }

    @Test
    void githubDigestIsTheUpstreamChecksumWithoutAnotherRequest() throws Exception {
        GitHubReleaseSource source = source();
        ReleaseAsset agent = asset(release(source.releases(Optional.empty()), "1.4.0"),
                "printmaster-agent-v1.4.0-linux-amd64.tar.gz");
        Checksum expected = Checksum.sha256(FakeGitHub.sha256(FakeGitHub.content(agent.name())));
        assertEquals(Optional.of(expected), agent.upstreamSha256());
        int before = github.requests().size();
        assertEquals(Optional.of(expected), source.upstreamChecksum(agent));
        assertEquals(before, github.requests().size());
    }

    @Test
    void withoutDigestTheChecksumComesFromTheReleasesChecksumFiles() throws Exception {
        GitHubReleaseSource source = source();
        ReleasePage second = source.releases(source.releases(Optional.empty()).nextPageToken());
        Release old = release(second, "1.3.0");
        ReleaseAsset linux = asset(old, "printmaster-agent-v1.3.0-linux-amd64.tar.gz");
        assertEquals(Optional.empty(), linux.upstreamSha256(), "recorded before GitHub had digests");
        // SHA256SUMS lists dist/<name>: matched by file name
        assertEquals(Optional.of(Checksum.sha256(FakeGitHub.sha256(FakeGitHub.content(linux.name())))),
                source.upstreamChecksum(linux));
        ReleaseAsset darwin = asset(old, "printmaster-agent-v1.3.0-darwin-arm64.zip");
        assertEquals(Optional.of(Checksum.sha256(FakeGitHub.sha256(FakeGitHub.content(darwin.name())))),
                source.upstreamChecksum(darwin));
        assertEquals(1, github.requests("storage").size(), "SHA256SUMS is fetched once for both");
        assertEquals(Optional.empty(), source.upstreamChecksum(asset(old, "printmaster-agent-v1.3.0-windows-amd64.msi")),
                "not in SHA256SUMS: no upstream checksum (the intake refuses it)");

        ReleaseAsset sidecar = asset(release(second, "1.2.0"), "printmaster-agent-v1.2.0-linux-amd64.tar.gz");
        assertEquals(Optional.of(Checksum.sha256(FakeGitHub.sha256(FakeGitHub.content(sidecar.name())))),
                source.upstreamChecksum(sidecar), "<asset>.sha256 holding only the digest");
    }

    @Test
    void afterARestartTheChecksumFilesAreFoundThroughTheReleaseTag() throws Exception {
        GitHubReleaseSource listing = source();
        ReleaseAsset linux = asset(release(listing.releases(listing.releases(Optional.empty()).nextPageToken()), "1.3.0"),
                "printmaster-agent-v1.3.0-linux-amd64.tar.gz");
        GitHubReleaseSource restarted = source();
        assertEquals(Optional.of(Checksum.sha256(FakeGitHub.sha256(FakeGitHub.content(linux.name())))),
                restarted.upstreamChecksum(linux));
        assertTrue(github.requests("api").stream().anyMatch(r -> r.pathAndQuery().equals("/repos/acme/printmaster/releases/tags/v1.3.0")));
    }

    @Test
    void anUnchangedPageIsAskedConditionallyAndReusedOn304() throws Exception {
        GitHubReleaseSource source = source();
        ReleasePage first = source.releases(Optional.empty());
        ReleasePage again = source.releases(Optional.empty());
        assertEquals(first, again);
        List<FakeGitHub.Request> api = github.requests("api");
        assertEquals(2, api.size());
        assertEquals(Optional.empty(), api.get(0).header("If-None-Match"));
        assertTrue(api.get(1).header("If-None-Match").orElseThrow().startsWith("W/\""));
        assertEquals(304, api.get(1).status());
        assertEquals(first.nextPageToken(), again.nextPageToken(), "the Link of the cached page is reused too");
    }

    @Test
    void anExhaustedRateLimitIsRetryableNamesTheResetAndStopsCallingUntilThen() throws Exception {
        GitHubReleaseSource source = source();
        Instant reset = clock.instant().plus(Duration.ofMinutes(20));
        github.override(new FakeGitHub.CannedAnswer(403, FakeGitHub.headers("X-RateLimit-Limit", "60",
                "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", Long.toString(reset.getEpochSecond()),
                "X-RateLimit-Resource", "core", "Content-Type", "application/json; charset=utf-8"),
                "{\"message\":\"API rate limit exceeded for 203.0.113.7. (But here's the good news: Authenticated "
                        + "requests get a higher rate limit.)\",\"documentation_url\":\"https://docs.github.com/rest/"
                        + "overview/resources-in-the-rest-api#rate-limiting\"}"));
        ReleaseSourceException e = assertThrows(ReleaseSourceException.class, () -> source.releases(Optional.empty()));
        assertTrue(e.retryable());
        assertTrue(e.getMessage().contains("retry after " + reset.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)),
                e.getMessage());
        int calls = github.requests().size();

        ReleaseSourceException again = assertThrows(ReleaseSourceException.class, () -> source.releases(Optional.empty()));
        assertTrue(again.retryable());
        assertEquals(calls, github.requests().size(), "no request before the reset: GitHub is not hammered");

        github.override(null);
        clock.advance(Duration.ofMinutes(21));
        assertEquals(List.of("1.4.0"), versions(source.releases(Optional.empty())));
    }

    @Test
    void tooManyRequestsWithRetryAfterWaitsThatLong() throws Exception {
        GitHubReleaseSource source = source();
        github.override(new FakeGitHub.CannedAnswer(429, FakeGitHub.headers("Retry-After", "120"),
                "{\"message\":\"You have exceeded a secondary rate limit.\"}"));
        ReleaseSourceException e = assertThrows(ReleaseSourceException.class, () -> source.releases(Optional.empty()));
        assertTrue(e.retryable());
        assertTrue(e.getMessage().contains("retry after " + clock.instant().plusSeconds(120)), e.getMessage());
    }

    @Test
    void aPlainForbiddenIsNotARateLimit() {
        github.override(new FakeGitHub.CannedAnswer(403, Map.of(), "{\"message\":\"Resource not accessible by integration\"}"));
        ReleaseSourceException e = assertThrows(ReleaseSourceException.class, () -> source().releases(Optional.empty()));
        assertFalse(e.retryable());
        assertTrue(e.getMessage().contains("Resource not accessible by integration"), e.getMessage());
    }

    @Test
    void anUnknownRepositoryIsAPermanentErrorNamingTheKey() {
        ReleaseSourceException e = assertThrows(ReleaseSourceException.class,
                () -> source(Map.of("repository", "acme/nothing")).releases(Optional.empty()));
        assertFalse(e.retryable());
        assertTrue(e.getMessage().contains("repository key") && e.getMessage().contains("/repos/acme/nothing/releases"),
                e.getMessage());
    }

    @Test
    void theTokenGoesToTheApiHostButNotToTheStorageHostItRedirectsTo() throws Exception {
        GitHubReleaseSource source = source(Map.of("token", TOKEN));
        ReleaseAsset agent = asset(release(source.releases(Optional.empty()), "1.4.0"),
                "printmaster-agent-v1.4.0-linux-amd64.tar.gz");
        assertTrue(agent.downloadUrl().toString().startsWith(github.apiUrl() + "/repos/acme/printmaster/releases/assets/"),
                "with a token the API asset URL is used (private repositories need it): " + agent.downloadUrl());
        try (InputStream in = source.open(agent).orElseThrow()) {
            assertArrayEquals(FakeGitHub.content(agent.name()), in.readAllBytes());
        }
        List<FakeGitHub.Request> api = github.requests("api");
        assertTrue(api.stream().allMatch(r -> r.header("Authorization").equals(Optional.of("Bearer " + TOKEN))));
        FakeGitHub.Request assetRequest = api.get(api.size() - 1);
        assertEquals(Optional.of("application/octet-stream"), assetRequest.header("Accept"));
        assertEquals(302, assetRequest.status());
        List<FakeGitHub.Request> storage = github.requests("storage");
        assertEquals(1, storage.size());
        assertEquals(Optional.empty(), storage.get(0).header("Authorization"), "the token never leaves the API host");
        assertFalse(source.toString().contains(TOKEN));
    }

    @Test
    void withoutATokenAssetsComeFromTheirBrowserDownloadUrl() throws Exception {
        GitHubReleaseSource source = source();
        ReleaseAsset msi = asset(release(source.releases(Optional.empty()), "1.4.0"),
                "printmaster-agent-v1.4.0-windows-amd64.msi");
        try (InputStream in = source.open(msi).orElseThrow()) {
            assertArrayEquals(FakeGitHub.content(msi.name()), in.readAllBytes());
        }
        assertEquals(302, github.requests("web").get(0).status());
        assertEquals(200, github.requests("storage").get(0).status());
    }

    @Test
    void resumesADownloadWithARangeRequestThatFollowsTheRedirect() throws Exception {
        GitHubReleaseSource source = source(Map.of("token", TOKEN));
        ReleaseAsset agent = asset(release(source.releases(Optional.empty()), "1.4.0"),
                "printmaster-agent-v1.4.0-linux-amd64.tar.gz");
        byte[] all = FakeGitHub.content(agent.name());
        try (InputStream in = source.open(agent, 7).orElseThrow()) {
            assertArrayEquals(java.util.Arrays.copyOfRange(all, 7, all.length), in.readAllBytes());
        }
        FakeGitHub.Request storage = github.requests("storage").get(0);
        assertEquals(Optional.of("bytes=7-"), storage.header("Range"));
        assertEquals(206, storage.status());
        assertEquals(Optional.empty(), storage.header("Authorization"), "the token never leaves the API host");
        assertTrue(GitHubHttp.startsAt("bytes 7-99/100", 7));
        assertFalse(GitHubHttp.startsAt("bytes 0-99/100", 7), "a range from elsewhere is not a resume");
    }

    @Test
    void declinesAssetsOfOtherSourcesAndPageTokensOfOtherHosts() throws Exception {
        GitHubReleaseSource source = source(Map.of("token", TOKEN));
        ReleaseAsset foreign = new ReleaseAsset("printmaster-agent-v1.4.0-linux-amd64.tar.gz", ComponentName.AGENT,
                SemanticVersion.parse("1.4.0"), Optional.empty(), "tar.gz", Channel.STABLE, OptionalLong.empty(),
                URI.create("https://mirror.example.com/printmaster-agent-v1.4.0-linux-amd64.tar.gz"), Optional.empty());
        assertEquals(Optional.empty(), source.open(foreign));
        assertEquals(Optional.empty(), source.upstreamChecksum(foreign));
        ReleaseSourceException e = assertThrows(ReleaseSourceException.class,
                () -> source.releases(Optional.of("https://evil.example.com/releases?page=2")));
        assertFalse(e.retryable());
        assertTrue(github.requests().isEmpty(), "nothing was sent anywhere");
    }

    @Test
    void activatesFromItsConfigurationAndKeepsTheTokenOutOfToString() throws Exception {
        Map<String, Object> props = Map.of("name", "Acme", "api_url", github.apiUrl() + "/", "repository",
                FakeGitHub.REPOSITORY, "token", TOKEN, "include_prereleases", Boolean.TRUE);
        GitHubReleaseSource source = new GitHubReleaseSource(Configs.of(GitHubReleaseSource.Config.class, props), props);
        assertEquals(List.of("1.5.0-rc.1", "1.4.0"), versions(source.releases(Optional.empty())),
                "trailing slash of api_url dropped, include_prereleases read");
        assertFalse(source.toString().contains(TOKEN));
    }

    @Test
    void theTokenMayBeStoredUnderThePrivateKey() throws Exception {
        Map<String, Object> props = Map.of("api_url", github.apiUrl(), "repository", FakeGitHub.REPOSITORY,
                GitHubReleaseSource.PRIVATE_TOKEN, TOKEN);
        GitHubReleaseSource source = new GitHubReleaseSource(Configs.of(GitHubReleaseSource.Config.class, props), props);
        source.releases(Optional.empty());
        assertEquals(Optional.of("Bearer " + TOKEN), github.requests("api").get(0).header("Authorization"));
    }

    @Test
    void anInvalidConfigurationIsReportedOnEveryListingNamingTheKey() throws Exception {
        Map<String, Map<String, Object>> configs = Map.of(
                "repository", Map.of("repository", "acme"),
                "api_url", Map.of("repository", "acme/pm", "api_url", "ftp://api.github.com"),
                "include_prereleases", Map.of("repository", "acme/pm", "include_prereleases", "yes"),
                "asset_pattern", Map.of("repository", "acme/pm", "asset_pattern", "pm-{component}-{color}.{ext}"));
        ReleaseAsset anything = new ReleaseAsset("printmaster-agent-v1.4.0-linux-amd64.tar.gz", ComponentName.AGENT,
                SemanticVersion.parse("1.4.0"), Optional.empty(), "tar.gz", Channel.STABLE, OptionalLong.empty(),
                URI.create("https://github.com/acme/pm/releases/download/v1.4.0/printmaster-agent-v1.4.0-linux-amd64.tar.gz"),
                Optional.empty());
        for (Map.Entry<String, Map<String, Object>> c : configs.entrySet()) {
            // registered all the same: an admin's typo must not leave a service that cannot be obtained
            GitHubReleaseSource broken = new GitHubReleaseSource(Configs.of(GitHubReleaseSource.Config.class,
                    c.getValue()), c.getValue());
            ReleaseSourceException e = assertThrows(ReleaseSourceException.class, () -> broken.releases(Optional.empty()));
            assertFalse(e.retryable());
            assertTrue(e.getMessage().contains("invalid configuration: " + c.getKey() + ": "), c.getKey() + ": " + e.getMessage());
            assertEquals(Optional.empty(), broken.open(anything), "declines while unconfigured");
            assertEquals(Optional.empty(), broken.upstreamChecksum(anything));
        }
        assertTrue(github.requests().isEmpty());
    }

    @Test
    void aTokenIsNeverSentOverPlainHttpToAnotherMachine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GitHubSettings.from("x",
                "http://ghe.example.com/api/v3", "acme/pm", TOKEN, null, null));
        assertTrue(e.getMessage().startsWith("token: "), e.getMessage());
        assertFalse(e.getMessage().contains(TOKEN));
        // loopback (tests, a local proxy) is fine
        GitHubSettings.from("x", "http://127.0.0.1:9", "acme/pm", TOKEN, null, null);
        assertFalse(GitHubSettings.from("x", null, "acme/pm", TOKEN, null, null).toString().contains(TOKEN));
    }
}
