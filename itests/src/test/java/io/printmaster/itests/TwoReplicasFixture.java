package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The setting of {@link TwoReplicasIT}: a fresh database on a PostgreSQL server ({@code PM_TEST_DATABASE_URL}, else a
 * throwaway cluster of {@code itests/tools/postgres.sh}; skipped when there is neither), a release feed that can hold
 * its listings (a long sync), two server processes from the built distribution on that database, started at the same
 * moment, and a real nginx in front of them (round robin, no stickiness) that names the answering replica in a
 * header.
 */
final class TwoReplicasFixture {
    private final int leaseTtlSeconds;
    private final String adminPassword;
    private final String upstreamHeader;

    private Path work;
    private Path postgresState;
    private String adminDatabaseUrl;
    private String databaseUrl;
    private HttpServer feed;
    /** While set, the release feed holds every listing until it is counted down (a long sync). */
    private final AtomicReference<CountDownLatch> feedGate = new AtomicReference<>();
    private final AtomicInteger feedListings = new AtomicInteger();
    private final ServerProcess[] replicas = new ServerProcess[2];
    private final Path[] data = new Path[2];
    private final int[] ports = new int[2];
    private Process nginx;
    private int nginxPort;

    /**
     * @param leaseTtlSeconds the replicas' {@code lease_ttl_seconds} of the release sync
     * @param adminPassword   the admin's password on the empty database
     * @param upstreamHeader  the response header in which nginx names the replica that answered
     */
    TwoReplicasFixture(int leaseTtlSeconds, String adminPassword, String upstreamHeader) {
        this.leaseTtlSeconds = leaseTtlSeconds;
        this.adminPassword = adminPassword;
        this.upstreamHeader = upstreamHeader;
    }

