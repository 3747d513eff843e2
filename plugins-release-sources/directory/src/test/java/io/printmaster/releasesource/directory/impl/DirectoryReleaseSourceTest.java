package io.printmaster.releasesource.directory.impl;

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
import java.io.IOException;
import java.io.InputStream;
import java.lang.annotation.Annotation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The directory source on real files in a temporary folder. */
class DirectoryReleaseSourceTest {
    @TempDir
    Path dir;
    Path releases;
    DirectoryReleaseSource source;

    @BeforeEach
    void setUp() throws IOException {
        releases = Files.createDirectory(dir.resolve("releases"));
        source = new DirectoryReleaseSource("Offline", releases);
    }

    static byte[] content(String name) {
        return ("PrintMaster test asset " + name + "\n").getBytes(StandardCharsets.UTF_8);
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    /** Writes artifacts and appends their sha256sum lines to SHA256SUMS. */
    void publish(String... names) throws Exception {
        StringBuilder sums = new StringBuilder();
        for (String name : names) {
            Files.write(releases.resolve(name), content(name));
            sums.append(sha256(content(name))).append("  ").append(name).append('\n');
        }
        Files.writeString(releases.resolve("SHA256SUMS"), sums, StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    }

    List<String> versions() throws ReleaseSourceException {
        return source.releases(Optional.empty()).releases().stream().map(r -> r.version().toString()).toList();
    }

    Release release(String version) throws ReleaseSourceException {
        return source.releases(Optional.empty()).releases().stream().filter(r -> r.version().toString().equals(version))
                .findFirst().orElseThrow();
    }

    @Test
    void groupsArtifactsByVersionNewestFirstWithChecksumsAndNotes() throws Exception {
        publish("printmaster-agent-v1.4.0-linux-amd64.tar.gz", "printmaster-agent-v1.4.0-windows-amd64.msi",
                "printmaster-server-v1.4.0-linux-arm64.zip", "printmaster-agent-v1.3.0-linux-amd64.tar.gz",
                "printmaster-agent-v1.5.0-beta.1-linux-amd64.tar.gz");
        Files.writeString(releases.resolve("NOTES-1.4.0.md"), "## What's new\n\n* Maintenance windows\n");
        Instant modified = Instant.parse("2025-11-20T10:00:00Z");
        Files.setLastModifiedTime(releases.resolve("printmaster-agent-v1.4.0-linux-amd64.tar.gz"), FileTime.from(modified));
        Files.setLastModifiedTime(releases.resolve("printmaster-agent-v1.4.0-windows-amd64.msi"), FileTime.from(modified.minusSeconds(60)));
        Files.setLastModifiedTime(releases.resolve("printmaster-server-v1.4.0-linux-arm64.zip"), FileTime.from(modified.minusSeconds(60)));

        ReleasePage page = source.releases(Optional.empty());
        assertEquals(Optional.empty(), page.nextPageToken(), "one page");
        assertEquals(List.of("1.5.0-beta.1", "1.4.0", "1.3.0"), versions());

        Release r = release("1.4.0");
        assertEquals("1.4.0", r.id());
        assertEquals(Channel.STABLE, r.channel());
        assertEquals(Channel.BETA, release("1.5.0-beta.1").channel());
        assertEquals(Optional.of("## What's new\n\n* Maintenance windows\n"), r.notes());
        assertEquals(Optional.empty(), release("1.3.0").notes());
        assertEquals(Optional.of(modified), r.publishedAt(), "the newest artifact's modification time");

        assertEquals(List.of("printmaster-agent-v1.4.0-linux-amd64.tar.gz", "printmaster-agent-v1.4.0-windows-amd64.msi",
                "printmaster-server-v1.4.0-linux-arm64.zip"), r.assets().stream().map(ReleaseAsset::name).toList());
        ReleaseAsset agent = r.assets().get(0);
        assertEquals(ComponentName.AGENT, agent.component());
        assertEquals(SemanticVersion.parse("1.4.0"), agent.version());
        assertEquals(Optional.of(Platform.parse("linux-amd64")), agent.platform());
        assertEquals("tar.gz", agent.format());
        assertEquals(OptionalLong.of(content(agent.name()).length), agent.size());
        assertEquals(releases.resolve(agent.name()).toUri(), agent.downloadUrl());
        assertEquals(Optional.of(Checksum.sha256(sha256(content(agent.name())))), agent.upstreamSha256());
        assertEquals("msi", r.assets().get(1).format());
        assertEquals(ComponentName.SERVER, r.assets().get(2).component());
    }

    @Test
    void newFilesArePickedUpWithoutARestart() throws Exception {
        assertEquals(List.of(), versions(), "an empty folder lists nothing");
        publish("printmaster-agent-v1.4.0-linux-amd64.tar.gz");
        assertEquals(List.of("1.4.0"), versions());
        publish("printmaster-agent-v1.4.1-linux-amd64.tar.gz");
        assertEquals(List.of("1.4.1", "1.4.0"), versions());
        Files.delete(releases.resolve("printmaster-agent-v1.4.0-linux-amd64.tar.gz"));
        assertEquals(List.of("1.4.1"), versions());
    }

    @Test
    void aFileWithoutAChecksumEntryIsListedWithoutUpstreamChecksum() throws Exception {
        publish("printmaster-agent-v1.4.0-linux-amd64.tar.gz");
        Files.write(releases.resolve("printmaster-agent-v1.4.0-darwin-arm64.zip"), content("x"));
        ReleaseAsset unlisted = release("1.4.0").assets().get(0);
        assertEquals("printmaster-agent-v1.4.0-darwin-arm64.zip", unlisted.name());
        assertEquals(Optional.empty(), unlisted.upstreamSha256());
        assertEquals(Optional.empty(), source.upstreamChecksum(unlisted), "the intake refuses it: nothing to verify against");

        // the checksum is read when asked, so adding the line later is enough
        Files.writeString(releases.resolve("SHA256SUMS"), sha256(content("x")) + " *" + unlisted.name() + "\n",
                java.nio.file.StandardOpenOption.APPEND);
        assertEquals(Optional.of(Checksum.sha256(sha256(content("x")))), source.upstreamChecksum(unlisted));
    }

    @Test
    void opensTheFileItListed() throws Exception {
        publish("printmaster-agent-v1.4.0-linux-amd64.tar.gz");
        ReleaseAsset agent = release("1.4.0").assets().get(0);
        try (InputStream in = source.open(agent).orElseThrow()) {
            assertArrayEquals(content(agent.name()), in.readAllBytes());
        }
        Files.delete(releases.resolve(agent.name()));
        ReleaseSourceException e = assertThrows(ReleaseSourceException.class, () -> source.open(agent));
        assertTrue(e.getMessage().contains("was removed"), e.getMessage());
    }

    @Test
    void resumesACopyFromAnOffset() throws Exception {
        publish("printmaster-agent-v1.4.0-linux-amd64.tar.gz");
        ReleaseAsset agent = release("1.4.0").assets().get(0);
        byte[] all = content(agent.name());
        try (InputStream in = source.open(agent, 10).orElseThrow()) {
            assertArrayEquals(java.util.Arrays.copyOfRange(all, 10, all.length), in.readAllBytes());
        }
    }

    @Test
    void onlyRegularFilesDirectlyInTheFolderCount() throws Exception {
        publish("printmaster-agent-v1.4.0-linux-amd64.tar.gz");
        Path outside = Files.write(dir.resolve("printmaster-agent-v9.0.0-linux-amd64.tar.gz"), content("secret"));
        Files.createSymbolicLink(releases.resolve("printmaster-agent-v9.0.0-linux-amd64.tar.gz"), outside);
        Path sub = Files.createDirectory(releases.resolve("old"));
        Files.write(sub.resolve("printmaster-agent-v0.9.0-linux-amd64.tar.gz"), content("old"));
        Files.createDirectory(releases.resolve("printmaster-agent-v8.0.0-linux-amd64.zip"));
        Files.write(releases.resolve(".printmaster-agent-v7.0.0-linux-amd64.tar.gz.Xy12"), content("rsync temp"));
        Files.write(releases.resolve("printmaster-agent-v7.0.0-linux-amd64.tar.gz.part"), content("copy in progress"));
        Files.write(releases.resolve("printmaster-agent-v1.4.0-linux-amd64.tar.gz.sha256"), content("side file"));
        assertEquals(List.of("1.4.0"), versions());
        assertEquals(1, release("1.4.0").assets().size());
    }

    @Test
    void declinesAssetsThatAreNotFilesOfThisFolder() throws Exception {
        publish("printmaster-agent-v1.4.0-linux-amd64.tar.gz");
        ReleaseAsset listed = release("1.4.0").assets().get(0);
        Path other = Files.createDirectory(dir.resolve("other"));
        Files.write(other.resolve(listed.name()), content("other"));
        ReleaseAsset elsewhere = new ReleaseAsset(listed.name(), listed.component(), listed.version(), listed.platform(),
                listed.format(), listed.channel(), listed.size(), other.resolve(listed.name()).toUri(), Optional.empty());
        assertEquals(Optional.empty(), source.open(elsewhere));
        assertEquals(Optional.empty(), source.upstreamChecksum(elsewhere));

        Path outside = Files.write(dir.resolve("printmaster-agent-v9.0.0-linux-amd64.tar.gz"), content("secret"));
        Path link = Files.createSymbolicLink(releases.resolve("printmaster-agent-v9.0.0-linux-amd64.tar.gz"), outside);
        ReleaseAsset forged = new ReleaseAsset(link.getFileName().toString(), listed.component(),
                SemanticVersion.parse("9.0.0"), listed.platform(), listed.format(), listed.channel(), listed.size(),
                link.toUri(), Optional.empty());
        assertEquals(Optional.empty(), source.open(forged), "a link is never followed");
    }

    @Test
    void aMissingFolderIsARetryableErrorNamingThePathKey() throws Exception {
        DirectoryReleaseSource unmounted = new DirectoryReleaseSource("USB", dir.resolve("not-mounted"));
        ReleaseSourceException e = assertThrows(ReleaseSourceException.class, () -> unmounted.releases(Optional.empty()));
        assertTrue(e.retryable());
        assertTrue(e.getMessage().contains("path key"), e.getMessage());
        assertThrows(ReleaseSourceException.class, () -> source.releases(Optional.of("2")), "one page only");
    }

    @Test
    void activatesFromItsConfigurationAndReportsAnInvalidOneOnUseNamingTheKey() throws Exception {
        publish("printmaster-agent-v1.4.0-linux-amd64.tar.gz");
        DirectoryReleaseSource configured = new DirectoryReleaseSource(config("", releases.toString()));
        assertEquals(1, configured.releases(Optional.empty()).releases().size());
        assertTrue(configured.toString().contains(releases.toString()), "no name: the folder is the name");
        for (String bad : new String[] {"", "relative/releases", "\0"}) {
            DirectoryReleaseSource broken = new DirectoryReleaseSource(config("Offline", bad));
            ReleaseSourceException e = assertThrows(ReleaseSourceException.class, () -> broken.releases(Optional.empty()));
            assertFalse(e.retryable());
            assertTrue(e.getMessage().contains("'Offline': invalid configuration: path: "), e.getMessage());
            assertEquals(Optional.empty(), broken.open(release("1.4.0").assets().get(0)), "declines while unconfigured");
        }
    }

    static DirectoryReleaseSource.Config config(String name, String path) {
        return config(name, path, "");
    }

    static DirectoryReleaseSource.Config config(String name, String path, String key) {
        return new DirectoryReleaseSource.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return DirectoryReleaseSource.Config.class;
            }

            @Override
            public String name() {
                return name;
            }

            @Override
            public String path() {
                return path;
            }

            @Override
            public String upstream__public__key() {
                return key;
            }
        };
    }

