package io.printmaster.releasesource.github.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.release.Refusal;
import io.printmaster.api.release.ReleaseAsset;
import io.printmaster.api.release.ReleaseSourceException;
import io.printmaster.releasesource.github.impl.UpstreamGitHub.Asset;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code upstream_public_key}: assets signed with the real minisign and ssh-keygen, published beside the assets of a
 * GitHub-shaped upstream; the source accepts what the key signed and refuses everything else with
 * {@code SIGNATURE_INVALID}.
 */
class UpstreamSignatureTest {
    static final String AGENT = "printmaster-agent-v1.2.0-linux-amd64.tar.gz";
    static final String SERVER = "printmaster-agent-v1.2.0-windows-amd64.zip";
    static final String UNSIGNED = "printmaster-agent-v1.2.0-darwin-arm64.tar.gz";

    @TempDir
    Path dir;

    static String run(Path dir, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", command) + ": " + out);
        return out;
    }

    Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    static Asset file(Path p) throws IOException {
        return new Asset(p.getFileName().toString(), Files.readAllBytes(p), true);
    }

    static Optional<Refusal> verify(GitHubReleaseSource source, ReleaseAsset asset, Path dir) throws Exception {
        Path copy = dir.resolve("downloaded-" + asset.name());
        try (InputStream in = source.open(asset).orElseThrow()) {
            Files.write(copy, in.readAllBytes());
        }
        return source.verify(asset, copy);
    }

    @Test
    void aMinisignKeyAcceptsItsSignaturesAndRefusesMissingAlteredAndForeignOnes() throws Exception {
        run(dir, "minisign", "-G", "-W", "-p", "upstream.pub", "-s", "upstream.key");
        run(dir, "minisign", "-G", "-W", "-p", "other.pub", "-s", "other.key");
        Path agent = write(AGENT, "agent bytes");
        Path server = write(SERVER, "zip bytes");
        Path unsigned = write(UNSIGNED, "unsigned bytes");
        run(dir, "minisign", "-S", "-s", "upstream.key", "-m", AGENT);
        run(dir, "minisign", "-S", "-s", "other.key", "-m", SERVER); // signed, but by another key
        String key = Files.readAllLines(dir.resolve("upstream.pub")).get(1);

        try (UpstreamGitHub upstream = UpstreamGitHub.githubCom(MonorepoAndEnterpriseTest.REPO)) {
            upstream.release("agent-v1.2.0", "notes", file(agent), file(dir.resolve(AGENT + ".minisig")), file(server),
                    file(dir.resolve(SERVER + ".minisig")), file(unsigned));
            GitHubReleaseSource source = MonorepoAndEnterpriseTest.source(upstream, Map.of("upstream_public_key", key));
            List<ReleaseAsset> assets = source.releases(Optional.empty()).releases().get(0).assets();
            assertEquals(List.of(AGENT, SERVER, UNSIGNED), assets.stream().map(ReleaseAsset::name).toList(),
                    "signature files are not assets");

            assertEquals(Optional.empty(), verify(source, assets.get(0), dir), "signed by the configured key");
            Refusal foreign = verify(source, assets.get(1), dir).orElseThrow();
            assertEquals(Refusal.SIGNATURE_INVALID, foreign.reason());
            assertTrue(foreign.message().contains("another key"), foreign.message());
            Refusal missing = verify(source, assets.get(2), dir).orElseThrow();
            assertEquals(Refusal.SIGNATURE_INVALID, missing.reason());
            assertTrue(missing.message().contains("no " + UNSIGNED + ".minisig"), missing.message());

            Path altered = Files.writeString(dir.resolve("altered"), "agent bytes, altered");
            assertEquals(Refusal.SIGNATURE_INVALID, source.verify(assets.get(0), altered).orElseThrow().reason(),
                    "bytes the signature is not of");

            GitHubReleaseSource withoutKey = MonorepoAndEnterpriseTest.source(upstream, Map.of());
            List<ReleaseAsset> plain = withoutKey.releases(Optional.empty()).releases().get(0).assets();
            assertEquals(Optional.empty(), verify(withoutKey, plain.get(2), dir), "without a key nothing is checked");
        }
    }

    @Test
    void anSshKeyAcceptsFileNamespaceSignatures() throws Exception {
        run(dir, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "release@upstream", "-f", "release_ed25519");
        Path agent = write(AGENT, "agent bytes");
        Path server = write(SERVER, "zip bytes");
        run(dir, "ssh-keygen", "-Y", "sign", "-f", "release_ed25519", "-n", "file", AGENT);
        run(dir, "ssh-keygen", "-Y", "sign", "-f", "release_ed25519", "-n", "git", SERVER);
        String key = Files.readString(dir.resolve("release_ed25519.pub")).strip();
        try (UpstreamGitHub upstream = UpstreamGitHub.enterprise(MonorepoAndEnterpriseTest.REPO)) {
            upstream.release("v1.2.0", "notes", file(agent), file(dir.resolve(AGENT + ".sig")), file(server),
                    file(dir.resolve(SERVER + ".sig")));
            GitHubReleaseSource source = MonorepoAndEnterpriseTest.source(upstream, Map.of("upstream_public_key", key));
            List<ReleaseAsset> assets = source.releases(Optional.empty()).releases().get(0).assets();
            assertEquals(Optional.empty(), verify(source, assets.get(0), dir));
            Refusal wrongNamespace = verify(source, assets.get(1), dir).orElseThrow();
            assertTrue(wrongNamespace.message().contains("namespace 'git'"), wrongNamespace.message());
        }
    }

    @Test
    void keyTextThatIsNoKeyIsAConfigurationErrorNamingTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GitHubSettings.from("x", null,
                MonorepoAndEnterpriseTest.REPO, null, null, null, null, "ssh-rsa AAAAB3Nza user@host"));
        assertTrue(e.getMessage().startsWith("upstream_public_key: "), e.getMessage());
        GitHubReleaseSource source = new GitHubReleaseSource(Configs.of(GitHubReleaseSource.Config.class,
                Map.of("repository", MonorepoAndEnterpriseTest.REPO, "upstream_public_key", "RWQnot-a-key")), Map.of());
        ReleaseSourceException failure = assertThrows(ReleaseSourceException.class, () -> source.releases(Optional.empty()));
        assertTrue(failure.getMessage().contains("upstream_public_key: "), failure.getMessage());
    }
}
