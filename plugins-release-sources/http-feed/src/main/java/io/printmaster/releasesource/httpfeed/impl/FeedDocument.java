package io.printmaster.releasesource.httpfeed.impl;

import com.fasterxml.jackson.databind.JsonNode;
import io.printmaster.api.platform.ComponentName;
import io.printmaster.api.platform.Platform;
import io.printmaster.api.release.Channel;
import io.printmaster.api.release.Checksum;
import io.printmaster.api.release.Release;
import io.printmaster.api.release.ReleaseAsset;
import io.printmaster.api.release.Refusal;
import io.printmaster.api.release.Skipped;
import io.printmaster.api.release.TagPattern;
import io.printmaster.api.version.SemanticVersion;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Reads a feed document of schema {@value #SCHEMA} (described with an example in {@code docs/release-feed.md}).
 * Strict about what it needs, tolerant of what it does not know: a missing or malformed required field fails the
 * whole document with the JSON path of the field ({@code releases[1].assets[0].sha256}), so a half-valid feed is
 * never half taken; fields it does not know are ignored, so publishers can add their own (anything incompatible
 * gets a new schema name).
 */
final class FeedDocument {
    static final String SCHEMA = "printmaster.feed.v1";

    /**
     * One document: its releases, newest version first, the URL of the next (older) document, and what was left out
     * or refused because of what an entry's {@code id} says ({@code tag_pattern}).
     */
    record Page(List<Release> releases, Optional<URI> next, List<Skipped> skipped, List<Refusal> refused) {
        Page(List<Release> releases, Optional<URI> next) {
            this(releases, next, List.of(), List.of());
        }
    }

    /** A required field is missing or malformed. */
    static final class FormatException extends Exception {
        private static final long serialVersionUID = 1L;
        private final String path;

        FormatException(String path, String message) {
            super(path + ": " + message);
            this.path = path;
        }

        /** Where in the document, such as {@code releases[1].assets[0].sha256}. */
        String path() {
            return path;
        }
    }

    private FeedDocument() {
    }

    /**
     * @param base the URL the document was read from; relative {@code url}s and {@code next} resolve against it
     */
    static Page parse(JsonNode root, URI base) throws FormatException {
        return parse(root, base, TagPattern.defaultPattern());
    }

    /**
     * @param tags how an entry's {@code id} is read: when it matches with a component ({@code agent-v1.2.0}), its
     *             version must be the entry's (else the entry is skipped, {@value Skipped#TAG_VERSION_MISMATCH}) and
     *             the component must be every asset's (else that asset is refused,
     *             {@link Refusal#COMPONENT_MISMATCH}); one version may then be listed once per component. Any other
     *             id is just a name.
     */
    static Page parse(JsonNode root, URI base, TagPattern tags) throws FormatException {
        if (!root.isObject()) {
            throw new FormatException("$", "expected a JSON object with \"schema\": \"" + SCHEMA + "\"");
        }
        String schema = text(root, "schema", "schema");
        if (!schema.equals(SCHEMA)) {
            throw new FormatException("schema", "'" + schema + "' is not supported: expected " + SCHEMA);
        }
        Optional<String> next = optionalText(root, "next", "next");
        Optional<URI> nextUrl = next.isPresent() ? Optional.of(url(next.get(), base, "next")) : Optional.empty();
        JsonNode releases = root.get("releases");
        if (releases == null || !releases.isArray()) {
            throw new FormatException("releases", releases == null ? "required (an array, possibly empty)"
                    : "expected an array");
        }
        List<Release> out = new ArrayList<>();
        List<Skipped> skipped = new ArrayList<>();
        List<Refusal> refused = new ArrayList<>();
        Map<String, String> seenVersions = new HashMap<>();
        for (int i = 0; i < releases.size(); i++) {
            String path = "releases[" + i + "]";
            Release r = release(releases.get(i), path, base);
            // only an id naming a component is a monorepo tag; other ids stay free-form names, as before
            Optional<TagPattern.Parsed> tag = tags.parse(r.id()).filter(t -> t.component().isPresent());
            if (tag.isPresent() && !tag.get().version().equals(r.version())) {
                skipped.add(Skipped.release(r.id(), Skipped.TAG_VERSION_MISMATCH, "entry id '" + r.id() + "' ("
                        + path + ") names version " + tag.get().version() + ", but its version is " + r.version()));
                continue;
            }
            Optional<ComponentName> component = tag.flatMap(TagPattern.Parsed::component);
            String key = component.map(c -> c.value() + " ").orElse("") + r.version();
            String before = seenVersions.putIfAbsent(key, path);
            if (before != null) {
                throw new FormatException(path + ".version", key + " is listed twice (also " + before + ")");
            }
            if (component.isPresent()) {
                List<ReleaseAsset> kept = new ArrayList<>();
                for (ReleaseAsset a : r.assets()) {
                    if (a.component().equals(component.get())) {
                        kept.add(a);
                    } else {
                        refused.add(new Refusal(a, Refusal.COMPONENT_MISMATCH, "entry " + r.id() + " is a release of "
                                + component.get().value() + ", but its asset " + a.name() + " is a " + a.component().value()));
                    }
                }
                r = new Release(r.id(), r.version(), r.channel(), r.publishedAt(), r.notes(), kept);
            }
            out.add(r);
        }
        out.sort(Comparator.comparing(Release::version).reversed());
        return new Page(out, nextUrl, skipped, refused);
    }

    private static Release release(JsonNode node, String path, URI base) throws FormatException {
        if (!node.isObject()) {
            throw new FormatException(path, "expected an object");
        }
        String versionText = text(node, "version", path + ".version");
        SemanticVersion version;
        try {
            version = SemanticVersion.parse(versionText);
        } catch (IllegalArgumentException e) {
            throw new FormatException(path + ".version", e.getMessage());
        }
        String id = optionalText(node, "id", path + ".id").orElse(versionText);
        Channel channel = Channel.forVersion(version);
        Optional<String> channelText = optionalText(node, "channel", path + ".channel");
        if (channelText.isPresent()) {
            try {
                channel = Channel.fromWireName(channelText.get());
            } catch (IllegalArgumentException e) {
                throw new FormatException(path + ".channel", e.getMessage());
            }
        }
        Optional<Instant> published = Optional.empty();
        Optional<String> publishedText = optionalText(node, "published_at", path + ".published_at");
        if (publishedText.isPresent()) {
            try {
                published = Optional.of(Instant.parse(publishedText.get()));
            } catch (DateTimeParseException e) {
                throw new FormatException(path + ".published_at", "'" + publishedText.get()
                        + "' is not an ISO-8601 UTC time such as 2025-11-20T10:02:33Z");
            }
        }
        Optional<String> notes = optionalText(node, "notes", path + ".notes").filter(n -> !n.isBlank());
        JsonNode assets = node.get("assets");
        if (assets == null || !assets.isArray()) {
            throw new FormatException(path + ".assets", assets == null ? "required (an array, possibly empty)"
                    : "expected an array");
        }
        List<ReleaseAsset> out = new ArrayList<>();
        Map<String, String> seenNames = new HashMap<>();
        Map<String, String> seenKinds = new HashMap<>();
        for (int i = 0; i < assets.size(); i++) {
            String assetPath = path + ".assets[" + i + "]";
            ReleaseAsset a = asset(assets.get(i), assetPath, version, channel, base);
            String before = seenNames.putIfAbsent(a.name(), assetPath);
            if (before != null) {
                throw new FormatException(assetPath + ".name", "'" + a.name() + "' is listed twice (also " + before + ")");
            }
            String kind = a.component() + " " + a.platform().map(Platform::toString).orElse("any platform") + " " + a.format();
            before = seenKinds.putIfAbsent(kind, assetPath);
            if (before != null) {
                throw new FormatException(assetPath, "a second " + kind + " asset in this release (also " + before + ")");
            }
            out.add(a);
        }
        return new Release(id, version, channel, published, notes, out);
    }

    private static ReleaseAsset asset(JsonNode node, String path, SemanticVersion version, Channel channel, URI base)
            throws FormatException {
        if (!node.isObject()) {
            throw new FormatException(path, "expected an object");
        }
        String name = text(node, "name", path + ".name");
        if (name.contains("/") || name.contains("\\") || name.equals(".") || name.equals("..")) {
            throw new FormatException(path + ".name", "'" + name + "' must be a plain file name");
        }
        ComponentName component;
        try {
            component = ComponentName.of(text(node, "component", path + ".component"));
        } catch (IllegalArgumentException e) {
            throw new FormatException(path + ".component", e.getMessage());
        }
        Optional<Platform> platform = Optional.empty();
        Optional<String> platformText = optionalText(node, "platform", path + ".platform");
        if (platformText.isPresent()) {
            try {
                platform = Optional.of(Platform.parse(platformText.get()));
            } catch (IllegalArgumentException e) {
                throw new FormatException(path + ".platform", e.getMessage());
            }
        }
        String format = text(node, "format", path + ".format").toLowerCase(Locale.ROOT);
        JsonNode size = node.get("size");
        if (size == null || !size.canConvertToExactIntegral() || !size.canConvertToLong() || size.asLong() < 0) {
            throw new FormatException(path + ".size", size == null ? "required (bytes)"
                    : "expected a whole number of bytes, not " + size);
        }
        Checksum sha256;
        try {
            sha256 = Checksum.sha256(text(node, "sha256", path + ".sha256"));
        } catch (IllegalArgumentException e) {
            throw new FormatException(path + ".sha256", "expected 64 hexadecimal digits (the SHA-256 of the file)");
        }
        URI url = url(text(node, "url", path + ".url"), base, path + ".url");
        try {
            return new ReleaseAsset(name, component, version, platform, format, channel, OptionalLong.of(size.asLong()),
                    url, Optional.of(sha256));
        } catch (IllegalArgumentException e) {
            // the remaining rule the model checks: the format's alphabet
            throw new FormatException(path + ".format", e.getMessage());
        }
    }

    /** An http(s) URL, absolute or relative to {@code base}. */
    private static URI url(String text, URI base, String path) throws FormatException {
        URI resolved;
        try {
            resolved = base.resolve(new URI(text));
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new FormatException(path, "'" + text + "' is not a URL");
        }
        String scheme = resolved.getScheme() == null ? "" : resolved.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || resolved.getHost() == null) {
            throw new FormatException(path, "'" + text + "' must be an http(s) URL or a path relative to the feed");
        }
        return resolved;
    }

    private static String text(JsonNode node, String field, String path) throws FormatException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw new FormatException(path, "required");
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            throw new FormatException(path, v.isTextual() ? "must not be empty" : "expected a string, not " + v);
        }
        return v.asText().strip();
    }

    private static Optional<String> optionalText(JsonNode node, String field, String path) throws FormatException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isTextual()) {
            throw new FormatException(path, "expected a string, not " + v);
        }
        return Optional.of(v.asText());
    }
}
