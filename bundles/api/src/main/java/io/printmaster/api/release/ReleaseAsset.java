package io.printmaster.api.release;

import io.printmaster.api.platform.ComponentName;
import io.printmaster.api.platform.Platform;
import io.printmaster.api.version.SemanticVersion;
import java.net.URI;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One downloadable file of a release, such as {@code printmaster-agent-0.9.14-windows-amd64.msi}.
 *
 * @param name           the file name as published (no directories)
 * @param component      the software it contains
 * @param version        the version of that software
 * @param platform       the platform it runs on; empty when it runs anywhere (an archive of Java bundles)
 * @param format         the packaging, as an installer format's type names it: {@code zip}, {@code tar.gz},
 *                       {@code msi}, …: lowercase letters, digits, {@code .} and {@code -}
 * @param channel        how mature it is
 * @param size           its size in bytes, when the source knows it
 * @param downloadUrl    where the source fetches it from (informational for the server; the bytes come through
 *                       {@link ReleaseSource#open})
 * @param upstreamSha256 the checksum the upstream publishes for it, when known in the listing (a source may also
 *                       find it later, see {@link ReleaseSource#upstreamChecksum})
 */
public record ReleaseAsset(String name, ComponentName component, SemanticVersion version, Optional<Platform> platform,
                           String format, Channel channel, OptionalLong size, URI downloadUrl,
                           Optional<Checksum> upstreamSha256) {

    /**
     * @throws IllegalArgumentException for a blank name or one with a path, a malformed format or a negative size
     */
    public ReleaseAsset {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(component, "component");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(platform, "platform");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(size, "size");
        Objects.requireNonNull(downloadUrl, "downloadUrl");
        Objects.requireNonNull(upstreamSha256, "upstreamSha256");
        if (name.isBlank() || name.contains("/") || name.contains("\\") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("asset name '" + name + "' must be a plain file name");
        }
        if (format.isEmpty() || !format.equals(format.toLowerCase(Locale.ROOT))
                || !format.chars().allMatch(c -> c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-')) {
            throw new IllegalArgumentException("asset format '" + format
                    + "' must be lowercase letters, digits, '.' and '-' (zip, tar.gz, msi)");
        }
        if (size.isPresent() && size.getAsLong() < 0) {
            throw new IllegalArgumentException("asset size must not be negative: " + size.getAsLong());
        }
    }
}
