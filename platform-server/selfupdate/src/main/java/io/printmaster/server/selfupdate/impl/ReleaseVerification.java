package io.printmaster.server.selfupdate.impl;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.printmaster.api.platform.Platform;
import io.printmaster.api.signing.SigningException;
import io.printmaster.core.wire.ReleaseManifest;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.SignedManifest;
import io.printmaster.server.signing.api.RootKey;
import io.printmaster.server.signing.api.SigningKey;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.SQLException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Decides, failing closed, whether a cached server release may be installed, as an agent decides for its own: the
 * signed manifest's signature verifies over the exact bytes with a key of this server that is neither revoked nor
 * pending and, when the server has a root, whose delegation by the root is valid now ({@code SIGNATURE_INVALID}
 * otherwise); the manifest is a current one for this very artifact: component {@code server}, its version, this
 * platform, not expired, the artifact's SHA-256 and size ({@code MANIFEST_INVALID} otherwise); and the cached file's
 * bytes hash to what the manifest says ({@code MANIFEST_INVALID}).
 */
final class ReleaseVerification {
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();
    private static final String ANY = "any";

    private final ServerTrust trust;

    ReleaseVerification(ServerTrust trust) {
        this.trust = trust;
    }

    /** The manifest, once its signature, chain and members are checked against the artifact. */
    ReleaseManifest verifyManifest(Optional<SignedManifest> signed, Artifact artifact, Platform platform, Instant now)
            throws SelfUpdateFailure {
        if (signed.isEmpty()) {
            throw new SelfUpdateFailure("MANIFEST_INVALID", "server " + artifact.version()
                    + " has no signed manifest yet: the server signs one when it takes a release in (check the "
                    + "signing key on the Signing keys page)");
        }
        byte[] bytes = signed.get().manifest();
        byte[] signature;
        try {
            signature = Base64.getDecoder().decode(signed.get().signature() == null ? "" : signed.get().signature().strip());
        } catch (IllegalArgumentException e) {
            throw signature("the manifest signature is not base64");
        }
        if (signature.length != 64) {
            throw signature("the manifest signature is " + signature.length + " bytes, not 64");
        }
        ReleaseManifest m;
        try {
            m = JSON.readValue(bytes, ReleaseManifest.class);
        } catch (IOException e) {
            throw manifest("the manifest is not valid JSON of the manifest format: " + e.getMessage());
        }
        if (m == null) {
            throw manifest("the manifest is not a JSON object");
        }
        String keyId = m.keyId() == null ? "" : m.keyId();
        checkKey(keyId, now);
        try {
            if (!trust.verify(keyId, bytes, signature)) {
                throw signature("the manifest signature does not verify with key " + keyId);
            }
        } catch (SigningException e) {
            throw new SelfUpdateFailure("SIGNATURE_INVALID", "the manifest signature cannot be checked: " + e.getMessage(), e);
        }
        if (!Integer.valueOf(ReleaseManifest.VERSION_1).equals(m.manifestVersion())) {
            throw manifest("manifest_version " + m.manifestVersion() + " is not one this server knows (1)");
        }
        if (!CandidateSelection.COMPONENT.equals(m.component())) {
            throw manifest("the manifest is for component '" + m.component() + "', not 'server'");
        }
        if (!artifact.version().equals(m.version())) {
            throw manifest("the manifest is for version " + m.version() + ", the artifact is " + artifact.version());
        }
        String os = platform.os().wireName();
        String arch = platform.arch().wireName();
        if (!(ANY.equals(m.platform()) || os.equals(m.platform())) || !(ANY.equals(m.arch()) || arch.equals(m.arch()))) {
            throw manifest("the manifest is for " + m.platform() + "-" + m.arch() + ", this server runs on " + os + "-" + arch);
        }
        Instant expires;
        try {
            expires = Instant.parse(m.expiresAt() == null ? "" : m.expiresAt());
        } catch (DateTimeParseException e) {
            throw manifest("expires_at is not a time: " + m.expiresAt());
        }
        if (!now.isBefore(expires)) {
            throw manifest("the manifest expired at " + expires + ": the server renews manifests on its own; retry later");
        }
        if (m.sha256() == null || !m.sha256().equals(artifact.sha256())) {
            throw manifest("the manifest's sha256 " + m.sha256() + " is not the artifact's " + artifact.sha256());
        }
        if (m.sizeBytes() == null || m.sizeBytes() != artifact.sizeBytes()) {
            throw manifest("the manifest's size_bytes " + m.sizeBytes() + " is not the artifact's " + artifact.sizeBytes());
        }
        return m;
    }

    /** The signing key may sign for this server now: known, not revoked or pending, delegated by the root when there is one. */
    private void checkKey(String keyId, Instant now) throws SelfUpdateFailure {
        Optional<SigningKey> key;
        Optional<RootKey> root;
        try {
            key = keyId.isEmpty() ? Optional.empty() : trust.key(keyId);
            root = trust.root();
        } catch (SQLException e) {
            throw new SelfUpdateFailure("SIGNATURE_INVALID", "the server's keys cannot be read: " + e.getMessage(), e);
        }
        if (key.isEmpty()) {
            throw signature("the manifest is signed by key '" + keyId + "', which is not one of this server's keys");
        }
        SigningKey k = key.get();
        if (k.revokedAt() != null) {
            throw signature("the manifest is signed by key " + keyId + ", revoked at " + k.revokedAt());
        }
        if (k.pending()) {
            throw signature("the manifest is signed by key " + keyId + ", which the root has not delegated yet (pending)");
        }
        if (root.isPresent() && (k.delegatedUntil() == null || !now.isBefore(k.delegatedUntil()))) {
            throw signature("key " + keyId + " has no valid delegation from root " + root.get().id()
                    + (k.delegatedUntil() == null ? "" : " (it expired at " + k.delegatedUntil() + ")"));
        }
    }

    /** The cached bytes are those the manifest names. */
    static void verifyFile(Path file, ReleaseManifest manifest) throws SelfUpdateFailure {
        try {
            long size = Files.size(file);
            if (size != manifest.sizeBytes()) {
                throw manifest("the cached file is " + size + " bytes, the manifest says " + manifest.sizeBytes());
            }
            String actual = sha256(file);
            if (!actual.equals(manifest.sha256())) {
                throw manifest("the cached file's SHA-256 is " + actual + ", the manifest says " + manifest.sha256());
            }
        } catch (IOException e) {
            throw new SelfUpdateFailure("DOWNLOAD_FAILED", "the cached release file cannot be read: " + e.getMessage(), e);
        }
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = in.read(buffer)) > 0) {
                d.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static SelfUpdateFailure signature(String message) {
        return new SelfUpdateFailure("SIGNATURE_INVALID", message);
    }

    private static SelfUpdateFailure manifest(String message) {
        return new SelfUpdateFailure("MANIFEST_INVALID", message);
    }
}
