package io.printmaster.server.installers.impl;

import io.printmaster.api.installer.AppendableInstallerFormat;
import io.printmaster.api.installer.InstallerFormat;
import io.printmaster.api.installer.InstallerFormatException;
import io.printmaster.http.api.Downloads;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fleet's installer, from the cache or built into it, in one of two modes:
 * <ul>
 *   <li><b>split</b>, when the format is an {@link AppendableInstallerFormat}: the cached base holds the official
 *   artifact and the public fleet files, in plain text and shared by every join token of the fleet; each download
 *   appends the tail the format makes, in memory, from the secret files (the join token). Nothing secret is ever
 *   written to disk, and serving the base costs no decryption.</li>
 *   <li><b>whole</b>, otherwise (an MSI), or when the format refuses to split this artifact: the whole installer,
 *   token included, encrypted at rest (the {@code .pmi} files of {@link InstallerCache}).</li>
 * </ul>
 */
final class CachedInstallers {
    private static final Logger LOG = LoggerFactory.getLogger(CachedInstallers.class);
    /** How many refusals to split are remembered; past it the memory starts over (each refusal is cheap to learn). */
    private static final int MAX_REMEMBERED_REFUSALS = 1024;

    private final InstallerCache cache;
    private final Clock clock;
    /** The replicas' shared generated_at per configuration; null: this process's clock (tests). */
    private final InstallerBuildTimes buildTimes;
    /** Base keys whose format refused to split: they go straight to the whole path (until a restart). */
    private final Map<String, String> refusedToSplit = new ConcurrentHashMap<>();

    CachedInstallers(InstallerCache cache, Clock clock) {
        this(cache, clock, null);
    }

    CachedInstallers(InstallerCache cache, Clock clock, InstallerBuildTimes buildTimes) {
        this.cache = cache;
        this.clock = clock;
        this.buildTimes = buildTimes;
    }

    /** The generated_at of a configuration: the one the first replica to build it recorded. */
    private java.time.Instant generatedAt(String configHash) throws java.sql.SQLException {
        return buildTimes == null ? clock.instant() : buildTimes.generatedAt(configHash, clock.instant());
    }

    /**
     * What to build: the cache key's parts but the configuration hash, the plugin and the official artifact.
     *
     * @param pluginId the plugin's bundle symbolic name and version
     */
    record Target(String fleet, String version, String platform, String format, String artifactSha256,
                  String artifactName, String pluginId, InstallerFormat plugin, Path official) {
        Target {
            Objects.requireNonNull(plugin, "plugin");
            Objects.requireNonNull(official, "official");
        }

        InstallerCache.Key key(String configHash) {
            return new InstallerCache.Key(fleet, version, platform, format, artifactSha256, pluginId, configHash);
        }
    }

    /**
     * An installer ready to serve.
     *
     * @param etag  strong and quoted; it changes whenever any byte does
     * @param built whether this request built (the base or the whole installer): {@code X-PrintMaster-Installer-Cache}
     * @param split whether it is a cached base and a tail (else a whole encrypted installer)
     */
    record Served(long length, String etag, Downloads.RangeWriter writer, boolean built, boolean split) {
    }

    /**
     * The installer of {@code target} with the fleet files of {@code inputs}.
     *
     * @throws InstallerFormatException when the format refuses the artifact (then nothing is cached)
     */
    Served get(Target target, FleetFilesComposer.Inputs inputs) throws Exception {
        if (target.plugin() instanceof AppendableInstallerFormat appendable) {
            Served split = split(target, appendable, inputs);
            if (split != null) {
                return split;
            }
        }
        return whole(target, inputs);
    }

    /** The split installer, or null when the format refuses to split this artifact. */
    private Served split(Target target, AppendableInstallerFormat format, FleetFilesComposer.Inputs inputs)
            throws Exception {
        String configHash = FleetFilesComposer.publicConfigurationHash(inputs);
        InstallerCache.Key key = target.key(configHash);
        if (refusedToSplit.containsKey(key.id())) {
            return null;
        }
        try {
            InstallerCache.Base base = cache.getBase(key, output -> {
                long started = System.nanoTime();
                byte[] state = format.prepareBase(target.official(),
                        FleetFilesComposer.publicFiles(inputs, generatedAt(configHash)), output);
                LOG.info("built the {} installer base of fleet {} for {} (agent {}, {}) in {} ms", target.format(),
                        target.fleet(), target.platform(), target.version(), target.pluginId(),
                        (System.nanoTime() - started) / 1_000_000);
                return state;
            });
            byte[] tail = format.tail(base.length(), base.state(), FleetFilesComposer.secretFiles(inputs));
            if (tail == null) {
                throw new InstallerFormatException("the format returned no tail");
            }
            return new Served(base.length() + tail.length, etag(base.sha256(), tail), concatenation(base, tail),
                    base.built(), true);
        } catch (InstallerFormatException e) {
            if (refusedToSplit.size() >= MAX_REMEMBERED_REFUSALS) {
                refusedToSplit.clear();
            }
            refusedToSplit.put(key.id(), String.valueOf(e.getMessage()));
            LOG.info("the {} installer of fleet {} for {} cannot be split into a cached base and a tail by {} ({}); "
                            + "it is built whole and kept encrypted", target.format(), target.fleet(), target.platform(),
                    target.pluginId(), e.getMessage());
            return null;
        }
    }

    private Served whole(Target target, FleetFilesComposer.Inputs inputs) throws Exception {
        String configHash = FleetFilesComposer.configurationHash(inputs);
        InstallerCache.Entry entry = cache.get(target.key(configHash), output -> {
            long started = System.nanoTime();
            target.plugin().repackage(target.official(), FleetFilesComposer.compose(inputs, generatedAt(configHash)), output);
            LOG.info("built the {} installer of fleet {} for {} (agent {}, {}) in {} ms", target.format(), target.fleet(),
                    target.platform(), target.version(), target.pluginId(), (System.nanoTime() - started) / 1_000_000);
        });
        return new Served(entry.length(), "\"" + entry.sha256() + "\"",
                (offset, length, out) -> entry.reader().copy(offset, length, out), entry.built(), false);
    }

    /**
     * The entity tag of a split installer: the quoted SHA-256 of {@code <base sha256 hex>:<tail sha256 hex>}. Not
     * the SHA-256 of the body (that would mean reading the whole base per download), but as strong: any change of a
     * byte of the base or of the tail changes it.
     */
    static String etag(String baseSha256, byte[] tail) {
        String tailSha256 = HexFormat.of().formatHex(ChunkedEncryption.digest(tail));
        byte[] both = (baseSha256 + ":" + tailSha256).getBytes(StandardCharsets.US_ASCII);
        return "\"" + HexFormat.of().formatHex(ChunkedEncryption.digest(both)) + "\"";
    }

    /** Writes any range of base followed by tail: the base's part from its file, the tail's from memory. */
    static Downloads.RangeWriter concatenation(InstallerCache.Base base, byte[] tail) {
        long baseLength = base.length();
        long total = baseLength + tail.length;
        return (offset, length, out) -> {
            if (offset < 0 || length < 0 || offset + length > total) {
                throw new IOException("range " + offset + "+" + length + " is outside the " + total + " bytes");
            }
            long end = offset + length;
            if (offset < baseLength) {
                base.copy(offset, Math.min(end, baseLength) - offset, out);
            }
            if (end > baseLength) {
                int from = (int) Math.max(0, offset - baseLength);
                out.write(tail, from, (int) (end - baseLength) - from);
            }
        };
    }
}
