package io.printmaster.core.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/**
 * A release offered to an agent: the agent's own update ({@link CheckInAnswer#update()}) or a vendor plugin's
 * ({@link CheckInAnswer#pluginUpdates()}). The agent trusts nothing here but {@link #manifestBase64()} and
 * {@link #signature()}: it verifies the signature over those exact bytes and takes every other fact from the
 * verified manifest; the remaining members are for people and logs.
 *
 * @param component      the plugin's component; absent in the agent's own {@code update}
 * @param version        the offered version
 * @param format         the artifact's format ({@code tar.gz}, {@code zip}, {@code jar} for a plugin)
 * @param sha256         the artifact's SHA-256 (hex)
 * @param sizeBytes      the artifact's size
 * @param manifest       the signed manifest bytes as a string (for people)
 * @param manifestBase64 the same bytes, base64: what the agent verifies
 * @param signature      the Ed25519 signature over those bytes, base64
 * @param keyId          the signing key's id
 * @param expiresAt      when the manifest expires
 * @param downloadUrl    where the agent downloads the artifact, relative to the server
 * @param rolloutId      the rollout this offer belongs to (the server took a slot of it for this agent); absent when
 *                       no rollout governs the offer. Not signed: the agent only remembers it, and trusts a downgrade
 *                       only through the signed manifest's own {@code rollout_id}; since 1.2
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record UpdateOffer(
        @JsonProperty("component") @JsonInclude(JsonInclude.Include.NON_NULL) String component,
        @JsonProperty("version") String version,
        @JsonProperty("format") String format,
        @JsonProperty("sha256") String sha256,
        @JsonProperty("size_bytes") long sizeBytes,
        @JsonProperty("manifest") String manifest,
        @JsonProperty("manifest_base64") String manifestBase64,
        @JsonProperty("signature") String signature,
        @JsonProperty("key_id") String keyId,
        @JsonProperty("expires_at") Instant expiresAt,
        @JsonProperty("download_url") String downloadUrl,
        @JsonProperty("rollout_id") @JsonInclude(JsonInclude.Include.NON_NULL) String rolloutId) {

    /** An offer outside any rollout (1.1's members). */
    public UpdateOffer(String component, String version, String format, String sha256, long sizeBytes, String manifest,
                       String manifestBase64, String signature, String keyId, Instant expiresAt, String downloadUrl) {
        this(component, version, format, sha256, sizeBytes, manifest, manifestBase64, signature, keyId, expiresAt,
                downloadUrl, null);
    }

    /**
     * The same offer as part of a rollout.
     *
     * @since 1.2
     */
    public UpdateOffer withRolloutId(String rollout) {
        return new UpdateOffer(component, version, format, sha256, sizeBytes, manifest, manifestBase64, signature, keyId,
                expiresAt, downloadUrl, rollout);
    }
}
