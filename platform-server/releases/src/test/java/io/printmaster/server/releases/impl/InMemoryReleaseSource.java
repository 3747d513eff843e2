package io.printmaster.server.releases.impl;

import io.printmaster.api.platform.ComponentName;
import io.printmaster.api.platform.Platform;
import io.printmaster.api.release.Channel;
import io.printmaster.api.release.Checksum;
import io.printmaster.api.release.Release;
import io.printmaster.api.release.ReleaseAsset;
import io.printmaster.api.release.ReleasePage;
import io.printmaster.api.release.ReleaseSource;
import io.printmaster.api.release.ReleaseSourceException;
import io.printmaster.api.release.Refusal;
import io.printmaster.api.release.Skipped;
import io.printmaster.api.version.SemanticVersion;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A release source over bytes in memory, one release per page (the last one added first, as upstreams list by
 * publication date), with upstream checksums that a test
 * can make lie (a tampered asset). It can resume at an offset.
 */
class InMemoryReleaseSource implements ReleaseSource {
    private final List<Release> releases = new ArrayList<>();
    private final Map<String, byte[]> content = new HashMap<>();
    final List<Integer> pagesRead = new ArrayList<>();
    /** Reported on the first page, as a source reports what it left out. */
    final List<Skipped> skips = new ArrayList<>();
    /** Asset names refused in the listing with {@link Refusal#COMPONENT_MISMATCH}. */
    final java.util.Set<String> mismatched = new java.util.HashSet<>();
    /** Asset names refused after the download with {@link Refusal#SIGNATURE_INVALID}. */
    final java.util.Set<String> badlySigned = new java.util.HashSet<>();
    /** The files {@link #verify} was shown. */
    final List<java.nio.file.Path> verified = new ArrayList<>();

    /** Adds a release of {@code component} with one asset per given platform ("linux-amd64", or null for any) and format. */
    InMemoryReleaseSource release(String component, String version, String notes, Asset... assets) {
        SemanticVersion v = SemanticVersion.parse(version);
        List<ReleaseAsset> list = new ArrayList<>();
        for (Asset a : assets) {
            String name = "printmaster-" + component + "-v" + version + (a.platform == null ? "" : "-" + a.platform) + "." + a.format;
            Checksum published = a.publishedChecksum != null ? a.publishedChecksum : ArtifactCacheTest.sha(a.bytes);
            list.add(new ReleaseAsset(name, new ComponentName(component), v,
                    a.platform == null ? Optional.empty() : Optional.of(Platform.parse(a.platform)), a.format,
                    Channel.forVersion(v), OptionalLong.of(a.bytes.length), URI.create("mem://" + name),
                    a.withChecksum ? Optional.of(published) : Optional.empty()));
            content.put(name, a.bytes);
        }
        // newest first, as upstreams list them: the release added last was published last
        releases.add(0, new Release("v" + version, v, Channel.forVersion(v), Optional.of(Instant.parse("2026-11-01T10:00:00.123Z")),
                Optional.ofNullable(notes), list));
        return this;
    }

    record Asset(String platform, String format, byte[] bytes, Checksum publishedChecksum, boolean withChecksum) {
        static Asset of(String platform, String format, byte[] bytes) {
            return new Asset(platform, format, bytes, null, true);
        }

        /** An asset whose bytes differ from the checksum the upstream publishes. */
        static Asset tampered(String platform, String format, byte[] bytes) {
            byte[] other = bytes.clone();
            other[0] ^= 1;
            return new Asset(platform, format, bytes, ArtifactCacheTest.sha(other), true);
        }

        static Asset withoutChecksum(String platform, String format, byte[] bytes) {
            return new Asset(platform, format, bytes, null, false);
        }
    }

    @Override
    public synchronized ReleasePage releases(Optional<String> pageToken) throws ReleaseSourceException {
        int page = pageToken.map(Integer::parseInt).orElse(0);
        pagesRead.add(page);
        if (page >= releases.size()) {
            return ReleasePage.last(List.of());
        }
        Optional<String> next = page + 1 < releases.size() ? Optional.of(Integer.toString(page + 1)) : Optional.empty();
        Release release = releases.get(page);
        List<Refusal> refused = release.assets().stream().filter(a -> mismatched.contains(a.name()))
                .map(a -> new Refusal(a, Refusal.COMPONENT_MISMATCH, "tag names another component than " + a.name()))
                .toList();
        Release listed = new Release(release.id(), release.version(), release.channel(), release.publishedAt(),
                release.notes(), release.assets().stream().filter(a -> !mismatched.contains(a.name())).toList());
        return new ReleasePage(List.of(listed), next, page == 0 ? skips : List.of(), refused);
    }

    @Override
    public synchronized Optional<Refusal> verify(ReleaseAsset asset, java.nio.file.Path file) {
        verified.add(file);
        return badlySigned.contains(asset.name())
                ? Optional.of(new Refusal(asset, Refusal.SIGNATURE_INVALID, "no valid signature for " + asset.name()))
                : Optional.empty();
    }

    @Override
    public Optional<InputStream> open(ReleaseAsset asset) {
        byte[] b = content.get(asset.name());
        return b == null ? Optional.empty() : Optional.of(new ByteArrayInputStream(b));
    }

    @Override
    public Optional<InputStream> open(ReleaseAsset asset, long offset) {
        byte[] b = content.get(asset.name());
        return b == null ? Optional.empty() : Optional.of(new ByteArrayInputStream(b, (int) offset, b.length - (int) offset));
    }
}
