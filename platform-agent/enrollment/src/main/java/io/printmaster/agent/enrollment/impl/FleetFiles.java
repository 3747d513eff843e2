package io.printmaster.agent.enrollment.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.agent.config.api.AgentSettings;
import io.printmaster.core.net.PlainHttpRule;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * Reads the fleet files (docs/api.md#installers) from {@code <home>/etc/}: {@code fleet.json} (server URL, fleet id,
 * CA bundle name; other fields such as the policy snapshot are the update worker's) and {@code join-token}. Without
 * {@code fleet.json}, the agent's own settings ({@code server_url}, {@code fleet}, {@code join_token} of
 * {@code etc/io.printmaster.agent.cfg}) are used, so an agent installed by hand can enroll too.
 */
final class FleetFiles {
    static final String FLEET_JSON = "fleet.json";
    static final String JOIN_TOKEN = "join-token";
    /** The files are a few hundred bytes; a larger one is not ours and must not fill a 64 MB heap. */
    private static final long MAX_BYTES = 256 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A usable source, or why there is none ({@code problem} empty: simply not configured). */
    record Reading(Optional<FleetSource> source, Optional<String> problem) {
        static Reading notConfigured() {
            return new Reading(Optional.empty(), Optional.empty());
        }

        static Reading invalid(String problem) {
            return new Reading(Optional.empty(), Optional.of(problem));
        }
    }

    private final Path etc;

    FleetFiles(Path etc) {
        this.etc = etc;
    }

    Path fleetJson() {
        return etc.resolve(FLEET_JSON);
    }

    Path joinTokenFile() {
        return etc.resolve(JOIN_TOKEN);
    }

    Reading read(Optional<AgentSettings> settings) {
        Path file = fleetJson();
        byte[] bytes;
        try {
            bytes = readSmall(file);
        } catch (NoSuchFileException e) {
            return fromSettings(settings);
        } catch (IOException e) {
            return Reading.invalid("cannot read " + file + ": " + e.getMessage());
        }
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return Reading.invalid(file + " is not valid JSON (" + e.getOriginalMessage()
                    + "); the agent cannot enroll until it is fixed or replaced by a new installer's file");
        } catch (IOException e) {
            return Reading.invalid("cannot read " + file + ": " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            return Reading.invalid(file + " must hold a JSON object; the agent cannot enroll until it is fixed");
        }
        Optional<String> rawUrl = text(root, "server_url");
        if (rawUrl.isEmpty()) {
            return Reading.invalid(file + ": server_url is missing; the agent cannot enroll until it is fixed");
        }
        Optional<URI> url = serverUrl(rawUrl.get());
        if (url.isEmpty()) {
            return Reading.invalid(file + ": server_url '" + rawUrl.get() + "' is not an http:// or https:// base URL "
                    + "with a host (and without user name, query or fragment); the agent cannot enroll until it is fixed");
        }
        Optional<Path> caBundle = Optional.empty();
        Optional<String> caName = text(root, "ca_bundle");
        if (caName.isPresent()) {
            String name = caName.get();
            // a file name inside etc/, never a path: the installer's file must not point the agent elsewhere
            if (name.contains("/") || name.contains("\\") || name.equals(".") || name.equals("..")) {
                return Reading.invalid(file + ": ca_bundle '" + name + "' must be a file name inside " + etc);
            }
            Path pem = etc.resolve(name);
            if (!Files.isRegularFile(pem)) {
                return Reading.invalid(file + ": ca_bundle names " + pem + ", which does not exist; the agent "
                        + "cannot trust the server's certificate without it");
            }
            caBundle = Optional.of(pem);
        }
        Optional<Boolean> pinned = flag(root, "tls_pinned");
        Optional<Boolean> insecure = flag(root, PlainHttpRule.ALLOW_INSECURE_HTTP);
        if (pinned.isEmpty() || insecure.isEmpty()) {
            return Reading.invalid(file + ": " + (pinned.isEmpty() ? "tls_pinned" : PlainHttpRule.ALLOW_INSECURE_HTTP)
                    + " must be true or false; the agent cannot enroll until it is fixed");
        }
        if (pinned.get() && caBundle.isEmpty()) {
            return Reading.invalid(file + ": tls_pinned is true but no ca_bundle names the pinned certificate; "
                    + "the agent cannot trust the server until it is fixed");
        }
        Optional<String> token;
        try {
            token = joinToken();
        } catch (IOException e) {
            return Reading.invalid("cannot read " + joinTokenFile() + ": " + e.getMessage());
        }
        if (token.isPresent() && !validToken(token.get())) {
            return Reading.invalid(joinTokenFile() + " holds spaces or control characters inside the token "
                    + "(a copy-paste accident?); put the token alone on the first line");
        }
        // either the installer's file or the agent's own configuration may allow plain http
        boolean allowInsecure = insecure.get() || settings.map(AgentSettings::allowInsecureHttp).orElse(false);
        return new Reading(Optional.of(new FleetSource(url.get(), text(root, "fleet_id"), caBundle, token,
                file + (token.isPresent() ? " and " + joinTokenFile() : ""), pinned.get(), allowInsecure)),
                Optional.empty());
    }

    private Reading fromSettings(Optional<AgentSettings> settings) {
        if (settings.isEmpty() || settings.get().serverUrl().isEmpty()) {
            return Reading.notConfigured();
        }
        AgentSettings s = settings.get();
        Optional<String> token = s.joinToken();
        if (token.isEmpty()) {
            // the join-token file alone still counts: an admin may drop a new token next to a hand-made .cfg
            try {
                token = joinToken().filter(FleetFiles::validToken);
            } catch (IOException e) {
                token = Optional.empty();
            }
        }
        return new Reading(Optional.of(new FleetSource(s.serverUrl().get(), s.fleet(), Optional.empty(), token,
                "etc/io.printmaster.agent.cfg", false, s.allowInsecureHttp())), Optional.empty());
    }

    /** The token: the first line of the file, trimmed; empty when the file is absent or blank. */
    Optional<String> joinToken() throws IOException {
        try {
            String text = new String(readSmall(joinTokenFile()), StandardCharsets.UTF_8);
            String first = text.lines().findFirst().orElse("").trim();
            return first.isEmpty() ? Optional.empty() : Optional.of(first);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    private static boolean validToken(String token) {
        return token.chars().noneMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c));
    }

    private static byte[] readSmall(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new IOException("it has " + size + " bytes, more than the " + MAX_BYTES + " a fleet file may have");
        }
        return Files.readAllBytes(file);
    }

    /** A boolean member: absent or null is false; empty when it is something else. */
    private static Optional<Boolean> flag(JsonNode root, String field) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return Optional.of(false);
        }
        return n.isBoolean() ? Optional.of(n.asBoolean()) : Optional.empty();
    }

    private static Optional<String> text(JsonNode root, String field) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull() || !n.isTextual() || n.asText().isBlank()) {
            return Optional.empty();
        }
        return Optional.of(n.asText().trim());
    }

    /** The base URL without trailing slashes; empty unless http(s) with a host and nothing secret or extra. */
    static Optional<URI> serverUrl(String raw) {
        URI uri;
        try {
            uri = new URI(raw.trim());
        } catch (URISyntaxException e) {
            return Optional.empty();
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null || uri.getRawUserInfo() != null
                || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            return Optional.empty();
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return Optional.of(URI.create(scheme + "://" + uri.getRawAuthority() + path));
    }
}
