package io.printmaster.agent.enrollment.impl;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where and how this agent enrolls: from {@code <home>/etc/fleet.json} and {@code <home>/etc/join-token} (an
 * installer's files) or, without them, from {@code server_url} and {@code join_token} of
 * {@code etc/io.printmaster.agent.cfg}.
 *
 * @param serverUrl the server's base URL, without a trailing slash
 * @param fleetId the fleet the installer was made for, when known
 * @param caBundle PEM certificates to trust for the server's TLS besides the system's, when named
 * @param joinToken the join token; a secret, never logged (see {@link #toString()})
 * @param origin which file(s) this came from, for messages
 * @param tlsPinned trust only {@code caBundle}'s certificates, not the system's CAs ({@link PinnedTrustManager})
 * @param allowInsecureHttp plain http to a host other than loopback is acceptable ({@code allow_insecure_http})
 */
record FleetSource(URI serverUrl, Optional<String> fleetId, Optional<Path> caBundle, Optional<String> joinToken,
                   String origin, boolean tlsPinned, boolean allowInsecureHttp) {

    FleetSource(URI serverUrl, Optional<String> fleetId, Optional<Path> caBundle, Optional<String> joinToken, String origin) {
        this(serverUrl, fleetId, caBundle, joinToken, origin, false, false);
    }

    @Override
    public String toString() {
        return "server_url=" + serverUrl + ", fleet_id=" + fleetId.orElse("(not set)") + ", ca_bundle="
                + caBundle.map(Path::toString).orElse("(none)") + ", join_token="
                + (joinToken.isPresent() ? "(set)" : "(not set)") + (tlsPinned ? ", tls_pinned" : "")
                + (allowInsecureHttp ? ", allow_insecure_http" : "") + " from " + origin;
    }
}
