package io.printmaster.server.releases.api;

import java.util.Objects;

/**
 * The release notes of a release as cached from its source, for people to read before they approve it.
 *
 * @param markdown the notes as the source published them (Markdown, untrusted)
 * @param html     the notes rendered with CommonMark and made safe to put into a page as they are: raw HTML of the
 *                 notes escaped (shown as text, never run), links and images only with {@code http}, {@code https}
 *                 or {@code mailto} URLs (others dropped), every link {@code rel="nofollow noopener noreferrer"}
 * @since 1.3
 */
public record ReleaseNotes(String markdown, String html) {
    public ReleaseNotes {
        Objects.requireNonNull(markdown, "markdown");
        Objects.requireNonNull(html, "html");
    }
}