    @Test
    void checksumListsInTheUsualSpellingsAreRead() {
        String a = "a".repeat(64);
        String b = "B".repeat(64);
        assertEquals(java.util.Map.of("x.zip", Checksum.sha256(a), "y.tar.gz", Checksum.sha256(b)),
                ChecksumFile.parse("# comment\n" + a + "  dist/x.zip\nSHA256 (y.tar.gz) = " + b + "\n\nnot a line\n",
                        Optional.empty()));
        assertEquals(java.util.Map.of(), ChecksumFile.parse(a + "  x.zip\n" + b + "  other/x.zip\n", Optional.empty()),
                "two different digests for one name: no entry rather than a guess");
        assertFalse(ChecksumFile.parse(a + "\n", Optional.of("x.zip")).isEmpty(), "a bare digest in x.zip.sha256");
    }

    static void run(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", command) + ": " + out);
    }

    @Test
    void filesThatAreNotArtifactsAreReportedAsSkippedButItsCompanionFilesAreNot() throws Exception {
        publish("printmaster-agent-v1.4.0-linux-amd64.tar.gz");
        Files.writeString(releases.resolve("NOTES-1.4.0.md"), "notes");
        Files.writeString(releases.resolve("printmaster-agent-v1.4.0-linux-amd64.tar.gz.minisig"), "sig");
        Files.writeString(releases.resolve("install-guide.pdf"), "pdf");
        var page = source.releases(Optional.empty());
        assertEquals(List.of("install-guide.pdf asset_name_not_matched"),
                page.skipped().stream().map(s -> s.asset().orElseThrow() + " " + s.reason()).toList());
    }

