package io.printmaster.server.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The container image's health check: {@code java -cp "<program>/lib/*" io.printmaster.server.launcher.HealthProbe}
 * asks the server on this machine for {@code GET /api/v1/health} and exits 0 when it answers 200 (UP), 1 otherwise
 * (DOWN, no answer, timeout), printing one line. The JDK only: an image needs no curl or wget for it.
 *
 * <p>It reads the server's own settings from the environment it shares with the server: {@code PM_PORT} (default
 * 8080), and with {@code PM_TLS} or {@code PM_TLS_CERT} set it speaks HTTPS and trusts exactly the certificate
 * chain the server says it serves ({@code $PM_DATA_DIR/tls/server-certificate.pem}): pinned, so the host name
 * (127.0.0.1) need not be in the certificate. {@code --url URL} and {@code --ca PEM} override both;
 * {@code --timeout-seconds N} (default 5) bounds the whole check.
 */
public final class HealthProbe {
    static final String PATH = "/api/v1/health";
    static final int UP = 0;
    static final int DOWN = 1;
    static final int USAGE = 2;

    private HealthProbe() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.getenv(), System.out, System.err));
    }

    /** The probe, for tests: the exit code. */
    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        String url = null;
        String ca = null;
        int timeoutSeconds = 5;
        try {
            for (int i = 0; i < args.length; i++) {
                String value = i + 1 < args.length ? args[i + 1] : null;
                switch (args[i]) {
                    case "--url" -> url = required("--url", value);
                    case "--ca" -> ca = required("--ca", value);
                    case "--timeout-seconds" -> timeoutSeconds = seconds(required("--timeout-seconds", value));
                    default -> throw new IllegalArgumentException("unknown option '" + args[i]
                            + "' (usage: HealthProbe [--url URL] [--ca PEM] [--timeout-seconds N])");
                }
                i++;
            }
            boolean tls = !env.getOrDefault("PM_TLS", "").isBlank() || !env.getOrDefault("PM_TLS_CERT", "").isBlank();
            if (url == null) {
                String port = env.getOrDefault("PM_PORT", "8080").strip();
                if (!port.matches("[0-9]{1,5}")) {
                    throw new IllegalArgumentException("PM_PORT: '" + port + "' is not a port number");
                }
                url = (tls ? "https" : "http") + "://127.0.0.1:" + port + PATH;
            }
            if (ca == null && url.startsWith("https:")) {
                ca = Path.of(env.getOrDefault("PM_DATA_DIR", "var/server"), "tls", "server-certificate.pem").toString();
            }
        } catch (IllegalArgumentException e) {
            err.println("health probe: " + e.getMessage());
            return USAGE;
        }
        try {
            HttpClient.Builder client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(timeoutSeconds));
            if (ca != null) {
                client.sslContext(pinned(Path.of(ca)));
            }
            HttpResponse<String> answer = client.build().send(HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(timeoutSeconds)).GET().build(), HttpResponse.BodyHandlers.ofString());
            String body = answer.body().length() > 300 ? answer.body().substring(0, 300) + "…" : answer.body();
            if (answer.statusCode() == 200) {
                out.println("health probe: " + url + " UP");
                return UP;
            }
            out.println("health probe: " + url + " answered " + answer.statusCode() + ": " + body.strip());
            return DOWN;
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            out.println("health probe: " + url + ": no answer (" + e + ")");
            return DOWN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return DOWN;
        }
    }

    /** TLS that trusts exactly the certificates of {@code pem} (the served chain), and no host name check. */
    private static SSLContext pinned(Path pem) throws IOException, GeneralSecurityException {
        // the certificate itself is pinned, so the name the probe dials (127.0.0.1) need not be one of its names
        System.setProperty("jdk.internal.httpclient.disableHostnameVerification", "true");
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(pem)) {
            int n = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trust.setCertificateEntry("served-" + n++, c);
            }
            if (n == 0) {
                throw new GeneralSecurityException(pem + " holds no certificate");
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }

    private static String required(String flag, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return value;
    }

    private static int seconds(String value) {
        try {
            int s = Integer.parseInt(value.strip());
            if (s < 1 || s > 300) {
                throw new IllegalArgumentException("--timeout-seconds: " + s + " is not between 1 and 300");
            }
            return s;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--timeout-seconds: '" + value + "' is not a number");
        }
    }
}
