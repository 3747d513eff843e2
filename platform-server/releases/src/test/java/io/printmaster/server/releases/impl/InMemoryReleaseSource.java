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
        return new ReleasePage(List.of(releases.get(page)), next);
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
