package io.printmaster.server.launcher.tls;

import io.printmaster.launcher.LaunchOptions.UsageException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The server's TLS options: {@code --tls-cert FILE --tls-key FILE} (env {@code PM_TLS_CERT}, {@code PM_TLS_KEY}),
 * or {@code --tls self-signed} (env {@code PM_TLS=self-signed}), with {@code --tls-names} (env {@code PM_TLS_NAMES})
 * for names a self-signed certificate must carry besides the host's own. A flag wins over its variable.
 */
public record TlsOptions(Mode mode, Optional<Path> certFile, Optional<Path> keyFile, Set<String> extraNames) {

    /** How the server serves. */
    public enum Mode { PLAIN_HTTP, FILES, SELF_SIGNED }

    static final Set<String> FLAGS = Set.of("--tls", "--tls-cert", "--tls-key", "--tls-names");

    /** The help lines of these options, as {@code --help} shows them. */
    public static final String USAGE = ""
            + "  --tls-cert FILE  serve HTTPS with this PEM certificate chain (server certificate first; env PM_TLS_CERT)\n"
            + "  --tls-key FILE   the PEM private key of --tls-cert: PKCS#8, RSA or EC, unencrypted (env PM_TLS_KEY)\n"
            + "  --tls self-signed  serve HTTPS with a certificate made on first start and kept in <data>/tls/\n"
            + "                   (env PM_TLS=self-signed); its SHA-256 fingerprint is logged at every start.\n"
            + "                   With TLS, --port is the HTTPS port and plain HTTP is off\n"
            + "  --tls-names N,.. more host names or IP addresses for the self-signed certificate (env PM_TLS_NAMES)";

    /** These options, and the arguments left for the common launcher. */
    public record Split(TlsOptions tls, String[] rest) {
    }

    /**
     * Takes the TLS flags out of {@code args}.
     *
     * @throws UsageException naming the flag or variable when the combination is unusable
     */
    public static Split split(String[] args, Map<String, String> env) throws UsageException {
        String tls = env.get("PM_TLS");
        String cert = env.get("PM_TLS_CERT");
        String key = env.get("PM_TLS_KEY");
        String names = env.get("PM_TLS_NAMES");
        String tlsFrom = "PM_TLS";
        String certFrom = "PM_TLS_CERT";
        String keyFrom = "PM_TLS_KEY";
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            int eq = a.indexOf('=');
            String name = a.startsWith("--") && eq > 0 ? a.substring(0, eq) : a;
            if (!FLAGS.contains(name)) {
                rest.add(a);
                continue;
            }
            String value;
            if (eq > 0 && a.startsWith("--")) {
                value = a.substring(eq + 1);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new UsageException(name + " needs a value");
            }
            switch (name) {
                case "--tls" -> {
                    tls = value;
                    tlsFrom = "--tls";
                }
                case "--tls-cert" -> {
                    cert = value;
                    certFrom = "--tls-cert";
                }
                case "--tls-key" -> {
                    key = value;
                    keyFrom = "--tls-key";
                }
                default -> names = value;
            }
        }
        return new Split(resolve(blankToNull(tls), tlsFrom, blankToNull(cert), certFrom, blankToNull(key), keyFrom,
                blankToNull(names)), rest.toArray(String[]::new));
    }

    /** The arguments without the TLS flags, unchecked: for {@code --help} and {@code --version}. */
    public static String[] withoutTlsFlags(String[] args) {
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (FLAGS.contains(a)) {
                i++;
            } else if (!(a.startsWith("--") && a.indexOf('=') > 0 && FLAGS.contains(a.substring(0, a.indexOf('='))))) {
                rest.add(a);
            }
        }
        return rest.toArray(String[]::new);
    }

    private static TlsOptions resolve(String tls, String tlsFrom, String cert, String certFrom, String key, String keyFrom,
                                      String names) throws UsageException {
        Set<String> extra = new LinkedHashSet<>();
        if (names != null) {
            for (String n : names.split(",")) {
                String t = n.strip();
                if (t.isEmpty()) {
                    continue;
                }
                if (!t.matches("[A-Za-z0-9.:*-]{1,253}")) {
                    throw new UsageException("--tls-names / PM_TLS_NAMES: '" + t + "' is not a host name or IP address");
                }
                extra.add(t);
            }
        }
        if (tls != null) {
            if (!tls.strip().equals("self-signed")) {
                throw new UsageException(tlsFrom + ": '" + tls + "' is not a TLS mode; the only one is 'self-signed' "
                        + "(for your own certificate use --tls-cert FILE --tls-key FILE)");
            }
            if (cert != null || key != null) {
                throw new UsageException(tlsFrom + " self-signed and " + (cert != null ? certFrom : keyFrom)
                        + " exclude each other: choose the self-signed certificate or your own");
            }
            return new TlsOptions(Mode.SELF_SIGNED, Optional.empty(), Optional.empty(), Set.copyOf(extra));
        }
        if (cert == null && key == null) {
            if (!extra.isEmpty()) {
                throw new UsageException("--tls-names / PM_TLS_NAMES: only used with --tls self-signed");
            }
            return new TlsOptions(Mode.PLAIN_HTTP, Optional.empty(), Optional.empty(), Set.of());
        }
        if (cert == null) {
            throw new UsageException(keyFrom + " needs --tls-cert FILE (env PM_TLS_CERT): the certificate of the key");
        }
        if (key == null) {
            throw new UsageException(certFrom + " needs --tls-key FILE (env PM_TLS_KEY): the private key of the certificate");
        }
        if (!extra.isEmpty()) {
            throw new UsageException("--tls-names / PM_TLS_NAMES: only used with --tls self-signed (your own "
                    + "certificate names what it names)");
        }
        return new TlsOptions(Mode.FILES, Optional.of(Path.of(cert).toAbsolutePath().normalize()),
                Optional.of(Path.of(key).toAbsolutePath().normalize()), Set.of());
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    @Override
    public String toString() {
        return mode + certFile.map(p -> " cert=" + p).orElse("") + keyFile.map(p -> " key=" + p).orElse("")
                + (extraNames.isEmpty() ? "" : " names=" + Arrays.toString(extraNames.toArray()));
    }
}
