package io.printmaster.server.releases.impl;

import io.printmaster.api.release.TagPattern;
import io.printmaster.http.api.ApiException.FieldError;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The built-in release source types that can be added through the API: their wire name, the factory PID of the
 * plugin that serves them, and the configuration keys each accepts (and which are required or secret).
 */
enum SourceType {
    GITHUB("github", "io.printmaster.releasesource.github",
            key("api_url", Kind.URL, false), key("repository", Kind.REPOSITORY, true), key("token", Kind.SECRET, false),
            key("asset_pattern", Kind.TEXT, false), key("include_prereleases", Kind.BOOLEAN, false),
            key("tag_pattern", Kind.TAG_PATTERN, false), key("upstream_public_key", Kind.PUBLIC_KEY, false)),
    HTTP_FEED("http-feed", "io.printmaster.releasesource.httpfeed", key("url", Kind.URL, true),
            key("tag_pattern", Kind.TAG_PATTERN, false), key("upstream_public_key", Kind.PUBLIC_KEY, false)),
    DIRECTORY("directory", "io.printmaster.releasesource.directory", key("path", Kind.ABSOLUTE_PATH, true),
            key("upstream_public_key", Kind.PUBLIC_KEY, false));

    /** The configuration key that names the source (the factory configuration's name). */
    static final String NAME_KEY = "name";
    private static final Pattern REPOSITORY = Pattern.compile("[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}");
    private static final int MAX_TEXT = 2000;

    enum Kind { URL, REPOSITORY, SECRET, TEXT, BOOLEAN, ABSOLUTE_PATH, TAG_PATTERN, PUBLIC_KEY }

    record Key(String name, Kind kind, boolean required) {
    }

    private final String wireName;
    private final String factoryPid;
    private final Map<String, Key> keys;

    SourceType(String wireName, String factoryPid, Key... keys) {
        this.wireName = wireName;
        this.factoryPid = factoryPid;
        Map<String, Key> m = new LinkedHashMap<>();
        for (Key k : keys) {
            m.put(k.name(), k);
        }
        this.keys = m;
    }

    private static Key key(String name, Kind kind, boolean required) {
        return new Key(name, kind, required);
    }

    String wireName() {
        return wireName;
    }

    String factoryPid() {
        return factoryPid;
    }

    Map<String, Key> keys() {
        return keys;
    }

    static Optional<SourceType> fromWireName(String name) {
        return Arrays.stream(values()).filter(t -> t.wireName.equals(name)).findFirst();
    }

    static Optional<SourceType> fromFactoryPid(String pid) {
        return Arrays.stream(values()).filter(t -> t.factoryPid.equals(pid)).findFirst();
    }

    static String wireNames() {
        return Arrays.stream(values()).map(SourceType::wireName).collect(Collectors.joining(", "));
    }

    /**
     * Checks a configuration for this type; every problem is reported as {@code config.<key>}.
     *
     * @return the configuration with values normalized (trimmed strings, booleans), in key order
     */
    Map<String, Object> validate(Map<String, Object> config, List<FieldError> errors) {
        Map<String, Object> given = config == null ? Map.of() : config;
        Map<String, Object> clean = new LinkedHashMap<>();
        for (String k : given.keySet()) {
            if (!keys.containsKey(k)) {
                errors.add(new FieldError("config." + k, "unknown key '" + k + "' for a " + wireName
                        + " source: expected " + String.join(", ", keys.keySet())));
            }
        }
        for (Key k : keys.values()) {
            Object value = given.get(k.name());
            String field = "config." + k.name();
            if (value == null) {
                if (k.required()) {
                    errors.add(new FieldError(field, "'" + k.name() + "' is required for a " + wireName + " source"));
                }
                continue;
            }
            if (k.kind() == Kind.BOOLEAN) {
                if (value instanceof Boolean b) {
                    clean.put(k.name(), b);
                } else {
                    errors.add(new FieldError(field, "'" + k.name() + "' must be true or false"));
                }
                continue;
            }
            if (!(value instanceof String s)) {
                errors.add(new FieldError(field, "'" + k.name() + "' must be a string"));
                continue;
            }
            String text = k.kind() == Kind.SECRET ? s : s.strip();
            if (text.isEmpty()) {
                if (k.required()) {
                    errors.add(new FieldError(field, "'" + k.name() + "' must not be empty"));
                }
                continue;
            }
            if (text.length() > MAX_TEXT) {
                errors.add(new FieldError(field, "'" + k.name() + "' is longer than " + MAX_TEXT + " characters"));
                continue;
            }
            Optional<String> problem = check(k.kind(), text);
            if (problem.isPresent()) {
                errors.add(new FieldError(field, problem.get()));
            } else {
                clean.put(k.name(), text);
            }
        }
        return clean;
    }

