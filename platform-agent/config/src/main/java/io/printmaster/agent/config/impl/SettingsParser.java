package io.printmaster.agent.config.impl;

import io.printmaster.agent.config.api.ConfigError;
import io.printmaster.agent.config.api.Mode;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Validates the properties of PID {@code io.printmaster.agent}. Strict, because a silently ignored typo leaves an
 * agent that never updates: unknown keys, bad URLs, unknown modes and non-boolean flags are all errors naming the
 * key. Never puts the join token into a message.
 */
final class SettingsParser {
    static final String SERVER_URL = "server_url";
    static final String FLEET = "fleet";
    static final String JOIN_TOKEN = "join_token";
    static final String MODE = "mode";
    static final String ALLOW_LOCAL_OVERRIDE = "allow_local_override";
    /** Plain http:// to a host other than loopback (io.printmaster.core.net.PlainHttpRule); off unless true. */
    static final String ALLOW_INSECURE_HTTP = "allow_insecure_http";
    static final Set<String> KEYS = Set.of(SERVER_URL, FLEET, JOIN_TOKEN, MODE, ALLOW_LOCAL_OVERRIDE, ALLOW_INSECURE_HTTP);

    /** Properties ConfigAdmin, DS and FileInstall add themselves; not the operator's keys. */
    private static final List<String> FRAMEWORK_PREFIXES = List.of("service.", "component.", "felix.", "osgi.", "objectClass");

    private static final int MAX_FLEET_LENGTH = 128;

    private SettingsParser() {
    }

    static FileSettings parse(Map<String, ?> properties) {
        List<ConfigError> errors = new ArrayList<>();
        Set<String> unknown = new TreeSet<>();
        for (String key : properties.keySet()) {
            if (!KEYS.contains(key) && FRAMEWORK_PREFIXES.stream().noneMatch(key::startsWith)) {
                unknown.add(key);
            }
        }
        for (String key : unknown) {
            errors.add(new ConfigError(key, "unknown setting '" + key + "' is ignored; the settings are "
                    + String.join(", ", new TreeSet<>(KEYS))));
        }
        Optional<URI> serverUrl = serverUrl(text(properties, SERVER_URL), errors);
        Optional<String> fleet = fleet(text(properties, FLEET), errors);
        Optional<String> joinToken = joinToken(text(properties, JOIN_TOKEN), errors);
        Mode mode = mode(text(properties, MODE), errors);
        boolean allowLocalOverride = flag(properties.get(ALLOW_LOCAL_OVERRIDE), errors);
        boolean allowInsecureHttp = flag(properties.get(ALLOW_INSECURE_HTTP), ALLOW_INSECURE_HTTP,
                "plain http to a remote server stays refused until it is fixed", errors);
        return new FileSettings(serverUrl, fleet, joinToken, mode, allowLocalOverride, allowInsecureHttp, errors);
    }

    /** The trimmed value, empty when absent or blank. Typed .config files may hold non-strings: use their text. */
    private static Optional<String> text(Map<String, ?> properties, String key) {
        Object v = properties.get(key);
        if (v == null) {
            return Optional.empty();
        }
        String s = String.valueOf(v).trim();
        return s.isEmpty() ? Optional.empty() : Optional.of(s);
    }

    static Optional<URI> serverUrl(Optional<String> value, List<ConfigError> errors) {
        if (value.isEmpty()) {
            return Optional.empty();
        }
        String raw = value.get();
        URI uri;
        try {
            uri = new URI(raw);
        } catch (URISyntaxException e) {
            errors.add(new ConfigError(SERVER_URL, "'" + raw + "' is not a URL (" + e.getReason()
                    + "); the agent cannot reach a server until it is fixed"));
            return Optional.empty();
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            errors.add(new ConfigError(SERVER_URL, "'" + raw + "' is not an http:// or https:// URL; "
                    + "the agent cannot reach a server until it is fixed"));
            return Optional.empty();
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            errors.add(new ConfigError(SERVER_URL, "'" + raw + "' has no host name; "
                    + "the agent cannot reach a server until it is fixed"));
            return Optional.empty();
        }
        if (uri.getRawUserInfo() != null) {
            // do not echo the value: it holds a password
            errors.add(new ConfigError(SERVER_URL, "the URL carries a user name or password, which would end up "
                    + "in logs; put the credential in join_token instead. The agent cannot reach a server until it is fixed"));
            return Optional.empty();
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            errors.add(new ConfigError(SERVER_URL, "'" + raw + "' has a query or fragment; give only the server's "
                    + "base URL such as https://updates.example.com. The agent cannot reach a server until it is fixed"));
            return Optional.empty();
        }
        String normalized = scheme + "://" + uri.getRawAuthority() + stripTrailingSlashes(uri.getRawPath());
        return Optional.of(URI.create(normalized));
    }

    private static String stripTrailingSlashes(String path) {
        String p = path == null ? "" : path;
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }

    static Optional<String> fleet(Optional<String> value, List<ConfigError> errors) {
        if (value.isEmpty()) {
            return Optional.empty();
        }
        String f = value.get();
        if (f.length() > MAX_FLEET_LENGTH || f.chars().anyMatch(c -> Character.isISOControl(c))) {
            errors.add(new ConfigError(FLEET, "the fleet must be at most " + MAX_FLEET_LENGTH
                    + " characters without control characters; the agent joins no fleet until it is fixed"));
            return Optional.empty();
        }
        return Optional.of(f);
    }

    static Optional<String> joinToken(Optional<String> value, List<ConfigError> errors) {
        if (value.isEmpty()) {
            return Optional.empty();
        }
        // the token travels in an HTTP header: anything blank or control inside it is a copy-paste accident
        if (value.get().chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
            errors.add(new ConfigError(JOIN_TOKEN, "the join token contains spaces or control characters "
                    + "(a copy-paste accident?); it is ignored until it is fixed"));
            return Optional.empty();
        }
        return value;
    }

    static Mode mode(Optional<String> value, List<ConfigError> errors) {
        if (value.isEmpty()) {
            return Mode.INHERIT;
        }
        Optional<Mode> mode = Mode.fromWireName(value.get());
        if (mode.isEmpty()) {
            // an operator who mistyped "disabled" must not get updates: fail safe
            errors.add(new ConfigError(MODE, "'" + value.get() + "' is not one of inherit, local, disabled; "
                    + "automatic updates stay off until it is fixed"));
            return Mode.DISABLED;
        }
        return mode.get();
    }

    static boolean flag(Object value, List<ConfigError> errors) {
        return flag(value, ALLOW_LOCAL_OVERRIDE, "local overrides stay off until it is fixed", errors);
    }

    /** A boolean setting; anything but true or false is an error naming {@code key}, and counts as false. */
    static boolean flag(Object value, String key, String consequence, List<ConfigError> errors) {
        if (value == null) {
            return false;
        }
        if (value instanceof Boolean b) {
            return b;
        }
        String s = String.valueOf(value).trim().toLowerCase(Locale.ROOT);
        if (s.isEmpty() || s.equals("false")) {
            return false;
        }
        if (s.equals("true")) {
            return true;
        }
        errors.add(new ConfigError(key, "'" + value + "' is not true or false; " + consequence));
        return false;
    }
}
