package io.printmaster.server.releases.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.ReleaseNotes;
import io.printmaster.store.impl.DerbyDatabase;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Release notes come from outside (an upstream's release body) and are shown to the admin who approves a rollout:
 * ordinary Markdown renders, nothing in them can run in the console.
 */
class ReleaseNotesTest {
    private static final Instant NOW = Instant.parse("2026-12-07T08:00:00Z");

    @TempDir
    Path dir;
    DerbyDatabase db;
    ReleaseStore store;
    ArtifactCache cache;
    ReleaseCatalogService catalog;

    @BeforeEach
    void open() throws Exception {
        db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        store = new ReleaseStore(db);
        cache = new ArtifactCache(dir.resolve("artifacts"));
        catalog = new ReleaseCatalogService(store, cache, new BundleCache(dir.resolve("bundles")));
    }

    @AfterEach
    void close() {
        cache.close();
        db.close();
    }

    private void record(String version, String platform, String notes) throws Exception {
        store.record(new Artifact(0, "agent", version, platform, "amd64", "zip", "stable", "ab".repeat(32), 10,
                "a.zip", "s", "github", "https://example.org/a.zip", notes, null, NOW));
    }

    @Test
    void ordinaryMarkdownRendersToHtml() throws Exception {
        String md = """
                ## What's new in 1.2.0

                - faster **check-ins**
                - a fix for `retry_after_seconds`

                1. first
                2. second

                ```
                ./pm test
                ```

                See [the changelog](https://example.org/changelog?a=1&b=2) or <https://example.org/auto>.
                ![diagram](https://example.org/d.png)
                """;
        record("1.2.0", "linux", md);

        ReleaseNotes notes = catalog.releaseNotes("agent", "1.2.0").orElseThrow();

        assertEquals(md, notes.markdown(), "the Markdown as published");
        String html = notes.html();
        assertTrue(html.contains("<h2>What's new in 1.2.0</h2>") || html.contains("<h2>What&#39;s new in 1.2.0</h2>"), html);
        assertTrue(html.contains("<li>faster <strong>check-ins</strong></li>"), html);
        assertTrue(html.contains("<code>retry_after_seconds</code>"), html);
        assertTrue(html.contains("<ol>\n<li>first</li>"), html);
        assertTrue(html.contains("<pre><code>./pm test\n</code></pre>"), html);
        assertTrue(html.contains("<a rel=\"nofollow noopener noreferrer\" "
                + "href=\"https://example.org/changelog?a=1&amp;b=2\">the changelog</a>"), html);
        assertTrue(html.contains("<a rel=\"nofollow noopener noreferrer\" href=\"https://example.org/auto\">"), html);
        assertTrue(html.contains("<img src=\"https://example.org/d.png\" alt=\"diagram\" />"), html);
    }

    @Test
    void hostileNotesRenderWithNothingThatRuns() throws Exception {
        String md = """
                <script>alert('block')</script>

                <div onmouseover="alert(1)">an HTML block</div>

                Inline <img src=x onerror="alert(2)"> and <a href="javascript:alert(3)">a raw link</a>.

                [click](javascript:alert(4)) [case](JaVaScRiPt:alert(5)) [spaced](  javascript:alert(6)  )
                [entity](&#106;avascript:alert(7)) [data](data:text/html;base64,PHNjcmlwdD5hbGVydCg4KTwvc2NyaXB0Pg==)
                [vb](vbscript:msgbox(9)) ![img](javascript:alert(10)) ![data img](data:image/svg+xml,<svg onload=alert(11)>)
                [ref link][r]

                <iframe src="https://evil.example"></iframe>
                <style>body{display:none}</style>

                [r]: javascript:alert(12)
                """;
        record("6.6.6", "linux", md);

        String html = catalog.releaseNotes("agent", "6.6.6").orElseThrow().html();
        String lower = html.toLowerCase(Locale.ROOT);

        for (String tag : new String[] {"<script", "<div", "<iframe", "<style", "<img src=x", "<a href=\"javascript"}) {
            assertFalse(lower.contains(tag), tag + " in " + html);
        }
        assertTrue(html.contains("&lt;script&gt;alert"), "raw HTML is shown as text: " + html);
        assertTrue(html.contains("&lt;div onmouseover="), html);
        // no attribute an element of ours carries may hold a script: every href/src is http(s), mailto, or empty
        Matcher attr = Pattern.compile("(href|src)=\"([^\"]*)\"").matcher(html);
        int links = 0;
        while (attr.find()) {
            links++;
            String url = attr.group(2).toLowerCase(Locale.ROOT);
            assertTrue(url.isEmpty() || url.startsWith("http://") || url.startsWith("https://") || url.startsWith("mailto:"),
                    "unsafe URL kept: " + attr.group(0) + " in " + html);
        }
        assertTrue(links >= 8, "the hostile links were rendered (with their URLs dropped): " + html);
        // event handlers only ever appear escaped, as text
        Matcher handler = Pattern.compile("<[a-z][^>]*\\son[a-z]+=", Pattern.CASE_INSENSITIVE).matcher(html);
        assertFalse(handler.find(), "an element with an event handler: " + html);
        Matcher anchor = Pattern.compile("<a ([^>]*)>").matcher(html);
        while (anchor.find()) {
            assertTrue(anchor.group(1).contains("rel=\"nofollow noopener noreferrer\""), anchor.group(0));
        }
    }

    @Test
    void notesOfAnyArtifactOfTheVersionCountAndNoneMeansEmpty() throws Exception {
        record("1.0.0", "linux", null);
        record("1.0.0", "windows", "# 1.0.0\n");
        record("1.1.0", "linux", "   \n");
        assertEquals("<h1>1.0.0</h1>\n", catalog.releaseNotes("agent", "1.0.0").orElseThrow().html());
        assertEquals(Optional.empty(), catalog.releaseNotes("agent", "1.1.0"), "blank notes are no notes");
        assertEquals(Optional.empty(), catalog.releaseNotes("agent", "9.9.9"));
        assertEquals(Optional.empty(), catalog.releaseNotes("server", "1.0.0"));
    }

    @Test
    void veryLongNotesAreCutBeforeRendering() {
        String md = "word ".repeat(ReleaseNotesRenderer.MAX_CHARS);
        ReleaseNotes notes = ReleaseNotesRenderer.render(md);
        assertEquals(md, notes.markdown());
        assertTrue(notes.html().length() < ReleaseNotesRenderer.MAX_CHARS + 200, "cut: " + notes.html().length());
        assertTrue(notes.html().contains("release notes cut at 200000 characters"));
    }
}
