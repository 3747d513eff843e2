package io.printmaster.server.agents.impl;

import io.printmaster.core.wire.PluginVersion;
import io.printmaster.http.api.ApiException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Checks what an agent reports about itself (enrollment, check-in); each problem is a 400 naming its field. */
final class AgentFactsValidator {
    static final List<String> PLATFORMS = List.of("linux", "windows", "darwin");
    static final List<String> ARCHES = List.of("amd64", "arm64");
    /** Semantic versions and the build's own ({@code 0.1.0-SNAPSHOT}); no spaces, slashes or control characters. */
    static final Pattern VERSION = Pattern.compile("[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}");
    private static final int MAX_HOSTNAME = 255;
    /** A vendor component's name (its release stream): lowercase letters, digits and {@code -}. */
    static final Pattern COMPONENT = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");
    /** The platform's own release streams, never a vendor plugin's. */
    static final List<String> RESERVED_COMPONENTS = List.of("agent", "server");
    static final int MAX_PLUGINS = 50;

    private AgentFactsValidator() {
    }

    static AgentStore.AgentFacts validate(String hostname, String platform, String arch, String currentVersion)
            throws ApiException {
        String host = hostname == null ? "" : hostname.strip();
        if (host.isEmpty() || host.length() > MAX_HOSTNAME || host.chars().anyMatch(Character::isISOControl)) {
            throw ApiException.invalid("hostname", "hostname is required: 1-" + MAX_HOSTNAME + " printable characters");
        }
        if (platform == null || !PLATFORMS.contains(platform)) {
            throw ApiException.invalid("platform", "platform must be one of " + String.join(", ", PLATFORMS) + "; got '" + platform + "'");
        }
        if (arch == null || !ARCHES.contains(arch)) {
            throw ApiException.invalid("arch", "arch must be one of " + String.join(", ", ARCHES) + "; got '" + arch + "'");
        }
        if (currentVersion == null || !VERSION.matcher(currentVersion).matches()) {
            throw ApiException.invalid("current_version", "current_version is required: a version such as 1.4.2 (letters, digits, . + _ -, at most 64)");
        }
        return new AgentStore.AgentFacts(host, platform, arch, currentVersion);
    }

    /**
     * The vendor plugins an agent reports at a check-in ({@code plugins}: absent or null is none): at most
     * {@value #MAX_PLUGINS}, each a component (not {@code agent} or {@code server}, listed once) and a version.
     *
     * @return the plugins, in the order reported
     * @throws ApiException 400 naming the field, e.g. {@code plugins[1].component}
     */
    static List<PluginVersion> plugins(List<PluginVersion> plugins) throws ApiException {
        if (plugins == null) {
            return List.of();
        }
        if (plugins.size() > MAX_PLUGINS) {
            throw ApiException.invalid("plugins", "plugins lists at most " + MAX_PLUGINS + " plugins; got " + plugins.size());
        }
        List<PluginVersion> out = new ArrayList<>(plugins.size());
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < plugins.size(); i++) {
            PluginVersion p = plugins.get(i);
            String at = "plugins[" + i + "]";
            if (p == null) {
                throw ApiException.invalid(at, at + " must be an object {\"component\",\"version\"}");
            }
            String component = p.component();
            if (component == null || !COMPONENT.matcher(component).matches() || RESERVED_COMPONENTS.contains(component)) {
                throw ApiException.invalid(at + ".component", at + ".component must be a vendor component: lowercase letters, "
                        + "digits and '-', 1-64, starting with a letter or digit, not agent or server; got "
                        + (component == null ? "nothing" : "'" + component + "'"));
            }
            Integer earlier = seen.putIfAbsent(component, i);
            if (earlier != null) {
                throw ApiException.invalid(at + ".component", at + ".component '" + component
                        + "' is already listed as plugins[" + earlier + "]: report each component once");
            }
            if (p.version() == null || !VERSION.matcher(p.version()).matches()) {
                throw ApiException.invalid(at + ".version", at + ".version is required: a version such as 1.2.0 "
                        + "(letters, digits, . + _ -, at most 64)");
            }
            out.add(p);
        }
        return List.copyOf(out);
    }
}
