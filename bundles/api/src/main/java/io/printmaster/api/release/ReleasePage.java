package io.printmaster.api.release;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One page of a source's releases, newest first, and the token for the next (older) page.
 *
 * @param releases      the releases of this page, newest first
 * @param nextPageToken opaque token to pass to {@link ReleaseSource#releases(Optional)} for older releases; empty
 *                      on the last page
 */
public record ReleasePage(List<Release> releases, Optional<String> nextPageToken) {

    public ReleasePage {
        releases = List.copyOf(Objects.requireNonNull(releases, "releases"));
        Objects.requireNonNull(nextPageToken, "nextPageToken");
    }

    /** The last page. */
    public static ReleasePage last(List<Release> releases) {
        return new ReleasePage(releases, Optional.empty());
    }
}
