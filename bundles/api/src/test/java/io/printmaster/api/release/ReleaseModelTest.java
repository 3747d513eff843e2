package io.printmaster.api.release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.platform.ComponentName;
import io.printmaster.api.platform.Platform;
import io.printmaster.api.version.SemanticVersion;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ReleaseModelTest {

    static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    static ReleaseAsset asset(String name, String format) {
        return new ReleaseAsset(name, ComponentName.AGENT, SemanticVersion.parse("0.9.14"),
                Optional.of(Platform.parse("windows-amd64")), format, Channel.STABLE, OptionalLong.of(1024),
                URI.create("https://example.com/" + name), Optional.empty());
    }

    @Test
    void checksumNormalisesAndMatchesDigests() throws Exception {
        Checksum c = Checksum.sha256(EMPTY_SHA256.toUpperCase());
        assertEquals(EMPTY_SHA256, c.hex());
        assertEquals("SHA-256:" + EMPTY_SHA256, c.toString());
        byte[] digest = MessageDigest.getInstance(Checksum.SHA_256).digest(new byte[0]);
        assertTrue(c.matches(digest));
        assertEquals(c, Checksum.sha256(digest));
        assertFalse(c.matches(MessageDigest.getInstance("SHA-256").digest(new byte[] {1})));
    }

    @Test
    void checksumRejectsMalformed() {
        assertEquals("'abc' is not a SHA-256 digest: expected 64 hexadecimal digits",
                assertThrows(IllegalArgumentException.class, () -> Checksum.sha256("abc")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Checksum.sha256(EMPTY_SHA256.replace('e', 'g')));
        assertEquals("unsupported checksum algorithm 'MD5': expected SHA-256",
                assertThrows(IllegalArgumentException.class, () -> new Checksum("MD5", EMPTY_SHA256)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Checksum.sha256(new byte[16]));
    }

    @Test
    void channels() {
        assertEquals(Channel.BETA, Channel.fromWireName("beta"));
        assertEquals("stable", Channel.STABLE.wireName());
        assertThrows(IllegalArgumentException.class, () -> Channel.fromWireName("edge"));
        assertTrue(Channel.BETA.accepts(Channel.STABLE));
        assertTrue(Channel.BETA.accepts(Channel.BETA));
        assertFalse(Channel.BETA.accepts(Channel.ALPHA));
        assertFalse(Channel.STABLE.accepts(Channel.BETA));
        assertTrue(Channel.ALPHA.accepts(Channel.STABLE));
    }

    @Test
    void channelOfVersion() {
        assertEquals(Channel.STABLE, Channel.forVersion(SemanticVersion.parse("1.0.0+build.1")));
        assertEquals(Channel.BETA, Channel.forVersion(SemanticVersion.parse("1.0.0-rc.1")));
        assertEquals(Channel.BETA, Channel.forVersion(SemanticVersion.parse("1.0.0-beta.2")));
        assertEquals(Channel.ALPHA, Channel.forVersion(SemanticVersion.parse("1.0.0-alpha.1")));
        assertEquals(Channel.ALPHA, Channel.forVersion(SemanticVersion.parse("1.0.0-SNAPSHOT")));
        assertEquals(Channel.ALPHA, Channel.forVersion(SemanticVersion.parse("1.0.0-nightly.20261126")));
    }

    @Test
    void assetValidation() {
        assertEquals("msi", asset("a.msi", "msi").format());
        assertEquals("asset name 'dir/a.zip' must be a plain file name",
                assertThrows(IllegalArgumentException.class, () -> asset("dir/a.zip", "zip")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> asset("..", "zip"));
        assertEquals("asset format 'ZIP' must be lowercase letters, digits, '.' and '-' (zip, tar.gz, msi)",
                assertThrows(IllegalArgumentException.class, () -> asset("a.zip", "ZIP")).getMessage());
        assertEquals("tar.gz", asset("a.tar.gz", "tar.gz").format());
        assertThrows(IllegalArgumentException.class, () -> new ReleaseAsset("a.zip", ComponentName.AGENT,
                SemanticVersion.parse("1.0.0"), Optional.empty(), "zip", Channel.STABLE, OptionalLong.of(-1),
                URI.create("https://example.com/a.zip"), Optional.empty()));
    }

    @Test
    void releaseCopiesAssets() {
        List<ReleaseAsset> assets = new ArrayList<>(List.of(asset("a.msi", "msi")));
        Release r = new Release("v0.9.14", SemanticVersion.parse("0.9.14"), Channel.STABLE, Optional.empty(),
                Optional.of("fixes"), assets);
        assets.clear();
        assertEquals(1, r.assets().size());
        assertThrows(IllegalArgumentException.class, () -> new Release(" ", SemanticVersion.parse("0.9.14"),
                Channel.STABLE, Optional.empty(), Optional.empty(), List.of()));
    }

    @Test
    void defaultChecksumAndNotesComeFromTheListing() throws Exception {
        ReleaseAsset withSum = new ReleaseAsset("a.zip", ComponentName.AGENT, SemanticVersion.parse("1.0.0"),
                Optional.empty(), "zip", Channel.STABLE, OptionalLong.empty(), URI.create("https://example.com/a.zip"),
                Optional.of(Checksum.sha256(EMPTY_SHA256)));
        Release release = new Release("v1.0.0", SemanticVersion.parse("1.0.0"), Channel.STABLE, Optional.empty(),
                Optional.of("Initial release"), List.of(withSum));
        ReleaseSource source = new ReleaseSource() {
            @Override
            public ReleasePage releases(Optional<String> pageToken) {
                return ReleasePage.last(List.of(release));
            }

            @Override
            public Optional<InputStream> open(ReleaseAsset asset) {
                return asset.equals(withSum) ? Optional.of(new ByteArrayInputStream(new byte[0])) : Optional.empty();
            }
        };
        assertEquals(Optional.of(Checksum.sha256(EMPTY_SHA256)), source.upstreamChecksum(withSum));
        assertEquals(Optional.of("Initial release"), source.notes(release));
        assertEquals(Optional.empty(), source.releases(Optional.empty()).nextPageToken());
        assertTrue(source.open(asset("b.msi", "msi")).isEmpty(), "an asset it did not list is declined");
        try (InputStream in = source.open(withSum).orElseThrow()) {
            assertEquals("", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void sourceExceptionSaysWhetherToRetry() {
        assertTrue(new ReleaseSourceException("rate limited until 12:00", true).retryable());
        assertFalse(new ReleaseSourceException("repository not found", false).retryable());
    }
}
