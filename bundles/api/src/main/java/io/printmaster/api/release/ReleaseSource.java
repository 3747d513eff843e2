package io.printmaster.api.release;

import io.printmaster.api.plugin.PluginName;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A place releases come from: a GitHub repository, an HTTP feed, a local directory, a vendor's own system.
 *
 * <p>Register an implementation as an OSGi service with {@link ReleaseSourceType} (and {@link PluginName}):
 * <pre>{@code
 * @Component(service = ReleaseSource.class, configurationPolicy = ConfigurationPolicy.REQUIRE)
 * @ReleaseSourceType(type = "github")
 * @PluginName("GitHub releases")
 * public class GitHubReleaseSource implements ReleaseSource { ... }
 * }</pre>
 * A source for several upstreams (two repositories, three feeds) is a factory configuration, one service per
 * upstream. The server lists every source periodically ("intake"): it reads pages until it meets releases it
 * already knows, so a source should list newest first and page cheaply. Built-in sources register with a low
 * {@code service.ranking}, so a vendor's source of the same type wins.
 *
 * <p>Methods may be called from several threads at once. A source that cannot serve a request (an asset it did
 * not list) declines by returning empty; it throws {@link ReleaseSourceException} only when it should be able to
 * answer but cannot.
 */
@ConsumerType
public interface ReleaseSource {

    /** Service property: the kind of source ({@code github}, {@code http-feed}, {@code directory}, …). */
    String TYPE = "printmaster.release.source.type";

    /** Service property: the plugin's human-readable name, see {@link PluginName}. */
    String PLUGIN_NAME = PluginName.PROPERTY;

    /**
     * One page of releases, newest first.
     *
     * @param pageToken empty for the first (newest) page, otherwise {@link ReleasePage#nextPageToken()} of the
     *                  previous page
     * @throws ReleaseSourceException when the upstream cannot be listed
     */
    ReleasePage releases(Optional<String> pageToken) throws ReleaseSourceException;

    /**
     * Opens the bytes of an asset this source listed. The caller closes the stream, verifies the bytes against
     * the upstream checksum and never trusts them before.
     *
     * @return the stream, or empty when the asset is not one of this source's
     * @throws ReleaseSourceException when the asset should be available but cannot be fetched
     */
    Optional<InputStream> open(ReleaseAsset asset) throws ReleaseSourceException;

    /**
     * Opens the bytes of an asset this source listed from byte {@code offset} on, so that an interrupted download
     * resumes instead of starting over (an HTTP source sends {@code Range: bytes=<offset>-} and accepts only a
     * {@code 206} answer starting at that offset; a directory source seeks). The stream must start exactly at
     * {@code offset}; the caller hashes the bytes it already has together with these and verifies the whole against
     * the upstream checksum, so a source that resumes wrongly causes a rejected download, never a trusted one.
     *
     * <p>The default declines: a source that cannot start in the middle need not do anything, and the caller then
     * downloads the whole asset again with {@link #open(ReleaseAsset)}.
     *
     * @param offset the number of bytes already received, at least 1
     * @return the stream from {@code offset}, or empty when this source cannot resume (or did not list the asset)
     * @throws ReleaseSourceException when the asset should be available but cannot be fetched
     * @since 1.1
     */
    default Optional<InputStream> open(ReleaseAsset asset, long offset) throws ReleaseSourceException {
        return Optional.empty();
    }

    /**
     * The checksum the upstream publishes for an asset. By default the one in the listing; a source whose
     * checksums live elsewhere (a {@code SHA256SUMS} file, a {@code .sha256} asset) fetches them here.
     *
     * @return the checksum, or empty when the upstream publishes none for this asset
     * @throws ReleaseSourceException when the checksum exists but cannot be fetched
     */
    default Optional<Checksum> upstreamChecksum(ReleaseAsset asset) throws ReleaseSourceException {
        return asset.upstreamSha256();
    }

    /**
     * The release notes. By default those in the listing; a source that fetches them separately does it here.
     *
     * @return the notes, or empty when there are none
     * @throws ReleaseSourceException when notes exist but cannot be fetched
     */
    default Optional<String> notes(Release release) throws ReleaseSourceException {
        return release.notes();
    }

    /**
     * A last word on an asset once its bytes are in: called after they were verified against the upstream checksum
     * and stored, before anything is recorded or signed. A source that checks upstream signatures (a
     * {@code .minisig} or SSH signature beside the asset, against a public key it is configured with) refuses here,
     * typically with {@link Refusal#SIGNATURE_INVALID}; the server then reports the refusal and drops the bytes.
     *
     * <p>The default accepts: a source without such a check need not do anything.
     *
     * @param asset the asset, as this source listed it
     * @param file  its verified bytes; read only, never keep the path
     * @return the refusal, or empty to accept the asset
     * @throws ReleaseSourceException when the check cannot be made now (the signature cannot be fetched); the asset
     *                                is then not taken in by this sync
     * @since 1.4
     */
    default Optional<Refusal> verify(ReleaseAsset asset, Path file) throws ReleaseSourceException {
        return Optional.empty();
    }
}
