package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.net.CookieManager;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13 item 6 end to end, with the real server and agent processes and the real {@code curl} and
 * {@code openssl}: {@code --tls self-signed} and {@code --tls-cert/--tls-key} serve HTTPS (and only HTTPS); the
 * certificate presented is the configured one; the session cookie is {@code Secure}; an installer downloaded over
 * https carries the https URL and the server's certificate, and the agent installed from it enrolls and checks in
 * pinned to it, and installs a newer release on "Update now" through its update worker's own client, pinned the
 * same way; given another certificate, the agent refuses the server; plain http to a host that is not
 * loopback is refused by the installers and by the agent unless {@code allow_insecure_http} says otherwise.
 */
class TlsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final String FLEET = "tls-floor";
    /** The release published after enrollment (the build's version is {@code 0.1.0-SNAPSHOT}). */
    private static final String UPDATE = "0.1.1";

    @TempDir
    Path work;

    @Test
    void aSelfSignedServerIsPinnedByTheAgentsOfItsInstallers() throws Exception {
        Path data = Files.createDirectories(work.resolve("server-data"));
        ServerProcess server = ServerProcess.start("tls-self-signed", data, List.of(), List.of("--tls", "self-signed"));
        try (AgentInstallation agent = installerOverHttps(server)) {
            Path crt = data.resolve("tls/self-signed.crt");
            assertEquals(PosixFilePermissions.fromString("rw-------"),
                    Files.getPosixFilePermissions(data.resolve("tls/self-signed.key")), "the private key is the server user's only");
            String fingerprint = opensslFingerprint(crt);
            assertTrue(Files.readString(server.log()).contains("SHA-256 fingerprint " + fingerprint),
                    "the fingerprint is printed at start:\n" + server.logTail());

            // the real curl trusts it with --cacert, and openssl s_client sees exactly that certificate
            int port = server.baseUri().getPort();
            String health = Tools.run(List.of("curl", "-sS", "--fail", "--cacert", crt.toString(),
                    "https://localhost:" + port + "/api/v1/health"));
            assertTrue(health.contains("\"status\":\"UP\""), health);
            assertEquals(fingerprint, presentedFingerprint(port));
            // a Host the certificate does not name (an alias, an address missing from it) is still served: agents pin
            // the key, and their URL is whatever address the admin downloaded the installer from
            String aliased = Tools.run(List.of("curl", "-sS", "--fail", "--cacert", crt.toString(), "-H",
                    "Host: pm-alias.example.test:" + port, "https://localhost:" + port + "/api/v1/health"));
            assertTrue(aliased.contains("\"status\":\"UP\""), aliased);
            assertFalse(curlStatus("http://127.0.0.1:" + port + "/api/v1/health").equals("200"), "plain HTTP is off");

            // the agent installed from the https installer enrolled and checks in, pinned
            JsonNode fleetJson = JSON.readTree(agent.root().resolve("etc/fleet.json").toFile());
            assertEquals("https://localhost:" + port, fleetJson.get("server_url").asText());
            assertTrue(fleetJson.get("tls_pinned").asBoolean(), fleetJson.toString());
            assertEquals("ca-bundle.pem", fleetJson.get("ca_bundle").asText());
            assertEquals(fingerprint, opensslFingerprint(agent.root().resolve("etc/ca-bundle.pem")));
            Https admin = Https.login(server);
            String agentId = awaitCheckedIn(admin, agent).get("id").asText();

            // a newer release, installed over the pinned TLS: the update worker's own client downloads and reports
            updatesOverThePinnedTls(server, admin, agent, agentId);

            // another server with another certificate on the same address: the agent refuses it and says why
            server.close();
            Path other = Files.createDirectories(work.resolve("other"));
            Tools.run(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", other.resolve("k.pem").toString(), "-out", other.resolve("c.pem").toString(), "-subj",
                    "/CN=localhost", "-days", "2", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"));
            server = ServerProcess.start("tls-impostor", Files.createDirectories(work.resolve("impostor-data")), List.of(),
                    List.of("--tls-cert", other.resolve("c.pem").toString(), "--tls-key", other.resolve("k.pem").toString(),
                            "--port", Integer.toString(port)));
            checkNow(agent); // the next check-in is an hour away: ask for one now
            Eventually.within(WAIT, () -> {
                JsonNode status = agentStatus(agent);
                assertTrue(status.toString().contains("is not the one pinned in"), status.toString());
            }, () -> agent.isRunning() ? null : "the agent exited\n" + agent.logTail());
            assertFalse(agentStatus(agent).path("last_check_in").path("succeeded").asBoolean(true));
            assertEquals(0, Https.login(server).get("/api/v1/agents").get("agents").size(), "nothing reached the impostor");

            // the real server again: it reuses its key and certificate, and the pinned agent checks in with it again
            server.close();
            server = ServerProcess.start("tls-self-signed-again", data, List.of(), List.of("--tls", "self-signed",
                    "--port", Integer.toString(port)));
            assertEquals(fingerprint, presentedFingerprint(port));
            assertTrue(Files.readString(server.log()).contains("(reused)"), server.logTail());
            Https again = Https.login(server);
            checkNow(agent); // rather than wait out the backoff the failed attempts built up
            Eventually.within(WAIT, () -> {
                JsonNode status = agentStatus(agent);
                assertTrue(status.path("last_check_in").path("succeeded").asBoolean(false), status.toString());
            }, () -> agent.isRunning() ? null : "the agent exited\n" + agent.logTail());
            assertEquals(1, again.get("/api/v1/agents").get("agents").size());
            assertEquals(agentId, again.get("/api/v1/agents").get("agents").get(0).get("id").asText());
        } finally {
            server.close();
        }
    }

    @Test
    void aNewCertificateStagedInCaBundleReachesPinnedAgentsBeforeTheSwitch() throws Exception {
        Path pki = Files.createDirectories(work.resolve("rotation-pki"));
        for (String name : List.of("old", "new")) {
            Tools.run(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", pki.resolve(name + ".key").toString(), "-out", pki.resolve(name + ".pem").toString(),
                    "-subj", "/CN=localhost", "-days", "30", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"));
        }
        Path data = Files.createDirectories(work.resolve("rotation-data"));
        int port;
        String agentId;
        ServerProcess server = ServerProcess.start("tls-rotation-old", data, List.of(), List.of(
                "--tls-cert", pki.resolve("old.pem").toString(), "--tls-key", pki.resolve("old.key").toString()));
        try (AgentInstallation agent = installerOverHttps(server)) {
            port = server.baseUri().getPort();
            Https admin = Https.login(server);
            agentId = awaitCheckedIn(admin, agent).get("id").asText();
            assertEquals(opensslFingerprint(pki.resolve("old.pem")), opensslFingerprint(agent.root().resolve("etc/ca-bundle.pem")));

            // 1. stage the next certificate: the installers' ca_bundle, which the server announces to pinned agents
            Path etc = Files.createDirectories(data.resolve("etc"));
            Files.writeString(etc.resolve("io.printmaster.server.installers.cfg"), "ca_bundle=" + pki.resolve("new.pem") + "\n");
            String newFingerprint = opensslFingerprint(pki.resolve("new.pem"));
            agent.checkInEvery(10); // applied while running: the next check-in comes within seconds
            Eventually.within(WAIT, () -> {
                Path learned;
                try (var files = Files.list(agent.dataDir().resolve("state"))) {
                    learned = files.filter(f -> f.getFileName().toString().startsWith("tls-pins-")).findFirst().orElse(null);
                }
                assertTrue(learned != null, "the agent kept the announced certificates");
                List<String> kept = new ArrayList<>();
                try (var in = Files.newInputStream(learned)) {
                    for (var c : java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                        kept.add(java.util.HexFormat.ofDelimiter(":").withUpperCase().formatHex(
                                java.security.MessageDigest.getInstance("SHA-256").digest(c.getEncoded())));
                    }
                }
                assertTrue(kept.contains(newFingerprint), "the next certificate is among " + kept);
            }, () -> agent.isRunning() ? null : "the agent exited\n" + agent.logTail());

            // 2. switch the server to the new certificate on the same address: the agent follows on its own
            server.close();
            server = ServerProcess.start("tls-rotation-new", data, List.of(), List.of("--tls-cert",
                    pki.resolve("new.pem").toString(), "--tls-key", pki.resolve("new.key").toString(), "--port",
                    Integer.toString(port)));
            assertEquals(newFingerprint, presentedFingerprint(port));
            Https after = Https.login(server);
            String before = lastSeen(after, agentId);
            checkNow(agent);
            Eventually.within(WAIT, () -> assertNotEquals(before, lastSeen(after, agentId),
                    "the agent checked in with the server's new certificate\n" + agent.logTail()),
                    () -> agent.isRunning() ? null : "the agent exited\n" + agent.logTail());
            assertEquals(1, after.get("/api/v1/agents").get("agents").size(), "the same agent, not a new enrollment");
        } finally {
            server.close();
        }
    }

    @Test
    void ownCertificateFilesAreServedAsGiven() throws Exception {
        Path pki = Files.createDirectories(work.resolve("pki"));
        // an RSA key in PKCS#1 (openssl genrsa -traditional) and its certificate
        Tools.run(List.of("openssl", "genrsa", "-traditional", "-out", pki.resolve("server.key").toString(), "2048"));
        Tools.run(List.of("openssl", "req", "-x509", "-key", pki.resolve("server.key").toString(), "-out",
                pki.resolve("server.pem").toString(), "-subj", "/CN=localhost", "-days", "2",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"));
        Tools.run(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", pki.resolve("stranger.key").toString(), "-out", pki.resolve("stranger.pem").toString(),
                "-subj", "/CN=localhost", "-days", "2", "-addext", "subjectAltName=DNS:localhost"));
        Path data = Files.createDirectories(work.resolve("own-data"));
        try (ServerProcess server = ServerProcess.start("tls-own-files", data, List.of(), List.of(
                "--tls-cert", pki.resolve("server.pem").toString(), "--tls-key", pki.resolve("server.key").toString()))) {
            int port = server.baseUri().getPort();
            assertEquals(opensslFingerprint(pki.resolve("server.pem")), presentedFingerprint(port));
            String health = Tools.run(List.of("curl", "-sS", "--fail", "--cacert", pki.resolve("server.pem").toString(),
                    "https://localhost:" + port + "/api/v1/health"));
            assertTrue(health.contains("\"status\":\"UP\""), health);
            // a client trusting another certificate refuses the server: curl's "peer certificate cannot be authenticated"
            Process p = new ProcessBuilder("curl", "-sS", "--cacert", pki.resolve("stranger.pem").toString(),
                    "https://localhost:" + port + "/api/v1/health").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(60, p.exitValue(), out);
            assertEquals(Files.readString(pki.resolve("server.pem")), Files.readString(server.servedCertificate()));

            HttpResponse<String> login = login(server);
            String cookie = login.headers().firstValue("Set-Cookie").orElse("");
            assertTrue(cookie.startsWith("PM_SESSION=") && cookie.endsWith("; Secure"), "the session cookie is Secure: " + cookie);
        }
    }

    @Test
    void plainHttpToAHostThatIsNotLoopbackIsRefusedByInstallersAndAgents() throws Exception {
        try (ServerProcess server = ServerProcess.start("tls-plain-http")) {
            server.awaitEndpoints("/api/v1/installers/formats", "/api/v1/agents");
            Https admin = Https.login(server);
            String token = fleetAndToken(admin);
            awaitArtifacts(admin);
            int port = server.baseUri().getPort();
            // an installer asked for under another host name would point agents at plain http there: refused
            String refused = Tools.run(List.of("curl", "-sS", "-H", "Host: printmaster.example.test:8080",
                    "-H", "Authorization: Bearer " + token, "-w", "\n%{http_code}",
                    "http://127.0.0.1:" + port + "/api/v1/installers/" + FLEET + "/linux-amd64?format=tar.gz"));
            assertTrue(refused.endsWith("\n409"), refused);
            assertTrue(refused.contains("\"code\":\"insecure_server_url\"") && refused.contains("allow_insecure_http=true"), refused);
            String cookie = login(server).headers().firstValue("Set-Cookie").orElse("");
            assertFalse(cookie.contains("Secure"), "no Secure cookie over plain http: " + cookie);

            // the agent of a loopback installer, pointed at this machine's name over http, refuses and sends nothing
            Path installer = download(server, token, work.resolve("plain.tar.gz"));
            try (AgentInstallation agent = AgentInstallation.install(installer, work.resolve("plain-agent"), "tls-plain-agent")) {
                String host = InetAddress.getLocalHost().getHostName();
                Path fleetJson = agent.root().resolve("etc/fleet.json");
                Files.writeString(fleetJson, Files.readString(fleetJson).replace("http://127.0.0.1:" + port,
                        "http://" + host + ":" + port));
                agent.startPlain(Map.of());
                Eventually.within(WAIT, () -> {
                    JsonNode status = agentStatus(agent);
                    assertEquals("failed", status.path("state").asText(), status.toString());
                    assertTrue(status.path("message").asText().startsWith("refusing plain HTTP to http://" + host + ":" + port),
                            status.toString());
                }, () -> agent.isRunning() ? null : "the agent exited\n" + agent.logTail());
                assertTrue(Files.readString(agent.log()).contains("refusing plain HTTP"), "the refusal is in the agent's log");
                assertEquals(0, admin.get("/api/v1/agents").get("agents").size(), "the join token was never sent");

                if (InetAddress.getByName(host).isLoopbackAddress()) {
                    // the machine's name reaches this server: allowing plain http in the agent's own settings lets it enroll
                    Path cfg = Files.createDirectories(agent.dataDir().resolve("etc")).resolve("io.printmaster.agent.cfg");
                    Files.writeString(cfg, "allow_insecure_http=true\n");
                    awaitCheckedIn(admin, agent);
                }
            }
        }
    }

    // ---- helpers

    /**
     * A release published into a {@code directory} source of the https server, "Update now" on the server: the agent
     * installs it (a hot swap of one bundle, in the running process) and reports it. Enrollment's check-ins and the
     * update worker's downloads and telemetry are separate HTTP clients: only the worker's reaching the pinned server
     * downloads the bundle and tells the server the run succeeded.
     */
    private void updatesOverThePinnedTls(ServerProcess server, Https admin, AgentInstallation agent, String agentId)
            throws Exception {
        server.awaitEndpoints("/api/v1/release-sources");
        Path folder = Files.createDirectories(work.resolve("releases"));
        HttpResponse<String> source = admin.post("/api/v1/release-sources", Map.of("type", "directory",
                "name", FLEET + "-folder", "config", Map.of("path", folder.toString())));
        assertEquals(201, source.statusCode(), source.body());
        AgentReleaseBuilder official = AgentReleaseBuilder.fromBuild();
        // a release changing one bundle keeps the running program: the agent started without its supervisor swaps it
        Path archive = official.publish(folder, UPDATE, AgentReleaseBuilder.Changes.bundles("io.printmaster.agent.localui"));
        String query = "?component=agent&version=" + UPDATE + "&platform=linux&arch=" + AgentReleaseBuilder.arch()
                + "&format=tar.gz";
        HttpResponse<String> sync = admin.post("/api/v1/releases/sync", Map.of()); // "Sync now"
        assertEquals(202, sync.statusCode(), sync.body());
        Eventually.within(WAIT, () -> {
            if (admin.get("/api/v1/releases/artifacts" + query).get("artifacts").isEmpty()) {
                // a sync that listed the folder before the file was there misses it: ask again (joins a running one)
                admin.post("/api/v1/releases/sync", Map.of());
            }
            assertEquals(1, admin.get("/api/v1/releases/manifests" + query).get("manifests").size(),
                    UPDATE + " is cached with a signed manifest: " + admin.get("/api/v1/releases/sync/status"));
        });
        Eventually.within(WAIT, () -> assertTrue(agent.status().path("worker_installed").asBoolean(),
                "the agent runs its update worker"), () -> agent.isRunning() ? null : "the agent exited\n" + agent.logTail());

        // the server learns the version the agent runs from its check-ins, hourly by default (applied while running)
        agent.checkInEvery(10);
        HttpResponse<String> force = admin.post("/api/v1/agents/" + agentId + "/commands", Map.of("command", "force_update"));
        assertEquals(202, force.statusCode(), force.body());
        checkNow(agent); // the command rides on the next check-in, an hour away: ask for one now
        Eventually.within(WAIT, () -> {
            JsonNode mine = admin.get("/api/v1/agents/" + agentId);
            assertEquals(UPDATE, mine.path("target_version").asText(), "server: target_version " + mine);
            assertEquals("succeeded", mine.path("status").asText(), "server: status " + mine);
            assertEquals(UPDATE, mine.path("current_version").asText(), "server: current_version " + mine);
            assertEquals(UPDATE, agent.status().path("current_version").asText(), "agent: current_version");
        }, () -> runToTheUpdateEnded(admin, agent, agentId));
        assertEquals(java.util.Optional.of(UPDATE), agent.slotFile("current"), "versions/current");
        assertEquals(UPDATE, Files.readString(agent.versions().resolve(UPDATE).resolve("VERSION")).strip());

        // the run's telemetry, sent by the worker over the pinned TLS: a hot swap that downloaded the changed bundle
        JsonNode succeeded = null;
        for (JsonNode t : admin.get("/api/v1/agents/" + agentId + "/telemetry?limit=50").get("transitions")) {
            if (UPDATE.equals(t.path("target_version").asText()) && "succeeded".equals(t.path("status").asText())) {
                succeeded = t;
            }
        }
        assertTrue(succeeded != null, "a succeeded transition to " + UPDATE);
        assertEquals("hot-swap", succeeded.path("metadata").path("mode").asText(), succeeded.toString());
        assertEquals(List.of("io.printmaster.agent.localui"), JSON.convertValue(
                succeeded.path("metadata").path("bundles_changed"), List.class), succeeded.toString());
        assertTrue(succeeded.path("metadata").path("bytes_downloaded").asLong() > 0, "downloaded: " + succeeded);
        assertTrue(Files.size(archive) > succeeded.path("metadata").path("bytes_downloaded").asLong());
        // and the audit log names who asked for it
        boolean audited = false;
        for (JsonNode e : admin.get("/api/v1/audit?limit=50&target=agent:" + agentId).get("entries")) {
            audited |= "agent.command".equals(e.path("action").asText()) && e.toString().contains("force_update");
        }
        assertTrue(audited, "the audit log has the force_update");
    }

    /** A reason to stop waiting for the update: the agent exited, or it or the server says the run ended otherwise. */
    private static String runToTheUpdateEnded(Https admin, AgentInstallation agent, String agentId) {
        if (!agent.isRunning()) {
            return "the agent exited\n" + agent.logTail();
        }
        List<String> failed = List.of("failed", "rolled_back", "skipped", "cancelled");
        try {
            // the agent's own word first: a worker that cannot reach the server cannot tell the server it failed
            JsonNode last = agent.status().path("last_result");
            if (UPDATE.equals(last.path("target_version").asText()) && failed.contains(last.path("status").asText())) {
                return "the agent's run to " + UPDATE + " ended: " + last + "\n" + agent.logTail();
            }
            JsonNode mine = admin.get("/api/v1/agents/" + agentId);
            return UPDATE.equals(mine.path("target_version").asText()) && failed.contains(mine.path("status").asText())
                    ? "the run to " + UPDATE + " ended " + mine.path("status").asText() + ": " + mine + "\n"
                    + agent.logTail() : null;
        } catch (Exception | AssertionError e) {
            return null; // cannot tell now (the local page is swapped with its bundle): the wait goes on
        }
    }


    /** A fleet, an installers token, the tar.gz installer downloaded over the server's https, installed and started. */
    private AgentInstallation installerOverHttps(ServerProcess server) throws Exception {
        server.awaitEndpoints("/api/v1/installers/formats", "/api/v1/agents", "/api/v1/releases/artifacts");
        Https admin = Https.login(server);
        String token = fleetAndToken(admin);
        awaitArtifacts(admin);
        Path installer = download(server, token, work.resolve("installer.tar.gz"));
        AgentInstallation agent = AgentInstallation.install(installer, work.resolve("agent"), "tls-agent");
        agent.startPlain(Map.of());
        return agent;
    }

    private static String fleetAndToken(Https admin) throws Exception {
        HttpResponse<String> fleet = admin.post("/api/v1/fleets", Map.of("id", FLEET, "name", "TLS floor"));
        assertEquals(201, fleet.statusCode(), fleet.body());
        HttpResponse<String> token = admin.post("/api/v1/auth/tokens",
                Map.of("name", "installers", "scopes", List.of("installers.download"), "fleets", List.of(FLEET)));
        assertEquals(201, token.statusCode(), token.body());
        return JSON.readTree(token.body()).get("token").asText();
    }

    private static void awaitArtifacts(Https admin) throws Exception {
        Eventually.within(WAIT, () -> {
            Set<String> platforms = new java.util.TreeSet<>();
            admin.get("/api/v1/releases/artifacts?component=agent").get("artifacts")
                    .forEach(a -> platforms.add(a.get("platform").asText() + "-" + a.get("arch").asText()));
            assertTrue(platforms.contains("linux-amd64"), "built-in agent artifacts: " + platforms);
        });
    }

    private static Path download(ServerProcess server, String token, Path to) throws Exception {
        HttpResponse<Path> r = server.httpClient().build().send(HttpRequest.newBuilder(
                server.uri("/api/v1/installers/" + FLEET + "/linux-amd64?format=tar.gz"))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofMinutes(3)).build(),
                HttpResponse.BodyHandlers.ofFile(to));
        assertEquals(200, r.statusCode(), () -> {
            try {
                return Files.readString(to);
            } catch (Exception e) {
                return e.toString();
            }
        });
        return to;
    }

    private static JsonNode awaitCheckedIn(Https admin, AgentInstallation agent) throws Exception {
        JsonNode[] mine = new JsonNode[1];
        Eventually.within(WAIT, () -> {
            JsonNode found = null;
            for (JsonNode a : admin.get("/api/v1/agents").get("agents")) {
                if (FLEET.equals(a.get("fleet").asText())) {
                    found = a;
                }
            }
            assertTrue(found != null && !found.get("last_seen_at").isNull(), "the agent enrolled and checked in: "
                    + found + "\n" + agent.logTail());
            mine[0] = found;
        }, () -> agent.isRunning() ? null : "the agent exited\n" + agent.logTail());
        return mine[0];
    }

    private static String lastSeen(Https admin, String agentId) throws Exception {
        for (JsonNode a : admin.get("/api/v1/agents").get("agents")) {
            if (agentId.equals(a.get("id").asText())) {
                return a.get("last_seen_at").asText();
            }
        }
        throw new AssertionError("agent " + agentId + " is not listed");
    }

    /** "Check now" on the agent's local API: the update worker asks enrollment for a check-in at once. */
    private static void checkNow(AgentInstallation agent) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + agent.port() + "/api/autoupdate/check"))
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        // 202, or 409 while a run is already under way (which asks for a check-in too)
        assertTrue(r.statusCode() == 202 || r.statusCode() == 409, "check now: " + r.statusCode() + " " + r.body());
    }

    private static JsonNode agentStatus(AgentInstallation agent) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + agent.port() + "/api/enrollment/status")).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    private static HttpResponse<String> login(ServerProcess server) throws Exception {
        String body = JSON.writeValueAsString(Map.of("username", "admin", "password", server.adminPassword()));
        return server.httpClient().build().send(HttpRequest.newBuilder(server.uri("/api/v1/auth/login"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** {@code openssl x509 -fingerprint -sha256} of a PEM file: {@code AB:CD:…}. */
    private static String opensslFingerprint(Path pem) throws Exception {
        return fingerprintOf(Tools.run(List.of("openssl", "x509", "-in", pem.toString(), "-noout", "-fingerprint", "-sha256")));
    }

    /** The fingerprint of the certificate {@code openssl s_client} is presented on 127.0.0.1:{@code port}. */
    private static String presentedFingerprint(int port) throws Exception {
        Process p = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-servername", "localhost")
                .redirectInput(new File("/dev/null")).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "openssl s_client ended");
        Matcher m = Pattern.compile("-----BEGIN CERTIFICATE-----[\\s\\S]*?-----END CERTIFICATE-----").matcher(out);
        assertTrue(m.find(), "s_client shows the server certificate:\n" + out);
        Path pem = Files.createTempFile("presented", ".pem");
        try {
            Files.writeString(pem, m.group() + "\n");
            return opensslFingerprint(pem);
        } finally {
            Files.delete(pem);
        }
    }

    private static String fingerprintOf(String opensslOutput) {
        Matcher m = Pattern.compile("(?i)sha256 Fingerprint=([0-9A-F:]+)").matcher(opensslOutput);
        assertTrue(m.find(), opensslOutput);
        return m.group(1).toUpperCase(java.util.Locale.ROOT);
    }

    private static String curlStatus(String url) throws Exception {
        Process p = new ProcessBuilder("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", url)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }

    /** The admin's console session over the server's own scheme (https trusting only its served certificate). */
    record Https(HttpClient http, ServerProcess server, String csrf) {
        static Https login(ServerProcess server) throws Exception {
            HttpClient http = server.httpClient().cookieHandler(new CookieManager()).build();
            String body = JSON.writeValueAsString(Map.of("username", "admin", "password", server.adminPassword()));
            HttpResponse<String> login = http.send(HttpRequest.newBuilder(server.uri("/api/v1/auth/login"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, login.statusCode(), login.body());
            return new Https(http, server, JSON.readTree(login.body()).get("csrf_token").asText());
        }

        JsonNode get(String path) throws Exception {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.uri(path)).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), path + ": " + r.body());
            return JSON.readTree(r.body());
        }

        HttpResponse<String> post(String path, Object body) throws Exception {
            return http.send(HttpRequest.newBuilder(server.uri(path)).timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/json").header("X-CSRF-Token", csrf)
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }
}
