package io.printmaster.api.release;

import io.printmaster.api.platform.ComponentName;
import io.printmaster.api.version.SemanticVersion;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the version, and in a monorepo the component, out of a release's tag, with alternatives separated by
 * {@code |} such as {@value #DEFAULT}. Placeholders: {@code {version}} (required, a semantic version) and
 * {@code {component}} (optional, a component name); everything else is literal and case-sensitive. The first
 * alternative that matches the whole tag wins, so {@code agent-v1.2.3} reads as component {@code agent}, version
 * {@code 1.2.3}, and {@code v1.2.3} as version {@code 1.2.3} with no component (every asset names its own).
 *
 * <p>Shared by the release sources that read tags (GitHub releases, feed entries, release folders), so all of them
 * read tags the same way. Immutable and thread-safe.
 *
 * @since 1.4
 */
public final class TagPattern {

    /** {@code v1.2.3}, {@code 1.2.3} and, for monorepos, {@code agent-v1.2.3}. */
    public static final String DEFAULT = "v{version}|{version}|{component}-v{version}";

    private static final String COMPONENT = "(?<component>[a-z0-9](?:[a-z0-9-]*?[a-z0-9])?)";
    private static final String VERSION = "(?<version>(?:0|[1-9]\\d*)\\.(?:0|[1-9]\\d*)\\.(?:0|[1-9]\\d*)"
            + "(?:-[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?)";
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^{}]*)}");

    /** What a matching tag says: its version, and its component when the tag names one. */
    public record Parsed(Optional<ComponentName> component, SemanticVersion version) {
    }

    private record Alternative(String source, Pattern regex, boolean hasComponent) {
    }

    private final String source;
    private final List<Alternative> alternatives;

    private TagPattern(String source, List<Alternative> alternatives) {
        this.source = source;
        this.alternatives = List.copyOf(alternatives);
    }

    /** The default pattern, {@value #DEFAULT}. */
    public static TagPattern defaultPattern() {
        return compile(DEFAULT);
    }

    /**
     * @throws IllegalArgumentException naming what is wrong: an empty alternative, an unknown or repeated
     *                                  placeholder, an alternative without {@code {version}}
     */
    public static TagPattern compile(String pattern) {
        if (pattern == null || pattern.isBlank()) {
            throw new IllegalArgumentException("must not be empty; the default is " + DEFAULT);
        }
        List<Alternative> alternatives = new ArrayList<>();
        for (String raw : pattern.split("\\|", -1)) {
            String alternative = raw.strip();
            if (alternative.isEmpty()) {
                throw new IllegalArgumentException("'" + pattern + "' has an empty alternative between '|'");
            }
            StringBuilder regex = new StringBuilder();
            Set<String> seen = new HashSet<>();
            Matcher m = PLACEHOLDER.matcher(alternative);
            int last = 0;
            while (m.find()) {
                regex.append(literal(alternative.substring(last, m.start()), pattern));
                String name = m.group(1);
                if (!seen.add(name)) {
                    throw new IllegalArgumentException("'" + alternative + "' uses {" + name + "} twice");
                }
                regex.append(switch (name) {
                    case "component" -> COMPONENT;
                    case "version" -> VERSION;
                    default -> throw new IllegalArgumentException("'" + alternative + "' has an unknown placeholder {"
                            + name + "}: expected {version} or {component}");
                });
                last = m.end();
            }
            regex.append(literal(alternative.substring(last), pattern));
            if (!seen.contains("version")) {
                throw new IllegalArgumentException("'" + alternative + "' must contain {version}");
            }
            alternatives.add(new Alternative(alternative, Pattern.compile(regex.toString()), seen.contains("component")));
        }
        return new TagPattern(pattern.strip(), alternatives);
    }

    private static String literal(String text, String pattern) {
        if (text.indexOf('{') >= 0 || text.indexOf('}') >= 0) {
            throw new IllegalArgumentException("'" + pattern + "' has an unbalanced '{' or '}'");
        }
        return text.isEmpty() ? "" : Pattern.quote(text);
    }

    /** What {@code tag} says, or empty when no alternative matches it. */
    public Optional<Parsed> parse(String tag) {
        if (tag == null) {
            return Optional.empty();
        }
        for (Alternative a : alternatives) {
            Matcher m = a.regex().matcher(tag);
            if (!m.matches()) {
                continue;
            }
            try {
                SemanticVersion version = SemanticVersion.parse(m.group("version"));
                Optional<ComponentName> component = a.hasComponent()
                        ? Optional.of(ComponentName.of(m.group("component"))) : Optional.empty();
                return Optional.of(new Parsed(component, version));
            } catch (IllegalArgumentException e) {
                // not a valid component or version after all: another alternative may still read it
            }
        }
        return Optional.empty();
    }

    /**
     * The tags that would name {@code version} of {@code component}, one per alternative, in this pattern's order:
     * how a source finds a release again by its tag ({@code v1.2.3}, {@code 1.2.3}, {@code agent-v1.2.3}).
     */
    public List<String> tagsFor(ComponentName component, SemanticVersion version) {
        Set<String> tags = new LinkedHashSet<>();
        for (Alternative a : alternatives) {
            tags.add(a.source().replace("{version}", version.toString()).replace("{component}", component.value()));
        }
        return List.copyOf(tags);
    }

    @Override
    public String toString() {
        return source;
    }
}
