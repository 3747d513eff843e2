package io.printmaster.agent.localui;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;

/**
 * The agent listens on 127.0.0.1 only, so its page and API are public to local users. Listening on loopback does
 * not stop a web page in the user's browser from reaching it, though: DNS rebinding (a foreign name resolving to
 * 127.0.0.1) would let the page read the status, and a cross-site form could POST a forced update. So requests must
 * name a loopback host, and state-changing requests that come from a browser must come from a loopback page.
 */
final class LoopbackGuard {
    private LoopbackGuard() {
    }

    /** True when the Host header names this machine's loopback (or is absent, as in HTTP/1.0 tools). */
    static boolean isLoopbackHost(Optional<String> hostHeader) {
        if (hostHeader.isEmpty() || hostHeader.get().isBlank()) {
            return true;
        }
        return isLoopbackName(stripPort(hostHeader.get().trim()));
    }

    /**
     * True when a state-changing request may proceed: no Origin (curl, scripts) or an http origin on loopback.
     * Browsers send Origin with every cross-origin POST, so a foreign page is refused here.
     */
    static boolean isLoopbackOrigin(Optional<String> originHeader) {
        if (originHeader.isEmpty()) {
            return true;
        }
        try {
            URI origin = new URI(originHeader.get().trim());
            return "http".equalsIgnoreCase(origin.getScheme()) && origin.getHost() != null && isLoopbackName(origin.getHost());
        } catch (URISyntaxException e) {
            return false; // "null" (sandboxed frames, privacy modes) and garbage
        }
    }

    /** Any request: it must name a loopback host (DNS rebinding). */
    static void requireLocalRequest(io.printmaster.http.api.ApiRequest request) throws io.printmaster.http.api.ApiException {
        if (!isLoopbackHost(request.header("Host"))) {
            throw new io.printmaster.http.api.ApiException(403, "not_local", "this agent answers only requests "
                    + "addressed to 127.0.0.1 or localhost");
        }
    }

    /** A state-changing request: a loopback host, and no foreign page behind it (cross-site requests). */
    static void requireLocalChange(io.printmaster.http.api.ApiRequest request, String what)
            throws io.printmaster.http.api.ApiException {
        requireLocalRequest(request);
        if (!isLoopbackOrigin(request.header("Origin"))) {
            throw new io.printmaster.http.api.ApiException(403, "not_local", what + " accepted only from this "
                    + "machine's own status page or from local tools, not from other web pages");
        }
    }

    private static String stripPort(String host) {
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            return end > 0 ? host.substring(0, end + 1) : host;
        }
        int colon = host.lastIndexOf(':');
        return colon >= 0 ? host.substring(0, colon) : host;
    }

    private static boolean isLoopbackName(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.equals("localhost") || h.equals("[::1]") || h.equals("::1")) {
            return true;
        }
        // 127.0.0.0/8, written as a dotted quad
        String[] parts = h.split("\\.", -1);
        if (parts.length != 4 || !parts[0].equals("127")) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit) || Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }
}
