package io.printmaster.releasesource.httpfeed.impl;

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
import java.lang.annotation.Annotation;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The feed source against a loopback static host serving the documented example feed. */
class HttpFeedReleaseSourceTest {
    FeedServer server;
    HttpFeedReleaseSource source;

    @BeforeEach
    void start() throws Exception {
        server = new FeedServer();
        source = new HttpFeedReleaseSource("Mirror", URI.create(server.url("/printmaster/feed.json")));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    static Release release(ReleasePage page, String version) {
        return page.releases().stream().filter(r -> r.version().toString().equals(version)).findFirst().orElseThrow();
    }

    static ReleaseAsset asset(Release r, String name) {
        return r.assets().stream().filter(a -> a.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void listsReleasesNewestFirstWithEveryFieldOfTheFeed() throws Exception {
        ReleasePage page = source.releases(Optional.empty());
        assertEquals(List.of("1.5.0-rc.1", "1.4.0"), page.releases().stream().map(r -> r.version().toString()).toList());

        Release stable = release(page, "1.4.0");
        assertEquals("1.4.0", stable.id());
        assertEquals(Channel.STABLE, stable.channel());
        assertEquals(Optional.of(Instant.parse("2025-11-20T10:02:33Z")), stable.publishedAt());
        assertTrue(stable.notes().orElseThrow().contains("Maintenance windows per fleet"));
        assertEquals(Channel.BETA, release(page, "1.5.0-rc.1").channel(), "no channel given: taken from the version");

        ReleaseAsset agent = asset(stable, "printmaster-agent-v1.4.0-linux-amd64.tar.gz");
        assertEquals(ComponentName.AGENT, agent.component());
        assertEquals(SemanticVersion.parse("1.4.0"), agent.version());
        assertEquals(Optional.of(Platform.parse("linux-amd64")), agent.platform());
        assertEquals("tar.gz", agent.format());
        assertEquals(Channel.STABLE, agent.channel());
        byte[] content = FeedServer.content(agent.name());
        assertEquals(OptionalLong.of(content.length), agent.size());
        assertEquals(Optional.of(Checksum.sha256(FeedServer.sha256(content))), agent.upstreamSha256());
        assertEquals(agent.upstreamSha256(), source.upstreamChecksum(agent));

        ReleaseAsset bundles = asset(stable, "printmaster-server-v1.4.0-bundles.zip");
        assertEquals(Optional.empty(), bundles.platform(), "no platform: runs anywhere");
        assertEquals("bundle-set", bundles.format());
    }

    @Test
    void relativeUrlsResolveAgainstTheFeedDocument() throws Exception {
        Release stable = release(source.releases(Optional.empty()), "1.4.0");
        assertEquals(URI.create(server.url("/printmaster/1.4.0/printmaster-agent-v1.4.0-linux-amd64.tar.gz")),
                asset(stable, "printmaster-agent-v1.4.0-linux-amd64.tar.gz").downloadUrl(), "relative path");
        assertEquals(URI.create(server.url("/printmaster/1.4.0/printmaster-agent-v1.4.0-windows-amd64.msi")),
                asset(stable, "printmaster-agent-v1.4.0-windows-amd64.msi").downloadUrl(), "absolute path");
        assertEquals(URI.create(server.url("/cdn/printmaster/1.4.0/printmaster-server-v1.4.0-bundles.zip")),
                asset(stable, "printmaster-server-v1.4.0-bundles.zip").downloadUrl(), "absolute URL");
    }

    @Test
    void nextNamesTheDocumentWithOlderReleases() throws Exception {
        ReleasePage first = source.releases(Optional.empty());
        assertEquals(Optional.of(server.url("/printmaster/feed-2024.json")), first.nextPageToken());
        ReleasePage older = source.releases(first.nextPageToken());
        assertEquals(List.of(SemanticVersion.parse("1.3.0")), older.releases().stream().map(Release::version).toList());
        assertEquals(Optional.empty(), older.nextPageToken());
        assertEquals(Optional.empty(), older.releases().get(0).notes());
    }

    @Test
    void anUnchangedFeedIsAskedConditionallyAndReusedOn304() throws Exception {
        ReleasePage first = source.releases(Optional.empty());
        ReleasePage again = source.releases(Optional.empty());
        assertEquals(first, again);
        assertEquals(2, server.requests.size());
        assertEquals(null, server.requests.get(0).ifNoneMatch());
        assertEquals(304, server.requests.get(1).status());

        server.document("/printmaster/feed.json", FeedServer.resource("feed/feed.json").replace("1.5.0-rc.1", "1.5.0-rc.2"));
        assertEquals("1.5.0-rc.2", source.releases(Optional.empty()).releases().get(0).version().toString(),
                "a changed feed is read again");
    }

    @Test
    void resumesWithARangeRequestAndDeclinesWhenTheServerIgnoresRanges() throws Exception {
        ReleaseAsset a = source.releases(Optional.empty()).releases().get(0).assets().get(0);
        byte[] all = FeedServer.content(a.name());
        try (InputStream in = source.open(a, 5).orElseThrow()) {
            assertArrayEquals(java.util.Arrays.copyOfRange(all, 5, all.length), in.readAllBytes());
        }
        server.honourRanges = false;
        assertEquals(Optional.empty(), source.open(a, 5), "a 200 answer to a range request: start over instead");
        assertTrue(HttpFeedReleaseSource.startsAt("bytes 1000-4999/5000", 1000));
        assertFalse(HttpFeedReleaseSource.startsAt("bytes 0-4999/5000", 1000));
        assertFalse(HttpFeedReleaseSource.startsAt("", 1000));
    }

    @Test
    void opensListedAssetsFollowingRedirectsAndDeclinesOthers() throws Exception {
        Release stable = release(source.releases(Optional.empty()), "1.4.0");
        for (ReleaseAsset a : stable.assets()) {
            try (InputStream in = source.open(a).orElseThrow()) {
                assertArrayEquals(FeedServer.content(a.name()), in.readAllBytes(), a.name());
            }
        }
        assertTrue(server.requests.stream().anyMatch(r -> r.status() == 302), "the /cdn URL redirected");

        ReleaseAsset foreign = new ReleaseAsset("printmaster-agent-v9.9.9-linux-amd64.tar.gz", ComponentName.AGENT,
                SemanticVersion.parse("9.9.9"), Optional.empty(), "tar.gz", Channel.STABLE, OptionalLong.empty(),
                URI.create(server.url("/elsewhere/printmaster-agent-v9.9.9-linux-amd64.tar.gz")), Optional.empty());
        assertEquals(Optional.empty(), source.open(foreign), "not in the feed: declined");
    }

    @Test
    void afterARestartOpenReadsTheFeedAgainToKnowItsAssets() throws Exception {
        ReleaseAsset old = source.releases(source.releases(Optional.empty()).nextPageToken()).releases().get(0).assets().get(0);
        HttpFeedReleaseSource restarted = new HttpFeedReleaseSource("Mirror", URI.create(server.url("/printmaster/feed.json")));
        try (InputStream in = restarted.open(old).orElseThrow()) {
            assertArrayEquals(FeedServer.content(old.name()), in.readAllBytes());
        }
    }

    @Test
    void aMalformedFeedIsRefusedWholeNamingTheJsonPath() {
        String good = FeedServer.resource("feed/feed.json");
        assertMalformed(good.replaceFirst("\"sha256\": \"98cab5", "\"sha256\": \"zzcab5"), "releases[0].assets[0].sha256");
        assertMalformed(good.replace("\"platform\": \"windows-amd64\"", "\"platform\": \"windows-x86\""),
                "releases[0].assets[1].platform");
        assertMalformed(good.replace("\"size\": 72,", ""), "releases[1].assets[0].size");
        assertMalformed(good.replace("\"version\": \"1.5.0-rc.1\"", "\"version\": \"1.4\""), "releases[1].version");
        assertMalformed(good.replace("\"version\": \"1.5.0-rc.1\"", "\"version\": \"1.4.0\""), "releases[1].version");
        assertMalformed(good.replace("\"channel\": \"stable\"", "\"channel\": \"lts\""), "releases[0].channel");
        assertMalformed(good.replace("\"url\": \"1.4.0/", "\"url\": \"file:///etc/"), "releases[0].assets[0].url");
        assertMalformed(good.replace("printmaster.feed.v1", "printmaster.feed.v2"), "schema");
        assertMalformed(good.replace("\"component\": \"server\"", "\"component\": \"Server\""), "releases[0].assets[2].component");
        assertMalformed(good.replace("\"name\": \"printmaster-agent-v1.4.0-linux-amd64.tar.gz\"",
                "\"name\": \"../printmaster-agent-v1.4.0-linux-amd64.tar.gz\""), "releases[0].assets[0].name");
        assertMalformed("[]", "$");

        server.document("/printmaster/feed.json", good.substring(0, good.length() / 2));
        ReleaseSourceException e = assertThrows(ReleaseSourceException.class, () -> source.releases(Optional.empty()));
        assertTrue(e.getMessage().contains("is not valid JSON (line "), e.getMessage());
    }

    void assertMalformed(String document, String path) {
        server.document("/printmaster/feed.json", document);
        ReleaseSourceException e = assertThrows(ReleaseSourceException.class, () -> source.releases(Optional.empty()),
                path);
        assertFalse(e.retryable(), "a malformed feed stays malformed until its publisher fixes it");
        assertTrue(e.getMessage().contains("is malformed at " + path + ": "), path + " -> " + e.getMessage());
    }

    @Test
    void httpFailuresSayWhetherToRetry() {
        server.fail("/printmaster/feed.json", 503);
        ReleaseSourceException unavailable = assertThrows(ReleaseSourceException.class, () -> source.releases(Optional.empty()));
        assertTrue(unavailable.retryable());
        assertTrue(unavailable.getMessage().contains("HTTP 503; retry after 30 s"), unavailable.getMessage());

        server.fail("/printmaster/feed.json", 404);
        ReleaseSourceException missing = assertThrows(ReleaseSourceException.class, () -> source.releases(Optional.empty()));
        assertFalse(missing.retryable());
        assertTrue(missing.getMessage().contains("check the url key"), missing.getMessage());
    }

    @Test
    void activatesFromItsConfigurationAndReportsAnInvalidOneOnUseNamingTheKey() throws Exception {
        HttpFeedReleaseSource configured = new HttpFeedReleaseSource(config("", server.url("/printmaster/feed.json")));
        assertEquals(2, configured.releases(Optional.empty()).releases().size());
        assertTrue(configured.toString().contains(server.url("/printmaster/feed.json")), "no name: the URL is the name");
        for (String bad : new String[] {"", "ftp://mirror.example.com/feed.json", "feed.json",
                "https://user:secret@mirror.example.com/feed.json"}) {
            HttpFeedReleaseSource broken = new HttpFeedReleaseSource(config("Mirror", bad));
            ReleaseSourceException e = assertThrows(ReleaseSourceException.class, () -> broken.releases(Optional.empty()));
            assertFalse(e.retryable());
            assertTrue(e.getMessage().contains("'Mirror': invalid configuration: url: "), e.getMessage());
            assertFalse(e.getMessage().contains("secret"), e.getMessage());
        }
    }

    static HttpFeedReleaseSource.Config config(String name, String url) {
        return config(name, url, io.printmaster.api.release.TagPattern.DEFAULT, "");
    }

    static HttpFeedReleaseSource.Config config(String name, String url, String tagPattern, String key) {
        return new HttpFeedReleaseSource.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return HttpFeedReleaseSource.Config.class;
            }

            @Override
            public String name() {
                return name;
            }

            @Override
            public String url() {
                return url;
            }

            @Override
            public String tag__pattern() {
                return tagPattern;
            }

            @Override
            public String upstream__public__key() {
                return key;
            }
        };
    }

    static String entry(String id, String version, String... assetNames) {
        StringBuilder assets = new StringBuilder();
        for (String name : assetNames) {
            String component = name.split("-")[1];
            assets.append(assets.length() == 0 ? "" : ",").append("{\"name\":\"").append(name)
                    .append("\",\"component\":\"").append(component).append("\",\"platform\":\"linux-amd64\",")
                    .append("\"format\":\"tar.gz\",\"size\":").append(FeedServer.content(name).length)
                    .append(",\"sha256\":\"").append(FeedServer.sha256(FeedServer.content(name)))
                    .append("\",\"url\":\"files/").append(name).append("\"}");
        }
        return "{\"id\":\"" + id + "\",\"version\":\"" + version + "\",\"assets\":[" + assets + "]}";
    }

    @Test
    void monorepoIdsNameTheComponentAndEntriesThatContradictTheirIdAreReported() throws Exception {
        server.document("/mono/feed.json", "{\"schema\":\"printmaster.feed.v1\",\"releases\":["
                + entry("agent-v1.2.0", "1.2.0", "printmaster-agent-v1.2.0-linux-amd64.tar.gz",
                        "printmaster-server-v1.2.0-linux-amd64.tar.gz") + ","
                + entry("server-v1.2.0", "1.2.0", "printmaster-server-v1.2.0-linux-amd64.tar.gz") + ","
                + entry("agent-v1.9.0", "1.3.0", "printmaster-agent-v1.3.0-linux-amd64.tar.gz") + "]}");
        HttpFeedReleaseSource mono = new HttpFeedReleaseSource(config("Mono", server.url("/mono/feed.json")));
        ReleasePage page = mono.releases(Optional.empty());
        assertEquals(List.of("agent-v1.2.0 [printmaster-agent-v1.2.0-linux-amd64.tar.gz]",
                        "server-v1.2.0 [printmaster-server-v1.2.0-linux-amd64.tar.gz]"),
                page.releases().stream().map(r -> r.id() + " " + r.assets().stream().map(ReleaseAsset::name).toList())
                        .sorted().toList(), "one version, once per component");
        assertEquals(List.of("printmaster-server-v1.2.0-linux-amd64.tar.gz COMPONENT_MISMATCH"),
                page.refused().stream().map(r -> r.asset().name() + " " + r.reason()).toList());
        assertEquals(List.of("agent-v1.9.0 tag_version_mismatch"),
                page.skipped().stream().map(s -> s.release() + " " + s.reason()).toList());

        HttpFeedReleaseSource broken = new HttpFeedReleaseSource(config("Mono", server.url("/mono/feed.json"), "{component}", ""));
        ReleaseSourceException e = assertThrows(ReleaseSourceException.class, () -> broken.releases(Optional.empty()));
        assertTrue(e.getMessage().contains("invalid configuration: tag_pattern: "), e.getMessage());
    }

    static void run(java.nio.file.Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", command) + ": " + out);
    }

    @Test
    void withAnUpstreamKeyEveryAssetNeedsItsSignatureBesideItsUrl(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        String signed = "printmaster-agent-v1.2.0-linux-amd64.tar.gz";
        String unsigned = "printmaster-agent-v1.3.0-linux-amd64.tar.gz";
        java.nio.file.Files.write(dir.resolve(signed), FeedServer.content(signed));
        run(dir, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "feed@upstream", "-f", "feed_ed25519");
        run(dir, "ssh-keygen", "-Y", "sign", "-f", "feed_ed25519", "-n", "file", signed);
        server.file("/mono/files/" + signed + ".sig", java.nio.file.Files.readAllBytes(dir.resolve(signed + ".sig")));
        server.document("/mono/feed.json", "{\"schema\":\"printmaster.feed.v1\",\"releases\":["
                + entry("agent-v1.2.0", "1.2.0", signed) + "," + entry("agent-v1.3.0", "1.3.0", unsigned) + "]}");
        String key = java.nio.file.Files.readString(dir.resolve("feed_ed25519.pub"));
        HttpFeedReleaseSource mono = new HttpFeedReleaseSource(config("Mono", server.url("/mono/feed.json"),
                io.printmaster.api.release.TagPattern.DEFAULT, key));
        ReleasePage page = mono.releases(Optional.empty());
        ReleaseAsset good = asset(release(page, "1.2.0"), signed);
        ReleaseAsset bad = asset(release(page, "1.3.0"), unsigned);
        assertEquals(Optional.empty(), mono.verify(good, dir.resolve(signed)));
        java.nio.file.Path other = java.nio.file.Files.write(dir.resolve("other"), FeedServer.content(unsigned));
        var missing = mono.verify(bad, other).orElseThrow();
        assertEquals(io.printmaster.api.release.Refusal.SIGNATURE_INVALID, missing.reason());
        assertTrue(missing.message().contains(unsigned + ".sig"), missing.message());
        assertEquals(io.printmaster.api.release.Refusal.SIGNATURE_INVALID, mono.verify(good, other).orElseThrow().reason(),
                "bytes the signature is not of");
        // fail closed: after a restart, an asset the feed no longer lists has no signature to check
        server.document("/mono/feed.json", "{\"schema\":\"printmaster.feed.v1\",\"releases\":["
                + entry("agent-v1.3.0", "1.3.0", unsigned) + "]}");
        HttpFeedReleaseSource restarted = new HttpFeedReleaseSource(config("Mono", server.url("/mono/feed.json"),
                io.printmaster.api.release.TagPattern.DEFAULT, key));
        var unlisted = restarted.verify(good, dir.resolve(signed)).orElseThrow();
        assertEquals(io.printmaster.api.release.Refusal.SIGNATURE_INVALID, unlisted.reason());
        assertTrue(unlisted.message().contains("does not list"), unlisted.message());

        HttpFeedReleaseSource badKey = new HttpFeedReleaseSource(config("Mono", server.url("/mono/feed.json"),
                io.printmaster.api.release.TagPattern.DEFAULT, "ssh-ed25519 !!"));
        ReleaseSourceException e = assertThrows(ReleaseSourceException.class, () -> badKey.releases(Optional.empty()));
        assertTrue(e.getMessage().contains("invalid configuration: upstream_public_key: "), e.getMessage());
    }
}
