package io.printmaster.server.releases.impl;

import io.printmaster.server.releases.api.ReleaseNotes;
import java.util.List;
import org.commonmark.node.Link;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.DefaultUrlSanitizer;
import org.commonmark.renderer.html.HtmlRenderer;

/**
 * Release notes (Markdown from an upstream, untrusted) to HTML an admin page can insert as it is: CommonMark with
 * every raw HTML block and inline tag escaped (shown as text), link and image URLs other than {@code http},
 * {@code https} and {@code mailto} dropped ({@code javascript:}, {@code data:}, {@code vbscript:} …), and every link
 * marked {@code rel="nofollow noopener noreferrer"}. Escaping rather than filtering tags leaves nothing for a
 * filter to miss: the renderer writes only the elements of CommonMark itself, with escaped text and attributes.
 * Thread-safe (the parser and renderer are immutable).
 */
final class ReleaseNotesRenderer {
    /** Notes longer than this are cut before rendering: bounds the work one release can cause. */
    static final int MAX_CHARS = 200_000;

    /** The schemes a link or image may use; relative URLs stay (they cannot carry a script). */
    private static final List<String> SAFE_SCHEMES = List.of("http", "https", "mailto");

    private static final Parser PARSER = Parser.builder().build();
    private static final HtmlRenderer RENDERER = HtmlRenderer.builder()
            .escapeHtml(true)
            .sanitizeUrls(true)
            .urlSanitizer(new DefaultUrlSanitizer(SAFE_SCHEMES))
            .percentEncodeUrls(true)
            .attributeProviderFactory(context -> (node, tagName, attributes) -> {
                if (node instanceof Link) {
                    attributes.put("rel", "nofollow noopener noreferrer");
                }
            })
            .build();

    private ReleaseNotesRenderer() {
    }

    /** The notes as published and as sanitized HTML. */
    static ReleaseNotes render(String markdown) {
        String source = markdown.length() <= MAX_CHARS ? markdown
                : markdown.substring(0, MAX_CHARS) + "\n\n*(release notes cut at " + MAX_CHARS + " characters)*\n";
        return new ReleaseNotes(markdown, RENDERER.render(PARSER.parse(source)));
    }
}
