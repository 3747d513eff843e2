package io.printmaster.server.agents.impl;

import io.printmaster.http.api.ApiException;
import java.util.List;
import java.util.regex.Pattern;

/** Checks what an agent reports about itself (enrollment, check-in); each problem is a 400 naming its field. */
final class AgentFactsValidator {
    static final List<String> PLATFORMS = List.of("linux", "windows", "darwin");
    static final List<String> ARCHES = List.of("amd64", "arm64");
    /** Semantic versions and the build's own ({@code 0.1.0-SNAPSHOT}); no spaces, slashes or control characters. */
    static final Pattern VERSION = Pattern.compile("[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}");
    private static final int MAX_HOSTNAME = 255;

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
}
