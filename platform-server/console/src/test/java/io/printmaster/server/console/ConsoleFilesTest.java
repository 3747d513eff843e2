package io.printmaster.server.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The real packed console files: everything the page loads exists and is served with a proper type, and the rules
 * the Content-Security-Policy and the escaping promise depend on hold for every file.
 */
class ConsoleFilesTest {
    private static final Path ROOT = Path.of("src/main/resources/console");
    private final ConsoleAssets assets = ConsoleAssets.fromClassLoader(ConsoleServlet.class.getClassLoader());

    private static List<Path> files(String suffix) throws IOException {
        try (Stream<Path> s = Files.walk(ROOT)) {
            return s.filter(p -> p.toString().endsWith(suffix)).sorted().toList();
        }
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }

    @Test
    void everyFileTheIndexLoadsIsPackedAndTyped() throws IOException {
        String index = read(ROOT.resolve("index.html"));
        Matcher m = Pattern.compile("(?:src|href)=\"(/[^\"]*)\"").matcher(index);
        List<String> missing = new ArrayList<>();
        int count = 0;
        while (m.find()) {
            String path = m.group(1);
            if (path.equals("/") || !path.contains(".")) {
                continue; // a page link, answered with the index
            }
            count++;
            ConsolePaths.Resolution r = ConsolePaths.resolve(path);
            if (!(r instanceof ConsolePaths.Asset a) || assets.find(a.name()).isEmpty()) {
                missing.add(path);
            } else {
                assertFalse(assets.find(a.name()).get().contentType().equals(ContentTypes.FALLBACK), path);
            }
        }
        assertTrue(count >= 3, "index.html loads the stylesheet, the icon and the app");
        assertEquals(List.of(), missing);
    }

    @Test
    void everyModuleImportResolvesToAPackedModule() throws IOException {
        Pattern imports = Pattern.compile("(?m)^\\s*import\\s+(?:[^'\"]*\\s+from\\s+)?'([^']+)'");
        List<String> broken = new ArrayList<>();
        for (Path js : files(".js")) {
            Matcher m = imports.matcher(read(js));
            while (m.find()) {
                Path target = js.getParent().resolve(m.group(1)).normalize();
                if (!m.group(1).startsWith(".") || !Files.isRegularFile(target)) {
                    broken.add(ROOT.relativize(js) + " imports " + m.group(1));
                }
            }
        }
        assertEquals(List.of(), broken);
    }

    @Test
    void noInlineScriptOrStyleSoTheStrictPolicyHolds() throws IOException {
        for (Path html : files(".html")) {
            String text = read(html);
            assertFalse(Pattern.compile("<script(?![^>]*\\bsrc=)[^>]*>").matcher(text).find(), html + " has an inline script");
            assertFalse(text.contains("<style"), html + " has a <style> element");
            assertFalse(Pattern.compile("\\sstyle=").matcher(text).find(), html + " has a style attribute");
            assertFalse(Pattern.compile("\\son[a-z]+=").matcher(text).find(), html + " has an inline event handler");
        }
    }

    @Test
    void scriptsNeverParseMarkupFromStrings() throws IOException {
        // server data is shown through text nodes only; these are the ways a string becomes markup
        Pattern markupSinks = Pattern.compile("innerHTML|outerHTML|insertAdjacentHTML|document\\.write|\\beval\\(|new Function\\(");
        for (Path js : files(".js")) {
            Matcher m = markupSinks.matcher(read(js));
            assertFalse(m.find(), () -> ROOT.relativize(js) + " uses " + m.group());
        }
    }

    @Test
    void onlyTheSanitizerParsesHtmlAndOnlyIntoAnInertDocument() throws IOException {
        // release notes arrive as server-sanitized HTML: one module parses them (DOMParser: no script runs, nothing
        // loads) and copies an allowlist over; no other module may parse HTML at all
        List<String> parsers = new ArrayList<>();
        for (Path js : files(".js")) {
            if (read(js).contains("DOMParser")) {
                parsers.add(ROOT.relativize(js).toString().replace('\\', '/'));
            }
        }
        assertEquals(List.of("js/safe-html.js"), parsers);
        String sanitizer = read(ROOT.resolve("js/safe-html.js"));
        assertTrue(sanitizer.contains("parseFromString("), "the sanitizer parses into a separate document");
        assertFalse(sanitizer.contains("importNode") || sanitizer.contains("adoptNode") || sanitizer.contains("cloneNode"),
                "parsed nodes are never moved into the page; only the allowlist is rebuilt");
    }

    @Test
    void chartJsIsPackedFromItsWebJarAndServedAsScript() {
        // the dashboard loads it from this origin (script-src 'self'); the build unpacks it from the WebJar
        ConsoleAssets.Asset chart = assets.find("vendor/chart.js/chart.umd.min.js").orElseThrow(
                () -> new AssertionError("Chart.js is not packed: the maven-dependency-plugin unpack did not run"));
        assertEquals("text/javascript; charset=utf-8", chart.contentType());
        assertTrue(new String(chart.bytes(), StandardCharsets.UTF_8).contains("4.5.1"), "Chart.js 4.5.1");
        assertTrue(assets.find("vendor/chart.js/LICENSE.md").isPresent(), "its licence ships beside it");
    }

    @Test
    void noReplaceChildrenCallPassesAPossiblyAbsentPart() throws IOException {
        // replaceChildren(null) shows the text "null" (the stray "null" above the policy and agent pages);
        // optional parts go through fill(), which drops them
        List<String> offenders = new ArrayList<>();
        for (Path js : files(".js")) {
            String text = read(js);
            int at = text.indexOf("replaceChildren(");
            while (at >= 0) {
                int start = at + "replaceChildren(".length();
                int depth = 1;
                int i = start;
                StringBuilder topLevel = new StringBuilder();
                while (depth > 0 && i < text.length()) {
                    char c = text.charAt(i++);
                    if (c == '(' || c == '[' || c == '{') {
                        depth++;
                    } else if (c == ')' || c == ']' || c == '}') {
                        depth--;
                    } else if (depth == 1) {
                        topLevel.append(c);
                    }
                }
                if (Pattern.compile("\\bnull\\b|\\bundefined\\b").matcher(topLevel).find()) {
                    offenders.add(ROOT.relativize(js) + ": " + text.substring(at, Math.min(i, at + 120)).replace('\n', ' '));
                }
                at = text.indexOf("replaceChildren(", i);
            }
        }
        assertEquals(List.of(), offenders);
    }

    @Test
    void everyScriptStaysFocused() throws IOException {
        for (Path js : files(".js")) {
            long lines = read(js).lines().count();
            assertTrue(lines < 500, () -> ROOT.relativize(js) + " has " + lines + " lines");
        }
    }
}
