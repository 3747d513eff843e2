package io.printmaster.agent.worker.impl;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.printmaster.core.wire.ManifestBundle;
import io.printmaster.core.wire.ReleaseManifest;
import io.printmaster.agent.files.Digests;
import io.printmaster.api.signing.SigningException;
import io.printmaster.api.signing.SigningProvider;
import io.printmaster.api.version.SemanticVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Decides, failing closed, whether the agent may act on a signed manifest and on the bytes it names. Every refusal
 * is an {@link UpdateFailure} with its error code: {@code MANIFEST_ERROR} for the manifest (bad signature, untrusted
 * key, another platform, expired, an older release counter, a format this agent does not know),
 * {@code HASH_MISMATCH} for bytes whose size or SHA-256 differ from the manifest's. The signature is checked over
 * the exact bytes received, before any field is read for a decision.
 */
final class ManifestVerifier {
    /**
     * Reads the manifest as the wire contract's {@link ReleaseManifest}: a duplicate member, a number given as a
     * string or a fraction where a whole number belongs is a malformed manifest; members a newer server adds are
     * ignored.
     */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    /** A bundle of an agent archive: a jar directly in {@code bundle/}, a plain file name (no traversal). */
    private static final Pattern BUNDLE_PATH = Pattern.compile("bundle/[0-9A-Za-z_][0-9A-Za-z._+-]*\\.jar");
    private static final String ANY = "any";
    /**
     * The longest a manifest may be valid ({@code expires_at - generated_at}): the server never signs longer
     * (docs/manifests.md), so a longer one was made to outlive a key's compromise or a withdrawn release.
     */
    static final java.time.Duration MAX_VALIDITY = java.time.Duration.ofDays(90);

    /** What this agent expects of a manifest meant for it. */
    record Expectation(String component, String platform, String arch, long installedReleaseCounter) {
    }

    private final SigningProvider signatures;

    ManifestVerifier(SigningProvider signatures) {
        this.signatures = signatures;
    }

    /** The provider that checks signatures (also of key rotation statements). */
    SigningProvider signatures() {
        return signatures;
    }

