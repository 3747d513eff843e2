package io.printmaster.server.installers.impl;

import io.printmaster.server.agents.api.JoinTokens;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The configuration of PID {@value #PID} ({@code etc/io.printmaster.server.installers.cfg}):
 * <ul>
 *   <li>{@code server_url}: the URL agents reach the server at ({@code https://updates.example.com}); when empty,
 *   the scheme and {@code Host} of the download request;</li>
 *   <li>{@code ca_bundle}: absolute path of a PEM file of CA certificates agents should trust for the server's TLS;
 *   read (and checked) whenever an installer is asked for, so a replaced file is picked up;</li>
 *   <li>{@code cache_max_bytes}: the most bytes of built installers kept (default 2 GiB); least recently used go
 *   first;</li>
 *   <li>{@code join_token_max_uses}: how many agents the fleet's installer join token enrolls, all installers that
 *   embed it together (default {@value io.printmaster.server.agents.api.JoinTokens#DEFAULT_INSTALLER_MAX_USES}, at most
 *   {@value io.printmaster.server.agents.api.JoinTokens#MAX_INSTALLER_MAX_USES}); once used up, the next installer
 *   gets a new token. A download may ask for a token of its own with {@code ?max_uses=N}.</li>
 * </ul>
 * The keys are read from the configuration's properties as they are named (DS would turn a {@code _} of an
 * annotation element into a {@code .}). An invalid value does not stop the component: downloads answer 503 naming the
 * key, the rest keeps working.
 *
 * @param error what is wrong with the configuration, or null
 */
record InstallerSettings(Optional<String> serverUrl, Optional<Path> caBundle, long cacheMaxBytes, int joinTokenMaxUses,
                         String error) {
    static final String PID = "io.printmaster.server.installers";
    static final long DEFAULT_CACHE_MAX_BYTES = 2L * 1024 * 1024 * 1024;

    static InstallerSettings from(Map<String, ?> properties) {
        InstallerSettings s = fromOthers(properties);
        Object uses = properties.get("join_token_max_uses");
        int maxUses = JoinTokens.DEFAULT_INSTALLER_MAX_USES;
        String problem = null;
        try {
            if (uses instanceof Number n) {
                maxUses = Math.toIntExact(n.longValue());
            } else if (uses instanceof String t && !t.isBlank()) {
                maxUses = Integer.parseInt(t.strip());
            }
        } catch (NumberFormatException | ArithmeticException e) {
            maxUses = 0;
        }
        if (maxUses < 1 || maxUses > JoinTokens.MAX_INSTALLER_MAX_USES) {
            problem = "join_token_max_uses must be a whole number from 1 to " + JoinTokens.MAX_INSTALLER_MAX_USES
                    + ", not '" + uses + "'";
            maxUses = JoinTokens.DEFAULT_INSTALLER_MAX_USES;
        }
        return new InstallerSettings(s.serverUrl(), s.caBundle(), s.cacheMaxBytes(), maxUses,
                s.error() != null ? s.error() : problem);
    }

    private static InstallerSettings fromOthers(Map<String, ?> properties) {
        Optional<String> serverUrl = text(properties.get("server_url"));
        Optional<String> caText = text(properties.get("ca_bundle"));
        long maxBytes = DEFAULT_CACHE_MAX_BYTES;
        Object max = properties.get("cache_max_bytes");
        try {
            if (max instanceof Number n) {
                maxBytes = n.longValue();
            } else if (max instanceof String s && !s.isBlank()) {
                maxBytes = Long.parseLong(s.strip());
            }
            if (maxBytes < 1) {
                return invalid("cache_max_bytes must be a positive number of bytes, not " + max);
            }
        } catch (NumberFormatException e) {
            return invalid("cache_max_bytes must be a positive number of bytes, not '" + max + "'");
        }
        if (serverUrl.isPresent()) {
            String problem = checkUrl(serverUrl.get());
            if (problem != null) {
                return new InstallerSettings(Optional.empty(), Optional.empty(), maxBytes, 0, problem);
            }
        }
        Optional<Path> ca = Optional.empty();
        if (caText.isPresent()) {
            Path p = Path.of(caText.get());
            if (!p.isAbsolute()) {
                return new InstallerSettings(Optional.empty(), Optional.empty(), maxBytes, 0,
                        "ca_bundle must be an absolute path, not '" + caText.get() + "'");
            }
            ca = Optional.of(p);
        }
        return new InstallerSettings(serverUrl.map(u -> u.replaceAll("/+$", "")), ca, maxBytes, 0, null);
    }

    private static InstallerSettings invalid(String error) {
        return new InstallerSettings(Optional.empty(), Optional.empty(), DEFAULT_CACHE_MAX_BYTES, 0, error);
    }

    private static String checkUrl(String url) {
        try {
            URI uri = new URI(url);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
                return "server_url must be an http or https URL with a host, such as https://updates.example.com, not '"
                        + url + "'";
            }
            if (uri.getQuery() != null || uri.getFragment() != null || uri.getUserInfo() != null) {
                return "server_url must not carry a query, fragment or user info: '" + url + "'";
            }
            return null;
        } catch (URISyntaxException e) {
            return "server_url is not a URL: " + e.getMessage();
        }
    }

    private static Optional<String> text(Object value) {
        return value instanceof String s && !s.isBlank() ? Optional.of(s.strip()) : Optional.empty();
    }
}
