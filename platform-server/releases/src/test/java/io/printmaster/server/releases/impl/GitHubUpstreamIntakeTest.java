package io.printmaster.server.releases.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.releasesource.github.impl.GitHubReleaseSource;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.ReleaseCatalog.ArtifactFilter;
import io.printmaster.server.releases.impl.IntakeRun.SourceRef;
import io.printmaster.server.releases.impl.SyncHistory.IntakeEvent;
import io.printmaster.releasesource.github.impl.UpstreamGitHub;
import io.printmaster.releasesource.github.impl.UpstreamGitHub.Asset;
import io.printmaster.store.impl.DerbyDatabase;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real upstream shapes through the real intake: the GitHub source (the plugin's own class, configured as
 * Declarative Services would) lists a github.com-shaped monorepo ({@code agent-v1.2.0}, {@code agent-v1.3.0},
 * API and downloads on two origins) and a GitHub Enterprise-shaped repository (one origin, API under
 * {@code /api/v3}, {@code v1.2.0} tags); one sync caches every asset of both, with its release notes, in the
 * server's artifact cache on a real Derby.
 */
class GitHubUpstreamIntakeTest {
    @TempDir
    Path dir;
    DerbyDatabase db;
    ReleaseStore store;
    ArtifactCache cache;
    JdkEd25519Keys keys;
    ManifestService manifests;
    final Clock clock = Clock.fixed(Instant.parse("2026-12-07T03:00:00Z"), ZoneOffset.UTC);

    @BeforeEach
    void open() throws Exception {
        db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        store = new ReleaseStore(db);
        cache = new ArtifactCache(dir.resolve("artifacts"));
        keys = new JdkEd25519Keys();
        manifests = new ManifestService(keys, keys, store, Fixtures.manifestConfig(30, 7), clock, false);
    }

    @AfterEach
    void close() {
        manifests.stop();
        cache.close();
        db.close();
    }