    /**
     * @param manifest        the exact bytes the server sent
     * @param signatureBase64 their Ed25519 signature, base64
     * @throws UpdateFailure {@code MANIFEST_ERROR} naming the first check that failed
     */
    VerifiedManifest verify(byte[] manifest, String signatureBase64, TrustAnchors trust, Expectation expected,
                            Instant now) throws UpdateFailure {
        if (manifest == null || manifest.length == 0) {
            throw refused("the server sent no manifest");
        }
        byte[] signature;
        try {
            signature = Base64.getDecoder().decode(signatureBase64 == null ? "" : signatureBase64.strip());
        } catch (IllegalArgumentException e) {
            throw refused("the manifest signature is not base64");
        }
        if (signature.length != 64) {
            throw refused("the manifest signature is " + signature.length + " bytes, not 64");
        }
        ReleaseManifest m;
        try {
            m = JSON.readValue(manifest, ReleaseManifest.class);
        } catch (IOException e) {
            throw refused("the manifest is not valid JSON of the manifest format: "
                    + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
        if (m == null) {
            throw refused("the manifest is not a JSON object");
        }
        // the key id is read before the signature is checked only to pick the key; nothing else is trusted yet
        String keyId = m.keyId() == null ? "" : m.keyId();
        // only a key this agent uses now: not retired by a rotation, not revoked, delegated by the root when it has one
        byte[] key = trust.manifestKey(keyId, now);
        try {
            if (!signatures.verify(key, manifest, signature)) {
                throw refused("the manifest signature does not verify with key " + keyId);
            }
        } catch (SigningException e) {
            throw new UpdateFailure("MANIFEST_ERROR", "the manifest signature cannot be checked: " + e.getMessage(), e);
        }
        if (!Integer.valueOf(ReleaseManifest.VERSION_1).equals(m.manifestVersion())) {
            throw refused("manifest_version " + m.manifestVersion() + " is not one this agent knows (1)");
        }
        String component = text(m.component(), "component");
        if (!component.equals(expected.component())) {
            throw refused("the manifest is for component '" + component + "', not '" + expected.component() + "'");
        }
        String platform = text(m.platform(), "platform");
        String arch = text(m.arch(), "arch");
        if (!(platform.equals(ANY) || platform.equals(expected.platform()))
                || !(arch.equals(ANY) || arch.equals(expected.arch()))) {
            throw refused("the manifest is for " + platform + "-" + arch + ", this agent runs on "
                    + expected.platform() + "-" + expected.arch());
        }
        Instant expiresAt;
        try {
            expiresAt = Instant.parse(text(m.expiresAt(), "expires_at"));
        } catch (DateTimeParseException e) {
            throw refused("expires_at is not a time: " + m.expiresAt());
        }
        if (!now.isBefore(expiresAt)) {
            throw refused("the manifest expired at " + expiresAt + " (now " + now + "): the server must re-sign it");
        }
        checkValidityPeriod(m.generatedAt(), expiresAt);
        long counter = m.releaseCounter() == null ? -1 : m.releaseCounter();
        if (counter < 0) {
            throw refused("release_counter is missing or negative");
        }
        if (counter < expected.installedReleaseCounter()) {
            throw refused("release_counter " + counter + " is lower than the installed " + expected.installedReleaseCounter()
                    + ": a replayed older manifest");
        }
        String version = text(m.version(), "version");
        try {
            SemanticVersion.parse(version);
        } catch (IllegalArgumentException e) {
            throw refused("version '" + version + "' is not a semantic version");
        }
        String sha256 = text(m.sha256(), "sha256");
        if (!SHA256.matcher(sha256).matches()) {
            throw refused("sha256 is not 64 lowercase hex digits");
        }
        long size = m.sizeBytes() == null ? -1 : m.sizeBytes();
        if (size <= 0) {
            throw refused("size_bytes is missing or not positive");
        }
        return new VerifiedManifest(component, version, platform, arch, text(m.format(), "format"), sha256, size, counter,
                keyId, expiresAt, bundles(m.bundles()), runtime(m.runtimeSha256()), downgradeOf(m));
    }

    /** Refuses a manifest without a signing time or valid for longer than {@link #MAX_VALIDITY}. */
    private static void checkValidityPeriod(String generatedAtText, Instant expiresAt) throws UpdateFailure {
        Instant generatedAt;
        try {
            generatedAt = Instant.parse(text(generatedAtText, "generated_at"));
        } catch (DateTimeParseException e) {
            throw refused("generated_at is not a time: " + generatedAtText);
        }
        if (java.time.Duration.between(generatedAt, expiresAt).compareTo(MAX_VALIDITY) > 0) {
            throw refused("the manifest is valid from " + generatedAt + " to " + expiresAt + ", longer than the "
                    + MAX_VALIDITY.toDays() + " days a server may sign for");
        }
    }

    /** The {@code bundles} list of an agent archive's manifest; one malformed entry refuses the whole manifest. */
    private static List<VerifiedManifest.Bundle> bundles(List<ManifestBundle> list) throws UpdateFailure {
        List<VerifiedManifest.Bundle> bundles = new ArrayList<>();
        Set<String> paths = new HashSet<>();
        Set<String> names = new HashSet<>();
        for (ManifestBundle b : list) {
            if (b == null) {
                throw refused("bundles lists a null entry");
            }
            String path = b.path() == null ? "" : b.path();
            if (!BUNDLE_PATH.matcher(path).matches()) {
                throw refused("bundles: path '" + path + "' is not a jar directly in bundle/");
            }
            String name = b.symbolicName() == null ? "" : b.symbolicName();
            if (name.isBlank() || name.contains(";")) {
                throw refused("bundles: " + path + " has no usable symbolic_name");
            }
            String sha = b.sha256() == null ? "" : b.sha256();
            if (!SHA256.matcher(sha).matches()) {
                throw refused("bundles: " + path + " has no sha256 of 64 lowercase hex digits");
            }
            long size = b.sizeBytes() == null ? -1 : b.sizeBytes();
            if (size <= 0) {
                throw refused("bundles: " + path + " has no positive size_bytes");
            }
            if (!paths.add(path) || !names.add(name)) {
                throw refused("bundles: " + path + " (" + name + ") is listed twice");
            }
            bundles.add(new VerifiedManifest.Bundle(path, name, b.version() == null ? "0.0.0" : b.version(), sha, size));
        }
        return bundles;
    }

    /**
     * The rollout a rollback manifest is bound to; null for a manifest that is not one. A {@code downgrade} marker
     * without its {@code rollout_id} is refused: nothing would bind the older release to a rollout this agent took
     * part in. Whether it did is {@link ReleaseSource#verifyAgent}'s decision, which knows the agent's state.
     */
    private static String downgradeOf(ReleaseManifest m) throws UpdateFailure {
        if (m.downgrade() == null || !m.downgrade()) {
            return null;
        }
        String rollout = m.rolloutId();
        if (rollout == null || rollout.isBlank()) {
            throw refused("the manifest is a downgrade (\"downgrade\": true) without rollout_id: a rollback must name "
                    + "the rollout it rolls back");
        }
        return rollout;
    }

    private static String runtime(String runtimeSha256) throws UpdateFailure {
        if (runtimeSha256 == null) {
            return null;
        }
        if (!SHA256.matcher(runtimeSha256).matches()) {
            throw refused("runtime_sha256 is not 64 lowercase hex digits");
        }
        return runtimeSha256;
    }

    /**
     * Checks downloaded bytes against a verified manifest.
     *
     * @throws UpdateFailure {@code HASH_MISMATCH} when the size or the SHA-256 differ
     * @throws IOException when the file cannot be read
     */
    static void verifyBytes(Path file, VerifiedManifest manifest) throws UpdateFailure, IOException {
        long size = Files.size(file);
        if (size != manifest.sizeBytes()) {
            throw new UpdateFailure("HASH_MISMATCH", "the download is " + size + " bytes, the manifest says "
                    + manifest.sizeBytes());
        }
        String actual = sha256(file);
        if (!actual.equals(manifest.sha256())) {
            throw new UpdateFailure("HASH_MISMATCH", "the download's SHA-256 is " + actual + ", the manifest says "
                    + manifest.sha256());
        }
    }

    /** The SHA-256 of a file's bytes, lower-case hex. */
    static String sha256(Path file) throws IOException {
        return Digests.sha256Hex(file);
    }

    private static String text(String value, String field) throws UpdateFailure {
        if (value == null || value.isBlank()) {
            throw refused(field + " is missing");
        }
        return value;
    }

    private static UpdateFailure refused(String message) {
        return new UpdateFailure("MANIFEST_ERROR", message);
    }
}