    private static Optional<String> check(Kind kind, String value) {
        switch (kind) {
            case URL -> {
                try {
                    URI uri = new URI(value);
                    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
                    if (!(scheme.equals("https") || scheme.equals("http")) || uri.getHost() == null) {
                        return Optional.of("'" + value + "' is not an http or https URL");
                    }
                } catch (URISyntaxException e) {
                    return Optional.of("'" + value + "' is not a URL: " + e.getMessage());
                }
            }
            case REPOSITORY -> {
                if (!REPOSITORY.matcher(value).matches()) {
                    return Optional.of("'" + value + "' is not a repository: expected owner/name");
                }
            }
            case ABSOLUTE_PATH -> {
                try {
                    if (!Path.of(value).isAbsolute()) {
                        return Optional.of("'" + value + "' is not an absolute path");
                    }
                } catch (InvalidPathException e) {
                    return Optional.of("'" + value + "' is not a path: " + e.getMessage());
                }
            }
            case TAG_PATTERN -> {
                try {
                    TagPattern.compile(value);
                } catch (IllegalArgumentException e) {
                    return Optional.of(e.getMessage());
                }
            }
            case PUBLIC_KEY -> {
                return publicKeyProblem(value);
            }
            default -> {
                // free text and secrets: any non-empty string
            }
        }
        return Optional.empty();
    }

    /**
     * The shape of an {@code upstream_public_key}: an {@code ssh-ed25519} line, or a minisign public key (its base64
     * line, 42 bytes starting {@code Ed}, optionally after its {@code untrusted comment:} line). The source checks
     * the key itself again; this answers the admin at once, naming the field.
     */
    private static Optional<String> publicKeyProblem(String value) {
        String[] ssh = value.split("\\s+");
        if (value.startsWith("ssh-")) {
            if (!ssh[0].equals("ssh-ed25519") || ssh.length < 2 || decoded(ssh[1]).map(b -> b.length != 51).orElse(true)) {
                return Optional.of("not an 'ssh-ed25519 AAAA…' line: only Ed25519 SSH keys are supported");
            }
            return Optional.empty();
        }
        List<String> lines = value.lines().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.toLowerCase(Locale.ROOT).startsWith("untrusted comment:")).toList();
        Optional<byte[]> raw = lines.size() == 1 ? decoded(lines.get(0)) : Optional.empty();
        if (raw.isEmpty() || raw.get().length != 42 || raw.get()[0] != 'E' || raw.get()[1] != 'd') {
            return Optional.of("neither a minisign public key (the base64 line of its .pub, RWQ…) nor an 'ssh-ed25519 AAAA…' line");
        }
        return Optional.empty();
    }

    private static Optional<byte[]> decoded(String base64) {
        try {
            return Optional.of(java.util.Base64.getDecoder().decode(base64));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The secret keys of this type (stored sealed, never shown). */
    List<String> secretKeys() {
        List<String> out = new ArrayList<>();
        for (Key k : keys.values()) {
            if (k.kind() == Kind.SECRET) {
                out.add(k.name());
            }
        }
        return out;
    }
}
