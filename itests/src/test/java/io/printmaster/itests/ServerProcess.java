package io.printmaster.itests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The real server, started the way users start it: {@code java -cp "<dist>/lib/*" ServerMain --home <dist>
 * --data-dir <tmp> --port <free>} with {@code PM_ADMIN_PASSWORD} set, in its own process. {@link #start} returns
 * once {@code GET /api/v1/health} answers 200; {@link #close} stops it (SIGTERM, so the launcher's shutdown hook
 * stops Felix cleanly) and waits for it. Everything the server prints goes to a log file under {@code target/}.
 */
public final class ServerProcess implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final Process process;
    private final URI baseUri;
    private final String adminPassword;
    private final Path dataDir;
    private final Path log;

    private ServerProcess(Process process, URI baseUri, String adminPassword, Path dataDir, Path log) {
        this.process = process;
        this.baseUri = baseUri;
        this.adminPassword = adminPassword;
        this.dataDir = dataDir;
        this.log = log;
    }

    /**
     * JVM options for a server that publishes only the release sources a test configures: without the built-in
     * source on the agent distributions shipped in {@code <home>/agent-releases} (zero setup).
     */
    public static final List<String> WITHOUT_BUILT_IN_RELEASES = List.of("-Dpm.releases.builtin=off");

    /** Starts a server on a fresh data directory and a free loopback port; {@code name} names its log file. */
    public static ServerProcess start(String name) throws IOException, InterruptedException {
        return start(name, Files.createTempDirectory("pm-server-" + name));
    }

    /** Starts a server on an existing data directory, such as the one of a server stopped before (a restart). */
    public static ServerProcess start(String name, Path dataDir) throws IOException, InterruptedException {
        return start(name, dataDir, List.of());
    }

    /** Starts a server on a data directory with extra JVM options (such as {@link #WITHOUT_BUILT_IN_RELEASES}). */
    public static ServerProcess start(String name, Path dataDir, List<String> jvmOptions) throws IOException, InterruptedException {
        return start(name, dataDir, jvmOptions, List.of(), Map.of());
    }

    /** Starts a server with extra JVM options and {@code PM_*} environment variables (such as {@code PM_TRUSTED_PROXIES}). */
    public static ServerProcess start(String name, Path dataDir, List<String> jvmOptions, Map<String, String> extraEnv)
            throws IOException, InterruptedException {
        return start(name, dataDir, jvmOptions, List.of(), extraEnv);
    }

    /**
     * Starts a server with extra server options too. With a TLS option ({@code --tls self-signed},
     * {@code --tls-cert}) the base URI is {@code https://localhost:<port>} and this class trusts exactly the
     * certificate the server says it serves ({@code <data>/tls/server-certificate.pem}, see {@link #tls()}).
     */
    public static ServerProcess start(String name, Path dataDir, List<String> jvmOptions, List<String> serverArgs)
            throws IOException, InterruptedException {
        return start(name, dataDir, jvmOptions, serverArgs, Map.of());
    }

    /** Starts a server with extra JVM options, server options and {@code PM_*} environment variables. */
    public static ServerProcess start(String name, Path dataDir, List<String> jvmOptions, List<String> serverArgs,
                                      Map<String, String> extraEnv)
            throws IOException, InterruptedException {
        return launch(name, dataDir, jvmOptions, serverArgs, extraEnv, true);
    }

    /**
     * Starts a server on a data directory without waiting for it to be healthy: for a server expected to stay DOWN
     * (it runs, answers health 503 and logs why); see {@link #awaitLog}.
     */
    public static ServerProcess startUnhealthy(String name, Path dataDir) throws IOException, InterruptedException {
        return launch(name, dataDir, List.of(), List.of(), Map.of(), false);
    }

    /** Waits until the server's output contains {@code text}; fails with the log's end after {@code timeout}. */
    public void awaitLog(String text, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!Files.readString(log).contains(text)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the server did not log '" + text + "' within " + timeout + "\n" + logTail());
            }
            LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
        }
    }

    private static ServerProcess launch(String name, Path dataDir, List<String> jvmOptions, List<String> serverArgs,
                                        Map<String, String> extraEnv, boolean awaitHealthy)
            throws IOException, InterruptedException {
        Path dist = distribution();
        int given = serverArgs.indexOf("--port");
        // a restart on the port agents already know (the launcher takes the last --port)
        int port = given >= 0 ? Integer.parseInt(serverArgs.get(given + 1)) : freePort();
        String password = randomPassword();
        Path logDir = outputDir().resolve("server-logs");
        Files.createDirectories(logDir);
        Path log = logDir.resolve(name + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".log");

        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC"));
        command.addAll(jvmOptions);
        command.addAll(List.of(
                "-cp", dist.resolve("lib").toString() + java.io.File.separator + "*",
                "io.printmaster.server.launcher.ServerMain",
                "--home", dist.toString(),
                "--data-dir", dataDir.toString(),
                "--port", Integer.toString(port)));
        command.addAll(serverArgs);
        boolean https = serverArgs.stream().anyMatch(a -> a.startsWith("--tls"));
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(dataDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
        Map<String, String> env = builder.environment();
        // only what this test chooses: a developer's own PM_* settings must not leak into the server under test
        env.keySet().removeIf(k -> k.startsWith("PM_"));
        env.put("PM_ADMIN_PASSWORD", password);
        env.putAll(extraEnv);
        Process process = builder.start();
        ServerProcess server = new ServerProcess(process, URI.create(https ? "https://localhost:" + port
                : "http://127.0.0.1:" + port), password, dataDir, log);
        try {
            if (awaitHealthy) {
                server.awaitHealthy();
            }
        } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
            server.close();
            throw e;
        }
        return server;
    }

    public URI baseUri() {
        return baseUri;
    }

    public URI uri(String path) {
        return baseUri.resolve(path);
    }

    public String adminPassword() {
        return adminPassword;
    }

    public Path dataDir() {
        return dataDir;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Path log() {
        return log;
    }

    /** An HTTP client for this server: over https it trusts exactly the certificate the server serves. */
    public HttpClient.Builder httpClient() {
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
        if ("https".equals(baseUri.getScheme())) {
            b.sslContext(tls());
        }
        return b;
    }

    /** The served certificate chain, as the launcher wrote it for the installers ({@code <data>/tls/server-certificate.pem}). */
    public Path servedCertificate() {
        return dataDir.resolve("tls/server-certificate.pem");
    }

    /** A TLS context trusting only {@link #servedCertificate()}. */
    public javax.net.ssl.SSLContext tls() {
        try {
            java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
            store.load(null, null);
            int i = 0;
            try (java.io.InputStream in = Files.newInputStream(servedCertificate())) {
                for (java.security.cert.Certificate c : java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    store.setCertificateEntry("served-" + i++, c);
                }
            }
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private void awaitHealthy() throws IOException, InterruptedException {
        HttpRequest health = HttpRequest.newBuilder(uri("/api/v1/health")).timeout(Duration.ofSeconds(5)).build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        String last = "no answer yet";
        boolean https = "https".equals(baseUri.getScheme());
        HttpClient http = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the server exited with code " + process.exitValue() + " before it was healthy\n" + logTail());
            }
            try {
                if (http == null) {
                    http = https && !Files.exists(servedCertificate()) ? HttpClient.newBuilder().build() : httpClient().build();
                }
                HttpResponse<String> r = http.send(health, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
                last = "HTTP " + r.statusCode() + ": " + r.body();
            } catch (IOException e) {
                last = e.toString(); // not listening yet
                if (https) {
                    // over https, trust what the launcher wrote by now: the certificate file of an earlier run on the
                    // same data folder is replaced when the new run starts
                    http = null;
                }
            }
            // poll again shortly; the health answer, not this pause, ends the wait
            LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
        }
        throw new IllegalStateException("the server was not healthy within " + START_TIMEOUT.toSeconds() + " s (last: " + last + ")\n" + logTail());
    }

    /**
     * Waits until every path is served (any answer but 404: an endpoint that needs a login answers 401). Health is
     * UP only once the platform bundles are ready; this turns a bundle missing from the distribution into a clear
     * message instead of a browser test failing somewhere further on.
     */
    public void awaitEndpoints(String... paths) throws IOException, InterruptedException {
        HttpClient http = httpClient().build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        for (String path : paths) {
            HttpRequest request = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(5)).build();
            while (true) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("the server exited with code " + process.exitValue() + "\n" + logTail());
                }
                int status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status != 404) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the server does not serve " + path + " (still 404 after "
                            + START_TIMEOUT.toSeconds() + " s): is the bundle providing it missing from the distribution?\n" + logTail());
                }
                LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
            }
        }
    }

    /** The end of the server's output, for failure messages. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return "--- last lines of " + log + " ---\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    /** Kills the server at once (SIGKILL): no shutdown hook runs, as when its machine dies. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
        }
    }

    static Path distribution() {
        String dist = System.getProperty("pm.server.dist");
        if (dist == null) {
            throw new IllegalStateException("system property pm.server.dist is not set (run through Maven failsafe)");
        }
        Path path = Path.of(dist);
        if (!Files.isDirectory(path.resolve("lib")) || !Files.isDirectory(path.resolve("bundle"))) {
            throw new IllegalStateException("the server distribution is not built: " + path);
        }
        return path;
    }

    /** Where tests write logs and screenshots: {@code target/} of the itests module. */
    static Path outputDir() {
        return Path.of(System.getProperty("pm.itest.output", "target"));
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String randomPassword() {
        byte[] bytes = new byte[18];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
