package io.printmaster.api.release;

import io.printmaster.api.version.SemanticVersion;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A published release: a version and the assets published with it (one per component, platform and format).
 *
 * @param id          the source's own stable identifier (a Git tag such as {@code v0.9.14}, a feed entry id); the
 *                    same release always has the same id
 * @param version     the version released
 * @param channel     how mature it is
 * @param publishedAt when the upstream published it, if known
 * @param notes       release notes (Markdown or plain text) when the listing carries them; see also
 *                    {@link ReleaseSource#notes}
 * @param assets      the files; may be empty (a release whose files are not uploaded yet)
 */
public record Release(String id, SemanticVersion version, Channel channel, Optional<Instant> publishedAt,
                      Optional<String> notes, List<ReleaseAsset> assets) {

    /**
     * @throws IllegalArgumentException for a blank id
     */
    public Release {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(publishedAt, "publishedAt");
        Objects.requireNonNull(notes, "notes");
        assets = List.copyOf(Objects.requireNonNull(assets, "assets"));
        if (id.isBlank()) {
            throw new IllegalArgumentException("release id must not be blank");
        }
    }
}
