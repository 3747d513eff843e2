package io.printmaster.core.net;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * When an agent may talk plain {@code http://} to its server: only to a loopback host (tests, a server and agent on
 * one machine), or when its configuration says {@code allow_insecure_http=true}. Anywhere else the join token and
 * the agent's credential would cross the network in clear, and anyone on the path could feed the agent answers.
 *
 * <p>Loopback is decided from the URL's text alone, never by a name lookup a resolver could be made to answer
 * falsely: {@code localhost} (any case, with or without the trailing dot), IPv4 {@code 127.0.0.0/8} in dotted-quad
 * form, IPv6 {@code ::1} in any spelling, and IPv4-mapped {@code ::ffff:127.x.y.z}. Every other host, including
 * names that happen to resolve to loopback, counts as remote.
 */
public final class PlainHttpRule {
    /** The setting that allows plain HTTP to a remote host, in the agent's configuration and in fleet.json. */
    public static final String ALLOW_INSECURE_HTTP = "allow_insecure_http";
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

    private PlainHttpRule() {
    }

    /**
     * Why {@code serverUrl} must not be used, or empty when it may: {@code https}, {@code http} to a loopback host,
     * or {@code http} anywhere with {@code allowInsecureHttp}.
     */
    public static Optional<String> refusal(URI serverUrl, boolean allowInsecureHttp) {
        String scheme = serverUrl.getScheme() == null ? "" : serverUrl.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("https") || allowInsecureHttp) {
            return Optional.empty();
        }
        if (scheme.equals("http") && isLoopback(serverUrl.getHost())) {
            return Optional.empty();
        }
        return Optional.of("refusing plain HTTP to " + serverUrl + ": the join token and the agent's credential would "
                + "cross the network unencrypted. Use the server's https:// URL (a new installer from a server that "
                + "serves HTTPS), or, on a network you trust, set " + ALLOW_INSECURE_HTTP + "=true in the agent's "
                + "configuration");
    }

    /** Whether {@code host} (as {@link URI#getHost()} gives it: IPv6 in brackets or not) is loopback by its text. */
    public static boolean isLoopback(String host) {
        if (host == null || host.isEmpty()) {
            return false;
        }
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        if (h.equals("localhost")) {
            return true;
        }
        if (IPV4.matcher(h).matches()) {
            return h.startsWith("127.");
        }
        if (h.contains(":") && IPV6.matcher(h).matches()) {
            try {
                // a literal with ':' is parsed, never looked up
                InetAddress a = InetAddress.getByName(h);
                return a.isLoopbackAddress();
            } catch (UnknownHostException e) {
                return false;
            }
        }
        return false;
    }
}
