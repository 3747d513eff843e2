package io.printmaster.api.release;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One page of a source's releases, newest first, and the token for the next (older) page, with what the source
 * saw on that page but did not list (since 1.4).
 *
 * @param releases      the releases of this page, newest first
 * @param nextPageToken opaque token to pass to {@link ReleaseSource#releases(Optional)} for older releases; empty
 *                      on the last page
 * @param skipped       releases and assets of this page left out on purpose, each with its reason (since 1.4)
 * @param refused       assets of this page that are the upstream's but must not be taken in (since 1.4)
 */
public record ReleasePage(List<Release> releases, Optional<String> nextPageToken, List<Skipped> skipped,
                          List<Refusal> refused) {

    public ReleasePage {
        releases = List.copyOf(Objects.requireNonNull(releases, "releases"));
        Objects.requireNonNull(nextPageToken, "nextPageToken");
        skipped = List.copyOf(Objects.requireNonNull(skipped, "skipped"));
        refused = List.copyOf(Objects.requireNonNull(refused, "refused"));
    }

    /** A page without skipped or refused entries (the form before 1.4). */
    public ReleasePage(List<Release> releases, Optional<String> nextPageToken) {
        this(releases, nextPageToken, List.of(), List.of());
    }

    /** The last page. */
    public static ReleasePage last(List<Release> releases) {
        return new ReleasePage(releases, Optional.empty());
    }
}
