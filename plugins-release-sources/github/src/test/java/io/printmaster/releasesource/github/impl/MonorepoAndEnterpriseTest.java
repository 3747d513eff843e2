package io.printmaster.releasesource.github.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.release.Refusal;
import io.printmaster.api.release.Release;
import io.printmaster.api.release.ReleaseAsset;
import io.printmaster.api.release.ReleasePage;
import io.printmaster.api.release.ReleaseSourceException;
import io.printmaster.api.release.Skipped;
import io.printmaster.releasesource.github.impl.UpstreamGitHub.Asset;
import java.io.InputStream;
import java.net.URI;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The shapes real upstreams have: PrintMaster's own monorepo ({@code agent-v1.2.3} and {@code server-v1.2.3} tags in
 * one repository) and GitHub Enterprise Server (API and downloads on one origin, API under {@code /api/v3}).
 */
class MonorepoAndEnterpriseTest {
    static final String REPO = "printmaster/printmaster";

    static GitHubReleaseSource source(UpstreamGitHub upstream, Map<String, Object> extra) {
        Map<String, Object> props = new HashMap<>(Map.of("api_url", upstream.apiUrl(), "repository", REPO));
        props.putAll(extra);
        GitHubReleaseSource.Config config = Configs.of(GitHubReleaseSource.Config.class, props);
        return new GitHubReleaseSource(GitHubSettings.from(config.name(), config.api__url(), config.repository(),
                config.token(), config.asset__pattern(), props.get("include_prereleases"), config.tag__pattern(),
                config.upstream__public__key()),
                Clock.systemUTC());
    }

    static List<String> skipped(ReleasePage page) {
        return page.skipped().stream().map(s -> s.release() + s.asset().map(a -> "/" + a).orElse("") + " " + s.reason())
                .toList();
    }

    static byte[] read(GitHubReleaseSource source, ReleaseAsset asset) throws Exception {
        try (InputStream in = source.open(asset).orElseThrow(() -> new AssertionError(asset.downloadUrl() + " declined"))) {
            return in.readAllBytes();
        }
    }

    @Test
    void aMonorepoTagNamesTheComponentAndEverythingLeftOutIsReportedWithItsReason() throws Exception {
        try (UpstreamGitHub upstream = UpstreamGitHub.githubCom(REPO)) {
            upstream.release("agent-v1.2.0", "Agent 1.2.0", Asset.of("printmaster-agent-v1.2.0-linux-amd64.tar.gz", "a120"))
                    .release("server-v1.2.0", "Server 1.2.0", Asset.of("printmaster-server-v1.2.0-linux-amd64.tar.gz", "s120"))
                    .release("nightly", "moving tag", Asset.of("printmaster-agent-v9.9.9-linux-amd64.tar.gz", "n"))
                    .prerelease("agent-v1.3.0-rc.1", Asset.of("printmaster-agent-v1.3.0-rc.1-linux-amd64.tar.gz", "rc"))
                    .draft("agent-v1.4.0", Asset.of("printmaster-agent-v1.4.0-linux-amd64.tar.gz", "d"))
                    .release("agent-v1.3.0", "Agent 1.3.0",
                            Asset.of("printmaster-agent-v1.3.0-linux-amd64.tar.gz", "a130"),
                            Asset.of("printmaster-server-v1.3.0-linux-amd64.tar.gz", "wrong release"),
                            Asset.of("printmaster-agent-v1.2.9-linux-amd64.tar.gz", "stale upload"),
                            Asset.of("README.txt", "read me"));
            GitHubReleaseSource source = source(upstream, Map.of());
            ReleasePage page = source.releases(Optional.empty());

            assertEquals(List.of("agent-v1.3.0", "server-v1.2.0", "agent-v1.2.0"),
                    page.releases().stream().map(Release::id).toList(), "the monorepo's tags are versions now");
            Release agent130 = page.releases().get(0);
            assertEquals("1.3.0", agent130.version().toString());
            assertEquals(List.of("printmaster-agent-v1.3.0-linux-amd64.tar.gz"),
                    agent130.assets().stream().map(ReleaseAsset::name).toList());
            assertEquals("server", page.releases().get(1).assets().get(0).component().value());

            assertEquals(List.of("agent-v1.3.0-rc.1 prerelease_excluded", "agent-v1.3.0/README.txt asset_name_not_matched",
                            "agent-v1.3.0/printmaster-agent-v1.2.9-linux-amd64.tar.gz asset_not_of_release",
                            "agent-v1.4.0 draft", "nightly tag_not_a_version"),
                    skipped(page).stream().sorted().toList(), "every skip has its reason");
            assertEquals(5, page.skipped().size(), skipped(page).toString());
            Skipped nightly = page.skipped().stream().filter(s -> s.release().equals("nightly")).findFirst().orElseThrow();
            assertTrue(nightly.message().contains("tag_pattern"), nightly.message());

            assertEquals(1, page.refused().size(), page.refused().toString());
            Refusal mismatch = page.refused().get(0);
            assertEquals(Refusal.COMPONENT_MISMATCH, mismatch.reason());
            assertEquals("printmaster-server-v1.3.0-linux-amd64.tar.gz", mismatch.asset().name());
            assertTrue(mismatch.message().contains("agent-v1.3.0"), mismatch.message());

            assertArrayEquals("a130".getBytes(), read(source, agent130.assets().get(0)),
                    "downloaded from the listed download origin (another port than the API's)");
        }
    }

