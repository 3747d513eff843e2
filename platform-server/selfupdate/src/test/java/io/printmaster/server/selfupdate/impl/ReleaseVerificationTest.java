package io.printmaster.server.selfupdate.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.platform.Platform;
import io.printmaster.core.wire.ReleaseManifest;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.SignedManifest;
import io.printmaster.server.signing.api.RootKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A server release is installed only with a manifest this server signed, for this artifact, now; fail closed. */
class ReleaseVerificationTest {
    private static final Platform LINUX = Platform.parse("linux-amd64");
    @TempDir
    Path dir;
    Fixtures.Keys keys;
    Fixtures.Catalog catalog;
    Artifact artifact;
    ReleaseVerification verification;

    @BeforeEach
    void publish() throws Exception {
        keys = new Fixtures.Keys("key-1");
        catalog = new Fixtures.Catalog();
        artifact = catalog.publish(dir, "1.4.3", keys);
        verification = new ReleaseVerification(keys);
    }

    private SelfUpdateFailure refused(SignedManifest m) {
        return assertThrows(SelfUpdateFailure.class, () -> verification.verifyManifest(Optional.of(m), artifact, LINUX,
                Fixtures.NOW));
    }

    private SignedManifest signed(ReleaseManifest m) throws Exception {
        byte[] bytes = Fixtures.bytes(m);
        return new SignedManifest(artifact.id(), keys.keyId, bytes, keys.sign(bytes), Fixtures.NOW, Fixtures.NOW);
    }

    private ReleaseManifest good() {
        return Fixtures.manifest(keys.keyId, "server", "1.4.3", "linux", "amd64", artifact.sha256(), artifact.sizeBytes(),
                Fixtures.NOW.plus(Duration.ofDays(30)));
    }

    @Test
    void theServersOwnSignatureOverThisArtifactPasses() throws Exception {
        ReleaseManifest m = verification.verifyManifest(catalog.manifest(artifact.id()), artifact, LINUX, Fixtures.NOW);
        assertEquals("1.4.3", m.version());
        ReleaseVerification.verifyFile(catalog.file(artifact.sha256()).orElseThrow(), m);
    }

    @Test
    void alteredBytesOrAnotherKeyAreSignatureInvalid() throws Exception {
        SignedManifest ok = catalog.manifest(artifact.id()).orElseThrow();
        byte[] altered = new String(ok.manifest(), "UTF-8").replace("\"channel\":\"stable\"", "\"channel\":\"beta\"  ")
                .getBytes("UTF-8");
        SelfUpdateFailure f = refused(new SignedManifest(artifact.id(), keys.keyId, altered, ok.signature(), Fixtures.NOW,
                Fixtures.NOW));
        assertEquals("SIGNATURE_INVALID", f.code(), f.getMessage());
        Fixtures.Keys stranger = new Fixtures.Keys("key-1");
        byte[] bytes = Fixtures.bytes(good());
        f = refused(new SignedManifest(artifact.id(), keys.keyId, bytes, stranger.sign(bytes), Fixtures.NOW, Fixtures.NOW));
        assertEquals("SIGNATURE_INVALID", f.code());
        f = refused(signed(Fixtures.manifest("key-9", "server", "1.4.3", "linux", "amd64", artifact.sha256(),
                artifact.sizeBytes(), Fixtures.NOW.plus(Duration.ofDays(30)))));
        assertEquals("SIGNATURE_INVALID", f.code());
        assertTrue(f.getMessage().contains("not one of this server's keys"), f.getMessage());
        f = refused(new SignedManifest(artifact.id(), keys.keyId, bytes, "not base64!", Fixtures.NOW, Fixtures.NOW));
        assertEquals("SIGNATURE_INVALID", f.code());
    }

    @Test
    void aRevokedKeyOrOneTheRootNoLongerDelegatesIsRefused() throws Exception {
        keys.revoked = true;
        assertEquals("SIGNATURE_INVALID", refused(signed(good())).code());
        keys.revoked = false;
        keys.root = new RootKey("root-1", new byte[32], "PEM", Fixtures.NOW.minus(Duration.ofDays(100)));
        SelfUpdateFailure f = refused(signed(good()));
        assertEquals("SIGNATURE_INVALID", f.code());
        assertTrue(f.getMessage().contains("no valid delegation from root root-1"), f.getMessage());
        keys.delegatedUntil = Fixtures.NOW.minusSeconds(1);
        assertEquals("SIGNATURE_INVALID", refused(signed(good())).code(), "an expired delegation");
        keys.delegatedUntil = Fixtures.NOW.plus(Duration.ofDays(10));
        assertEquals("1.4.3", verification.verifyManifest(Optional.of(signed(good())), artifact, LINUX, Fixtures.NOW).version());
    }

    @Test
    void aSignedManifestForSomethingElseIsManifestInvalid() throws Exception {
        String sha = artifact.sha256();
        long size = artifact.sizeBytes();
        java.time.Instant later = Fixtures.NOW.plus(Duration.ofDays(30));
        for (ReleaseManifest m : new ReleaseManifest[] {
                Fixtures.manifest(keys.keyId, "agent", "1.4.3", "linux", "amd64", sha, size, later),
                Fixtures.manifest(keys.keyId, "server", "1.4.4", "linux", "amd64", sha, size, later),
                Fixtures.manifest(keys.keyId, "server", "1.4.3", "darwin", "arm64", sha, size, later),
                Fixtures.manifest(keys.keyId, "server", "1.4.3", "linux", "amd64", "f".repeat(64), size, later),
                Fixtures.manifest(keys.keyId, "server", "1.4.3", "linux", "amd64", sha, size + 1, later),
                Fixtures.manifest(keys.keyId, "server", "1.4.3", "linux", "amd64", sha, size, Fixtures.NOW)}) {
            SelfUpdateFailure f = refused(signed(m));
            assertEquals("MANIFEST_INVALID", f.code(), f.getMessage());
        }
        SelfUpdateFailure none = assertThrows(SelfUpdateFailure.class,
                () -> verification.verifyManifest(Optional.empty(), artifact, LINUX, Fixtures.NOW));
        assertEquals("MANIFEST_INVALID", none.code());
    }

    @Test
    void cachedBytesThatDifferFromTheManifestAreRefused() throws Exception {
        Path file = catalog.file(artifact.sha256()).orElseThrow();
        ReleaseManifest m = verification.verifyManifest(catalog.manifest(artifact.id()), artifact, LINUX, Fixtures.NOW);
        byte[] b = Files.readAllBytes(file);
        b[b.length / 2] ^= 1;
        Files.write(file, b);
        SelfUpdateFailure f = assertThrows(SelfUpdateFailure.class, () -> ReleaseVerification.verifyFile(file, m));
        assertEquals("MANIFEST_INVALID", f.code());
        assertTrue(f.getMessage().contains("SHA-256"), f.getMessage());
    }
}