    @Test
    void withAnUpstreamKeyOnlyArtifactsSignedByItPass() throws Exception {
        Path keys = Files.createDirectory(dir.resolve("keys"));
        run(keys, "minisign", "-G", "-W", "-p", "upstream.pub", "-s", "upstream.key");
        String good = "printmaster-agent-v1.4.0-linux-amd64.tar.gz";
        String unsigned = "printmaster-agent-v1.4.0-windows-amd64.zip";
        String legacy = "printmaster-agent-v1.4.0-darwin-arm64.tar.gz";
        publish(good, unsigned, legacy);
        run(releases, "minisign", "-S", "-s", keys.resolve("upstream.key").toString(), "-m", good);
        run(releases, "minisign", "-S", "-l", "-s", keys.resolve("upstream.key").toString(), "-m", legacy);
        String key = Files.readAllLines(keys.resolve("upstream.pub")).get(1);
        DirectoryReleaseSource signed = new DirectoryReleaseSource(config("Offline", releases.toString(), key));
        Release r = signed.releases(Optional.empty()).releases().get(0);
        java.util.Map<String, ReleaseAsset> byName = new java.util.HashMap<>();
        r.assets().forEach(a -> byName.put(a.name(), a));

        assertEquals(Optional.empty(), signed.verify(byName.get(good), releases.resolve(good)));
        assertEquals(Optional.empty(), signed.verify(byName.get(legacy), releases.resolve(legacy)), "legacy minisign too");
        var missing = signed.verify(byName.get(unsigned), releases.resolve(unsigned)).orElseThrow();
        assertEquals(io.printmaster.api.release.Refusal.SIGNATURE_INVALID, missing.reason());
        assertTrue(missing.message().contains(unsigned + ".minisig"), missing.message());
        Path altered = Files.writeString(dir.resolve("altered"), "not the signed bytes");
        assertEquals(io.printmaster.api.release.Refusal.SIGNATURE_INVALID,
                signed.verify(byName.get(good), altered).orElseThrow().reason());
        assertEquals(Optional.empty(), source.verify(byName.get(unsigned), releases.resolve(unsigned)),
                "without a key nothing is checked");
        // fail closed: the signed file replaced by a link after it was listed (and downloaded) no longer counts
        Path downloaded = Files.copy(releases.resolve(good), dir.resolve("downloaded"));
        Files.delete(releases.resolve(good));
        Files.createSymbolicLink(releases.resolve(good), downloaded);
        var linked = signed.verify(byName.get(good), downloaded).orElseThrow();
        assertEquals(io.printmaster.api.release.Refusal.SIGNATURE_INVALID, linked.reason());
        assertTrue(linked.message().contains("no longer a plain file"), linked.message());

        DirectoryReleaseSource badKey = new DirectoryReleaseSource(config("Offline", releases.toString(), "ssh-dss AAAA"));
        ReleaseSourceException e = assertThrows(ReleaseSourceException.class, () -> badKey.releases(Optional.empty()));
        assertTrue(e.getMessage().contains("invalid configuration: upstream_public_key: "), e.getMessage());
        assertEquals(Optional.empty(), badKey.open(byName.get(good)), "declines while misconfigured");
    }
}