    /** Starts it all; what started is stopped by {@link #stop()} even when this fails half-way. */
    void start() throws Exception {
        work = Files.createTempDirectory("pm-replicas");
        adminDatabaseUrl = postgres();
        databaseUrl = freshDatabase(adminDatabaseUrl);
        feed = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        feed.setExecutor(Executors.newCachedThreadPool());
        feed.createContext("/", exchange -> {
            feedListings.incrementAndGet();
            CountDownLatch gate = feedGate.get();
            if (gate != null) {
                try {
                    gate.await(180, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            exchange.sendResponseHeaders(404, -1); // no feed: the source fails, the built-in source syncs
            exchange.close();
        });
        feed.start();

        Path masterKey = work.resolve("shared-master.key");
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        Files.writeString(masterKey, java.util.Base64.getEncoder().encodeToString(key) + "\n");
        Files.setPosixFilePermissions(masterKey, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        for (int i = 0; i < 2; i++) {
            data[i] = work.resolve("replica-" + i);
            Path etc = data[i].resolve("etc");
            Files.createDirectories(etc);
            Files.writeString(etc.resolve("io.printmaster.server.releases.intake.cfg"),
                    "lease_ttl_seconds=" + leaseTtlSeconds + "\n");
            Files.writeString(etc.resolve("io.printmaster.releasesource.httpfeed-slow.cfg"),
                    "name=slow\nurl=http://127.0.0.1:" + feed.getAddress().getPort() + "/feed.json\n");
            ports[i] = ServerProcess.freePort();
        }
        nginxPort = ServerProcess.freePort();
        // every installer and agent reaches the replicas through nginx: the same fleet files on both
        for (int i = 0; i < 2; i++) {
            Files.writeString(data[i].resolve("etc").resolve("io.printmaster.server.installers.cfg"),
                    "server_url=http://127.0.0.1:" + nginxPort + "\n");
        }

        // both at once on the empty database: the first-start races (schema, admin, keys) are part of the test
        ExecutorService starting = Executors.newFixedThreadPool(2);
        try {
            List<Future<ServerProcess>> futures = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                int replica = i;
                // the release cache shared (the syncing replica fills it); installers cached per replica
                futures.add(starting.submit(() -> ServerProcess.start("replica-" + replica, data[replica],
                        List.of("-Dpm.cache.dir=" + work.resolve("shared-cache")),
                        List.of("--port", Integer.toString(ports[replica])),
                        Map.of("PM_DATABASE_URL", databaseUrl, "PM_ADMIN_PASSWORD", adminPassword,
                                "PM_MASTER_KEY_FILE", masterKey.toString()))));
            }
            for (int i = 0; i < 2; i++) {
                replicas[i] = futures.get(i).get(3, TimeUnit.MINUTES);
            }
        } finally {
            starting.shutdown();
        }
        nginx = startNginx();
    }

    void stop() throws Exception {
        CountDownLatch gate = feedGate.getAndSet(null);
        if (gate != null) {
            gate.countDown();
        }
        if (nginx != null) {
            nginx.destroy();
            nginx.waitFor(10, TimeUnit.SECONDS);
        }
        for (ServerProcess r : replicas) {
            if (r != null) {
                r.close();
            }
        }
        if (feed != null) {
            feed.stop(0);
        }
        if (postgresState != null) {
            run(Duration.ofSeconds(60), script().toString(), "stop", postgresState.toString());
        }
    }

    /** The test's own database (its URL, for the server's {@code --database} and for {@link #psql}). */
    String databaseUrl() {
        return databaseUrl;
    }

    /** A query on the test's database, as {@code psql} prints it (unaligned, tuples only). */
    Result psql(String sql) throws Exception {
        return psql(databaseUrl, sql);
    }

    ServerProcess replica(int replica) {
        return replicas[replica];
    }

    List<ServerProcess> replicas() {
        return List.of(replicas);
    }

    int port(int replica) {
        return ports[replica];
    }

    URI viaNginx(String path) {
        return URI.create("http://127.0.0.1:" + nginxPort + path);
    }

    URI direct(int replica, String path) {
        return URI.create("http://127.0.0.1:" + ports[replica] + path);
    }

    /** How nginx names a replica in the upstream header. */
    String upstreamOf(int replica) {
        return "127.0.0.1:" + ports[replica];
    }

    /** While set, the release feed holds every listing until the latch is counted down. */
    AtomicReference<CountDownLatch> feedGate() {
        return feedGate;
    }

    /** How many listings the release feed was asked for so far. */
    int feedListings() {
        return feedListings.get();
    }

    // ---- the setting --------------------------------------------------------------------------------------------

    private static Path script() {
        return Path.of(System.getProperty("pm.workspace", "..")).resolve("itests/tools/postgres.sh");
    }

    /** The admin URL of a PostgreSQL server: the one given, or a throwaway cluster; skips when there is none. */
    private String postgres() throws Exception {
        String given = System.getenv("PM_TEST_DATABASE_URL");
        if (given != null && !given.isBlank()) {
            return given.strip();
        }
        Path script = script();
        boolean available = Files.isExecutable(script)
                && run(Duration.ofSeconds(30), script.toString(), "available").code() == 0;
        String missing = "PostgreSQL is not installed here and PM_TEST_DATABASE_URL is not set: the two-replica "
                + "test needs a PostgreSQL server (CI installs one)";
        if ("1".equals(System.getenv("PM_REQUIRE_POSTGRES"))) {
            assertTrue(available, missing + "; PM_REQUIRE_POSTGRES=1 makes that a failure");
        }
        assumeTrue(available, missing);
        postgresState = work.resolve("postgres.state");
        Result started = run(Duration.ofSeconds(120), script.toString(), "start", postgresState.toString());
        assertEquals(0, started.code(), "itests/tools/postgres.sh start: " + started.output());
        String[] lines = started.output().strip().split("\n");
        return lines[lines.length - 1].strip();
    }

    /** A new database for this test on that server; its URL. */
    private static String freshDatabase(String admin) throws Exception {
        String name = "pm_replicas_" + Long.toHexString(System.nanoTime());
        Result created = psql(admin, "CREATE DATABASE " + name);
        assertEquals(0, created.code(), "CREATE DATABASE: " + created.output());
        URI u = URI.create(admin);
        String query = u.getRawQuery() == null ? "" : "?" + u.getRawQuery();
        String withoutQuery = admin.substring(0, admin.length() - query.length());
        return withoutQuery.substring(0, withoutQuery.length() - u.getRawPath().length()) + "/" + name + query;
    }

    private static Result psql(String url, String sql) throws Exception {
        return run(Duration.ofSeconds(60), "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql);
    }

    private Process startNginx() throws Exception {
        Path dir = work.resolve("nginx");
        Files.createDirectories(dir.resolve("tmp"));
        boolean root = "root".equals(System.getProperty("user.name"));
        // what the admin guide shows, with the test's paths and ports; the upstream header names the replica that
        // answered, so the test sees round robin at work
        String conf = (root ? "user root;\n" : "") + """
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log info;
                events { worker_connections 512; }
                http {
                  access_log %1$s/access.log;
                  client_body_temp_path %1$s/tmp/body;
                  proxy_temp_path %1$s/tmp/proxy;
                  fastcgi_temp_path %1$s/tmp/fastcgi;
                  uwsgi_temp_path %1$s/tmp/uwsgi;
                  scgi_temp_path %1$s/tmp/scgi;
                  upstream printmaster {
                    server 127.0.0.1:%2$d max_fails=1 fail_timeout=2s;
                    server 127.0.0.1:%3$d max_fails=1 fail_timeout=2s;
                    keepalive 16;
                  }
                  server {
                    listen 127.0.0.1:%4$d;
                    client_max_body_size 0;
                    location / {
                      proxy_pass http://printmaster;
                      proxy_http_version 1.1;
                      proxy_set_header Connection "";
                      proxy_set_header Host $http_host;
                      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                      proxy_set_header X-Forwarded-Proto $scheme;
                      proxy_read_timeout 75s;
                      proxy_buffering off;
                      add_header %5$s $upstream_addr always;
                    }
                  }
                }
                """.formatted(dir, ports[0], ports[1], nginxPort, upstreamHeader);
        Path file = dir.resolve("nginx.conf");
        Files.writeString(file, conf);
        String binary = onPath("nginx") ? "nginx" : "/usr/sbin/nginx";
        assertTrue(onPath("nginx") || Files.isExecutable(Path.of(binary)),
                "nginx is not installed: the two-replica test runs behind a real nginx (apt-get install nginx-light)");
        Process p = new ProcessBuilder(binary, "-p", dir.toString(), "-c", file.toString(), "-g", "daemon off;")
                .redirectErrorStream(true).redirectOutput(dir.resolve("nginx.out").toFile()).start();
        HttpClient probe = HttpClient.newHttpClient();
        Eventually.within(Duration.ofSeconds(30), () -> {
            assertTrue(p.isAlive(), "nginx exited: " + Files.readString(dir.resolve("nginx.out")));
            HttpResponse<String> r = probe.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nginxPort
                    + "/api/v1/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
        });
        return p;
    }

    // ---- processes ----------------------------------------------------------------------------------------------

    /** What a command printed (stdout and stderr) and its exit code. */
    record Result(int code, String output) {
    }

    private static Result run(Duration timeout, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }
}