    @Test
    void prereleasesAreListedWhenIncludedAndACustomTagPatternReplacesTheDefault() throws Exception {
        try (UpstreamGitHub upstream = UpstreamGitHub.githubCom(REPO)) {
            upstream.release("release-1.0.0", "", Asset.of("printmaster-agent-v1.0.0-linux-amd64.tar.gz", "x"))
                    .release("v1.1.0", "", Asset.of("printmaster-agent-v1.1.0-linux-amd64.tar.gz", "y"))
                    .prerelease("agent-v1.2.0-rc.1", Asset.of("printmaster-agent-v1.2.0-rc.1-linux-amd64.tar.gz", "z"));
            ReleasePage custom = source(upstream, Map.of("tag_pattern", "release-{version}")).releases(Optional.empty());
            assertEquals(List.of("release-1.0.0"), custom.releases().stream().map(Release::id).toList());
            assertEquals(List.of("agent-v1.2.0-rc.1 tag_not_a_version", "v1.1.0 tag_not_a_version"), skipped(custom),
                    "the custom pattern replaces the default: v1.1.0 and agent-v… are not versions any more");

            ReleasePage withPre = source(upstream, Map.of("include_prereleases", "true")).releases(Optional.empty());
            assertEquals(List.of("agent-v1.2.0-rc.1", "v1.1.0"), withPre.releases().stream().map(Release::id).toList());
            assertEquals(List.of("release-1.0.0 tag_not_a_version"), skipped(withPre));
        }
    }

    @Test
    void aBadTagPatternIsAConfigurationErrorNamingTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GitHubSettings.from("x",
                null, REPO, null, null, null, "{component}-{build}", null));
        assertTrue(e.getMessage().startsWith("tag_pattern: "), e.getMessage());
        GitHubReleaseSource source = new GitHubReleaseSource(Configs.of(GitHubReleaseSource.Config.class,
                Map.of("repository", REPO, "tag_pattern", "release")), Map.of());
        ReleaseSourceException failure = assertThrows(ReleaseSourceException.class, () -> source.releases(Optional.empty()));
        assertTrue(failure.getMessage().contains("tag_pattern: 'release' must contain {version}"), failure.getMessage());
    }

    @Test
    void gitHubEnterpriseAssetsOnTheApiOriginAreDownloadedWithAndWithoutAToken() throws Exception {
        try (UpstreamGitHub ghe = UpstreamGitHub.enterprise(REPO)) {
            ghe.release("v1.2.0", "GHE notes", Asset.of("printmaster-agent-v1.2.0-linux-amd64.tar.gz", "ghe bytes"));
            for (Map<String, Object> extra : List.of(Map.<String, Object>of(), Map.<String, Object>of("token", "ghp_test"))) {
                GitHubReleaseSource source = source(ghe, extra);
                ReleaseAsset asset = source.releases(Optional.empty()).releases().get(0).assets().get(0);
                String expectedPath = extra.isEmpty() ? "/" + REPO + "/releases/download/v1.2.0/" + asset.name()
                        : "/api/v3/repos/" + REPO + "/releases/assets/";
                assertTrue(asset.downloadUrl().getPath().startsWith(expectedPath), asset.downloadUrl().toString());
                assertArrayEquals("ghe bytes".getBytes(), read(source, asset), "served from " + asset.downloadUrl());
                assertTrue(source.upstreamChecksum(asset).isPresent());
            }
        }
    }

    @Test
    void urlsOfOtherRepositoriesOrOtherHostsAreStillDeclined() throws Exception {
        try (UpstreamGitHub ghe = UpstreamGitHub.enterprise(REPO); UpstreamGitHub com = UpstreamGitHub.githubCom(REPO)) {
            ghe.release("v1.2.0", "", Asset.of("printmaster-agent-v1.2.0-linux-amd64.tar.gz", "ghe"));
            com.release("v1.2.0", "", Asset.of("printmaster-agent-v1.2.0-linux-amd64.tar.gz", "com"));
            GitHubReleaseSource enterprise = source(ghe, Map.of());
            ReleaseAsset listed = enterprise.releases(Optional.empty()).releases().get(0).assets().get(0);
            String origin = ghe.downloadOrigin();
            for (String url : List.of(
                    origin + "/other/repo/releases/download/v1.2.0/" + listed.name(),
                    origin + "/api/v3/repos/other/repo/releases/assets/10000",
                    origin + "/" + REPO + "/raw/main/" + listed.name(),
                    origin + "/" + REPO + "/releases/download/../../../other/repo/releases/download/v1.2.0/x",
                    origin + "/" + REPO + "/releases/download/v1.2.0%2F..%2F..%2Fother/" + listed.name(),
                    // the same repository's path on a host nobody named: another loopback address, another port
                    "http://127.0.0.2:" + URI.create(origin).getPort() + "/" + REPO + "/releases/download/v1.2.0/" + listed.name(),
                    com.downloadOrigin() + "/" + REPO + "/releases/download/v1.2.0/" + listed.name())) {
                ReleaseAsset foreign = new ReleaseAsset(listed.name(), listed.component(), listed.version(),
                        listed.platform(), listed.format(), listed.channel(), listed.size(), URI.create(url),
                        listed.upstreamSha256());
                assertEquals(Optional.empty(), enterprise.open(foreign), url);
                assertEquals(Optional.empty(), enterprise.open(foreign, 1), url);
            }
            assertArrayEquals("ghe".getBytes(), read(enterprise, listed), "its own asset is still served");
        }
    }
}
