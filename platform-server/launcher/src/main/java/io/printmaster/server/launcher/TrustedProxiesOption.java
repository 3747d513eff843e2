package io.printmaster.server.launcher;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code --trusted-proxies LIST} / {@code PM_TRUSTED_PROXIES}: the reverse proxies whose forwarded headers the server
 * honours. The launcher only passes the list on, as the framework property the http bundle reads
 * ({@code pm.trusted.proxies}); that bundle parses it and refuses a bad entry by name (its component does not start,
 * and health says why). The flag wins over the variable, which wins over the {@code io.printmaster.http.connections}
 * configuration file.
 */
final class TrustedProxiesOption {
    static final String FLAG = "--trusted-proxies";
    static final String ENV = "PM_TRUSTED_PROXIES";
    static final String PROPERTY = "pm.trusted.proxies";
    static final String USAGE = "  --trusted-proxies L  reverse proxies (addresses, CIDR blocks, comma-separated) whose "
            + "X-Forwarded-*/Forwarded headers are honoured (env PM_TRUSTED_PROXIES; default none)";

    /** The arguments without the flag, and the list it or the environment gave (null when neither did). */
    record Extracted(String[] rest, String value) {
    }

    static Extracted extract(String[] args, Map<String, String> env) throws IllegalArgumentException {
        List<String> rest = new ArrayList<>();
        String value = env.get(ENV);
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals(FLAG)) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(FLAG + " needs a value");
                }
                value = args[++i];
            } else if (a.startsWith(FLAG + "=")) {
                value = a.substring(FLAG.length() + 1);
            } else {
                rest.add(a);
            }
        }
        return new Extracted(rest.toArray(String[]::new), value);
    }

    private TrustedProxiesOption() {
    }
}