    /** The plugin's component, made from configuration properties the way Declarative Services makes it. */
    static GitHubReleaseSource github(Map<String, Object> properties) {
        GitHubReleaseSource.Config config = (GitHubReleaseSource.Config) Proxy.newProxyInstance(
                GitHubReleaseSource.Config.class.getClassLoader(), new Class<?>[] {GitHubReleaseSource.Config.class},
                (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return method.getName().equals("toString") ? "Config" + properties.keySet()
                                : method.getName().equals("hashCode") ? System.identityHashCode(proxy) : proxy == args[0];
                    }
                    Object value = properties.get(method.getName().replace("__", "_"));
                    if (value == null) {
                        return method.getDefaultValue();
                    }
                    return method.getReturnType() == boolean.class ? Boolean.parseBoolean(value.toString()) : value.toString();
                });
        return new GitHubReleaseSource(config, properties);
    }

    SyncRun sync(SourceRef... sources) throws Exception {
        SyncRun run = new SyncRun("sync-1", "test", "tester", clock.instant());
        store.syncs().startSync(new SyncHistory.SyncRecord(run.id(), "test", "tester", clock.instant(), null, "running", 0, 0, 0, 0, null));
        new IntakeRun(run, List.of(sources), store, cache, manifests,
                new IntakeRun.Settings(5, 64L * 1024 * 1024, Duration.ofSeconds(30), Duration.ofMinutes(5), 20), clock).execute();
        return run;
    }

    static Asset asset(String name) {
        return Asset.of(name, "bytes of " + name + " ".repeat(1000));
    }

    @Test
    void aSyncCachesTheAssetsOfAMonorepoOnGitHubAndOfAGitHubEnterpriseRepositoryWithTheirNotes() throws Exception {
        String repo = "printmaster/printmaster";
        try (UpstreamGitHub monorepo = UpstreamGitHub.githubCom(repo); UpstreamGitHub ghe = UpstreamGitHub.enterprise(repo)) {
            monorepo.release("agent-v1.2.0", "Agent 1.2.0: first monorepo release",
                            asset("printmaster-agent-v1.2.0-linux-amd64.tar.gz"),
                            asset("printmaster-agent-v1.2.0-windows-amd64.zip"))
                    .release("docs-2026-12", "not a release of software")
                    .release("agent-v1.3.0", "Agent 1.3.0: faster check-ins",
                            asset("printmaster-agent-v1.3.0-linux-amd64.tar.gz"),
                            asset("printmaster-agent-v1.3.0-windows-amd64.zip"));
            ghe.release("v1.2.0", "Server 1.2.0 from the enterprise host",
                    asset("printmaster-server-v1.2.0-linux-amd64.tar.gz"));
            assertTrue(!monorepo.apiUrl().startsWith(monorepo.downloadOrigin()), "two origins: " + monorepo.apiUrl());

            SyncRun run = sync(
                    new SourceRef("monorepo", "github", github(Map.of("name", "monorepo", "api_url", monorepo.apiUrl(),
                            "repository", repo))),
                    new SourceRef("ghe", "github", github(Map.of("name", "ghe", "api_url", ghe.apiUrl(),
                            "repository", repo))));

            SyncRun.Snapshot s = run.snapshot();
            assertEquals("finished", s.state());
            assertEquals(0, s.rejectedCount(), store.syncs().events(run.id(), "rejected", 10).toString());
            assertEquals(5, s.cachedCount());
            Map<String, Artifact> cached = store.artifacts(ArtifactFilter.ALL).stream()
                    .collect(Collectors.toMap(Artifact::assetName, a -> a));
            assertEquals(java.util.Set.of("printmaster-agent-v1.2.0-linux-amd64.tar.gz",
                    "printmaster-agent-v1.2.0-windows-amd64.zip", "printmaster-agent-v1.3.0-linux-amd64.tar.gz",
                    "printmaster-agent-v1.3.0-windows-amd64.zip", "printmaster-server-v1.2.0-linux-amd64.tar.gz"),
                    cached.keySet());
            for (Artifact a : cached.values()) {
                Path file = cache.file(a.sha256()).orElseThrow(() -> new AssertionError(a.assetName() + " is not in the cache"));
                assertArrayEquals(asset(a.assetName()).bytes(), Files.readAllBytes(file), a.assetName());
                assertTrue(store.manifest(a.id()).isPresent(), "a signed manifest for " + a.assetName());
            }
            assertEquals("Agent 1.3.0: faster check-ins", cached.get("printmaster-agent-v1.3.0-linux-amd64.tar.gz").releaseNotes());
            assertEquals("Agent 1.2.0: first monorepo release", cached.get("printmaster-agent-v1.2.0-windows-amd64.zip").releaseNotes());
            Artifact server = cached.get("printmaster-server-v1.2.0-linux-amd64.tar.gz");
            assertEquals("Server 1.2.0 from the enterprise host", server.releaseNotes());
            assertEquals("server", server.component());
            assertEquals("ghe", server.sourceName());
            assertTrue(server.upstreamUrl().startsWith(ghe.downloadOrigin() + "/" + repo + "/releases/download/v1.2.0/"),
                    "downloaded from the enterprise host's own origin: " + server.upstreamUrl());
            assertTrue(cached.get("printmaster-agent-v1.3.0-linux-amd64.tar.gz").upstreamUrl().startsWith(monorepo.downloadOrigin()),
                    "downloaded from the download origin, not the API's");
            assertTrue(monorepo.requests.stream().anyMatch(r -> r.startsWith("downloads GET /" + repo + "/releases/download/agent-v1.3.0/")),
                    monorepo.requests.toString());

            List<IntakeEvent> skipped = store.syncs().events(run.id(), "skipped", 10);
            assertEquals(List.of("monorepo tag_not_a_version"), skipped.stream().map(e -> e.sourceName() + " " + e.reason()).toList(),
                    "the docs tag is not silent");
            assertTrue(skipped.get(0).message().contains("docs-2026-12"), skipped.get(0).message());
        }
    }

    static void run(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", command) + ": " + out);
    }

    @Test
    void withAnUpstreamKeyOnlySignedAssetsAreCachedAndTheOthersAreRejectedAsSignatureInvalid() throws Exception {
        String repo = "printmaster/printmaster";
        Path signing = Files.createDirectory(dir.resolve("upstream"));
        String signed = "printmaster-agent-v1.3.0-linux-amd64.tar.gz";
        String unsigned = "printmaster-agent-v1.3.0-windows-amd64.zip";
        Files.write(signing.resolve(signed), asset(signed).bytes());
        run(signing, "minisign", "-G", "-W", "-p", "upstream.pub", "-s", "upstream.key");
        run(signing, "minisign", "-S", "-s", "upstream.key", "-m", signed);
        String key = Files.readAllLines(signing.resolve("upstream.pub")).get(1);
        try (UpstreamGitHub monorepo = UpstreamGitHub.githubCom(repo)) {
            monorepo.release("agent-v1.3.0", "Agent 1.3.0", asset(signed),
                    new Asset(signed + ".minisig", Files.readAllBytes(signing.resolve(signed + ".minisig")), true),
                    asset(unsigned));
            SyncRun run = sync(new SourceRef("monorepo", "github", github(Map.of("name", "monorepo",
                    "api_url", monorepo.apiUrl(), "repository", repo, "upstream_public_key", key))));

            assertEquals(List.of(signed), store.artifacts(ArtifactFilter.ALL).stream().map(Artifact::assetName).toList());
            List<IntakeEvent> rejected = store.syncs().events(run.id(), "rejected", 10);
            assertEquals(List.of(unsigned + " SIGNATURE_INVALID"),
                    rejected.stream().map(e -> e.assetName() + " " + e.reason()).toList());
            assertTrue(rejected.get(0).message().contains(unsigned + ".minisig"), rejected.get(0).message());
            assertTrue(cache.file(UpstreamGitHub.sha256(asset(unsigned).bytes())).isEmpty(), "its bytes were dropped");
        }
    }
}
