package io.printmaster.core.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The members of a signed release manifest ({@code docs/manifests.md}). The server signs the canonical JSON of this
 * record (members sorted by name); an agent reads it only from the exact bytes whose signature it verified, and checks
 * each member itself (a reader never trusts a member because it parsed). Numbers are boxed so that a reader can tell a
 * missing member ({@code null}) from a zero.
 *
 * @param manifestVersion  {@code 1}; another number is a format the reader does not know: refuse
 * @param component        {@code agent}, {@code server} or a plugin's component
 * @param version          the semantic version
 * @param minorLine        {@code MAJOR.MINOR} of the version; null when the version is not semantic
 * @param platform         {@code linux}, {@code windows}, {@code darwin} or {@code any}
 * @param arch             {@code amd64}, {@code arm64} or {@code any}
 * @param channel          {@code stable}, {@code beta} or {@code alpha}
 * @param format           {@code zip}, {@code tar.gz}, {@code msi}, {@code jar}, …
 * @param sha256           the artifact's SHA-256 (hex)
 * @param sizeBytes        the artifact's size
 * @param sourceUrl        where the server fetched it (informational)
 * @param publishedAt      when the upstream published it (ISO-8601, seconds), or null
 * @param generatedAt      when the manifest was signed (ISO-8601, seconds)
 * @param expiresAt        when it expires (ISO-8601, seconds)
 * @param releaseCounter   the component's release counter (never goes down on an agent)
 * @param bundles          the agent archive's bundles; empty for anything else
 * @param keyId            the signing key's id
 * @param runtimeSha256    agent archives only: the hash of everything that is not a bundle; absent otherwise
 * @param restartRequired  agent archives only: whether the runtime differs from the next lower version's; absent
 *                         otherwise
 * @param downgrade        {@code true} only in a rollback manifest: the server signed this older version afresh (with
 *                         a release counter above every counter it had handed out) to take the agents of one rollout
 *                         back; absent otherwise. An agent accepts it only when {@code rolloutId} names a rollout it
 *                         updated through; since 1.2
 * @param rolloutId        with {@code downgrade}: the rollout being rolled back; absent otherwise; since 1.2
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ReleaseManifest(
        @JsonProperty("manifest_version") Integer manifestVersion,
        @JsonProperty("component") String component,
        @JsonProperty("version") String version,
        @JsonProperty("minor_line") String minorLine,
        @JsonProperty("platform") String platform,
        @JsonProperty("arch") String arch,
        @JsonProperty("channel") String channel,
        @JsonProperty("format") String format,
        @JsonProperty("sha256") String sha256,
        @JsonProperty("size_bytes") Long sizeBytes,
        @JsonProperty("source_url") String sourceUrl,
        @JsonProperty("published_at") String publishedAt,
        @JsonProperty("generated_at") String generatedAt,
        @JsonProperty("expires_at") String expiresAt,
        @JsonProperty("release_counter") Long releaseCounter,
        @JsonProperty("bundles") List<ManifestBundle> bundles,
        @JsonProperty("key_id") String keyId,
        @JsonProperty("runtime_sha256") @JsonInclude(JsonInclude.Include.NON_NULL) String runtimeSha256,
        @JsonProperty("restart_required") @JsonInclude(JsonInclude.Include.NON_NULL) Boolean restartRequired,
        @JsonProperty("downgrade") @JsonInclude(JsonInclude.Include.NON_NULL) Boolean downgrade,
        @JsonProperty("rollout_id") @JsonInclude(JsonInclude.Include.NON_NULL) String rolloutId) {

    /** The only manifest format there is. */
    public static final int VERSION_1 = 1;

    /** A manifest that is not a rollback's (1.1's members). */
    public ReleaseManifest(Integer manifestVersion, String component, String version, String minorLine,
                           String platform, String arch, String channel, String format, String sha256, Long sizeBytes,
                           String sourceUrl, String publishedAt, String generatedAt, String expiresAt,
                           Long releaseCounter, List<ManifestBundle> bundles, String keyId, String runtimeSha256,
                           Boolean restartRequired) {
        this(manifestVersion, component, version, minorLine, platform, arch, channel, format, sha256, sizeBytes,
                sourceUrl, publishedAt, generatedAt, expiresAt, releaseCounter, bundles, keyId, runtimeSha256,
                restartRequired, null, null);
    }

    /**
     * Whether this is a rollback manifest ({@code "downgrade": true}).
     *
     * @since 1.2
     */
    public boolean isDowngrade() {
        return Boolean.TRUE.equals(downgrade);
    }

    /** {@code bundles} is never null, whatever an older writer left out. */
    public ReleaseManifest {
        bundles = bundles == null ? List.of() : List.copyOf(bundles);
    }
}
