package io.printmaster.agent.enrollment.impl;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.agent.enrollment.api.EnrollmentState.Phase;
import io.printmaster.core.retry.Backoff;
import io.printmaster.secretbox.impl.MasterKeySecretBox;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnrollmentLoopTest {
    private static final String TOKEN = "pmj_firsttoken";
    private static final byte[] MASTER_KEY = new byte[32];
    private static final Duration WAIT = Duration.ofSeconds(15);

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private Path etc() {
        return dir.resolve("home/etc");
    }

    private Path state() {
        return dir.resolve("data/state");
    }

    private Path settingsFile() {
        return dir.resolve("data/etc/io.printmaster.agent.cfg");
    }

    private FakeServer server(int port) throws IOException {
        FakeServer s = FakeServer.http(port);
        open.add(s);
        return s;
    }

    private void fleetFiles(String serverUrl, String token, String caBundle) throws IOException {
        Files.createDirectories(etc());
        writeAtomically(etc().resolve("fleet.json"), "{\"server_url\":\"" + serverUrl + "\",\"fleet_id\":\"fleet-a\","
                + "\"fleet_name\":\"Fleet A\",\"policy\":" + FakeServer.POLICY + ",\"policy_source\":\"fleet\","
                + "\"ca_bundle\":" + (caBundle == null ? "null" : "\"" + caBundle + "\"")
                + ",\"generated_at\":\"2025-01-01T00:00:00Z\"}");
        if (token != null) {
            writeAtomically(etc().resolve("join-token"), token + "\n");
        }
    }

    /** As installers and editors that save safely do: the change is seen whole. */
    private static void writeAtomically(Path file, String content) throws IOException {
        Path tmp = Files.createTempFile(file.getParent(), "w", ".tmp");
        Files.writeString(tmp, content);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private EnrollmentLoop loop() {
        return loop(new CredentialStore(state(), new MasterKeySecretBox(MASTER_KEY)), Optional::empty);
    }

    private EnrollmentLoop loop(CredentialStore store,
                                java.util.function.Supplier<Optional<io.printmaster.agent.config.api.AgentSettings>> settings) {
        EnrollmentLoop.Timing fast = new EnrollmentLoop.Timing(Duration.ofMillis(20),
                Backoff.of(Duration.ofMillis(20), Duration.ofMillis(200), Integer.MAX_VALUE),
                Duration.ofSeconds(2), Duration.ofSeconds(5));
        EnrollmentLoop loop = new EnrollmentLoop(new FleetFiles(etc()), store,
                new UsedJoinToken(etc().resolve("join-token"), settingsFile(), state()),
                () -> new HostFacts("host-1", "linux", "amd64", "1.2.3"), settings, Duration.ofHours(1), fast,
                Clock.systemUTC());
        open.add(loop);
        loop.start();
        return loop;
    }

    private static void awaitCheckedIn(EnrollmentLoop loop) {
        await().atMost(WAIT).until(() -> loop.state().phase() == Phase.ENROLLED
                && loop.lastCheckIn().map(c -> c.succeeded()).orElse(false));
    }

    @Test
    void anUpdateRunsCheckInCarriesItsRunIdAndOnlyThatOne() throws Exception {
        FakeServer server = server(0);
        server.validTokens.add(TOKEN);
        fleetFiles("http://127.0.0.1:" + server.port() + "/", TOKEN, null);
        EnrollmentLoop loop = loop();
        awaitCheckedIn(loop);
        assertFalse(server.checkInBodies.get(0).has("run_id"), "a periodic check-in carries no run id");

        int before = server.checkInBodies.size();
        io.printmaster.agent.enrollment.api.CheckIn run = loop.checkInNow(WAIT, "run-abc").orElseThrow();
        assertTrue(run.succeeded());
        List<JsonNode> sent = server.checkInBodies.subList(before, server.checkInBodies.size());
        assertEquals(List.of("run-abc"), sent.stream().filter(b -> b.has("run_id")).map(b -> b.get("run_id").asText())
                .toList(), "exactly one check-in carried the run id");
        assertEquals("run-abc", server.checkInBodies.get(server.checkInBodies.size() - 1).path("run_id").asText());

        // the next check-in (a plain "check now") is periodic again
        int after = server.checkInBodies.size();
        loop.checkInNow(WAIT).orElseThrow();
        await().atMost(WAIT).until(() -> server.checkInBodies.size() > after);
        assertFalse(server.checkInBodies.get(after).has("run_id"), "the run id is used once");
    }

    @Test
    void aRunIdNobodyCheckedInWithIsNotCarriedByALaterPeriodicCheckIn() throws Exception {
        EnrollmentLoop loop = loop(); // no fleet files yet: nothing to check in with
        assertEquals(Optional.empty(), loop.checkInNow(Duration.ofMillis(300), "run-gone"));

        FakeServer server = server(0);
        server.validTokens.add(TOKEN);
        fleetFiles("http://127.0.0.1:" + server.port() + "/", TOKEN, null);
        awaitCheckedIn(loop);
        assertFalse(server.checkInBodies.get(0).has("run_id"), server.checkInBodies.get(0).toString());
    }

    @Test
    void enrollsOnceStoresTheCredentialSealedAndChecksIn() throws Exception {
        FakeServer server = server(0);
        server.validTokens.add(TOKEN);
        fleetFiles("http://127.0.0.1:" + server.port() + "/", TOKEN, null);

        EnrollmentLoop loop = loop();
        awaitCheckedIn(loop);

        assertEquals(1, server.enrolls.get());
        JsonNode sent = server.enrollBodies.get(0);
        assertEquals(Set.of("join_token", "hostname", "platform", "arch", "current_version"), fieldNames(sent));
        assertEquals("linux", sent.get("platform").asText());
        assertEquals("amd64", sent.get("arch").asText());
        assertEquals("1.2.3", sent.get("current_version").asText());
        assertEquals("Bearer pma_secretcredential1", server.checkInAuthorizations.get(0));

        assertEquals("agent-1", loop.current().orElseThrow().agentId());
        assertEquals("fleet-a", loop.current().orElseThrow().fleetId());
        assertEquals("http://127.0.0.1:" + server.port(), loop.current().orElseThrow().serverUrl().toString());
        assertEquals(Optional.of("pma_secretcredential1"), loop.credential());
        assertTrue(loop.fleetPolicy().isPresent(), "the check-in's policy is the fleet policy");
        assertFalse(loop.lastCheckIn().orElseThrow().answer().orElseThrow().path("update_available").asBoolean(true));

        // "check now": a fresh check-in, made and returned at once, told to the listeners too
        java.util.List<io.printmaster.agent.enrollment.api.CheckIn> told = new java.util.concurrent.CopyOnWriteArrayList<>();
        loop.listeners(told::add);
        int before = server.checkIns.get();
        java.time.Instant asked = java.time.Instant.now();
        io.printmaster.agent.enrollment.api.CheckIn fresh = loop.checkInNow(java.time.Duration.ofSeconds(20)).orElseThrow();
        assertTrue(fresh.succeeded());
        assertTrue(!fresh.at().isBefore(asked.minusMillis(5)), fresh.at() + " is after " + asked);
        assertEquals(before + 1, server.checkIns.get());
        assertEquals(java.util.List.of(fresh), told);

        Path sealed = state().resolve("agent-credential.sealed");
        byte[] bytes = Files.readAllBytes(sealed);
        assertFalse(contains(bytes, "pma_secretcredential1"), "the credential is stored sealed, not in clear");
        assertFalse(contains(bytes, "secretcredential"));
        if (sealed.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sealed)));
        }
        if (sealed.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(state().resolve("enrollment.json"))));
        }
        assertFalse(Files.exists(etc().resolve("join-token")), "the used join token is gone from the disk");
        JsonNode enrollment = new ObjectMapper().readTree(state().resolve("enrollment.json").toFile());
        assertEquals(Set.of("agent_id", "fleet_id", "server_url", "enrolled_at"), fieldNames(enrollment));
        assertFalse(Files.readString(state().resolve("enrollment.json")).contains("pma_"));
        try (var files = Files.list(state())) {
            assertEquals(List.of("agent-credential.sealed", "enrollment.json"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "no temporary file is left");
        }
        assertFalse(loop.state().message().contains(TOKEN));
    }

    @Test
    void aRestartedAgentReusesItsStoredCredential() throws Exception {
        FakeServer server = server(0);
        server.validTokens.add(TOKEN);
        fleetFiles("http://127.0.0.1:" + server.port(), TOKEN, null);
        EnrollmentLoop first = loop();
        awaitCheckedIn(first);
        first.close();
        // the token is used up on the server: a second enrollment would fail
        server.validTokens.clear();

        EnrollmentLoop second = loop();
        await().atMost(WAIT).until(() -> server.checkIns.get() == 2);
        awaitCheckedIn(second);
        assertEquals(1, server.enrolls.get(), "no second enrollment");
        assertEquals("agent-1", second.current().orElseThrow().agentId());
        assertEquals("Bearer pma_secretcredential1", server.checkInAuthorizations.get(1));
    }

    @Test
    void retriesWhileTheServerIsDownAndEnrollsWhenItComesUp() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        fleetFiles("http://127.0.0.1:" + port, TOKEN, null);
        EnrollmentLoop loop = loop();
        await().atMost(WAIT).until(() -> loop.state().phase() == Phase.ENROLLING
                && loop.state().message().contains("cannot reach"));
        assertTrue(loop.current().isEmpty());

        FakeServer server = server(port);
        server.validTokens.add(TOKEN);
        awaitCheckedIn(loop);
        assertEquals(1, server.enrolls.get());
    }

    @Test
    void aRefusedJoinTokenWaitsForANewTokenInsteadOfLooping() throws Exception {
        FakeServer server = server(0);
        fleetFiles("http://127.0.0.1:" + server.port(), TOKEN, null);
        EnrollmentLoop loop = loop();
        await().atMost(WAIT).until(() -> loop.state().phase() == Phase.FAILED);
        String message = loop.state().message();
        assertTrue(message.contains("refused the join token"), message);
        assertTrue(message.contains(etc().resolve("join-token").toString()), message);
        assertFalse(message.contains(TOKEN), "the token is never shown");
        assertTrue(Files.notExists(state().resolve("agent-credential.sealed")));

        // an unrelated change to the files does not resend the refused token
        fleetFiles("http://127.0.0.1:" + server.port(), null, null);
        server.validTokens.add("pmj_newtoken");
        writeAtomically(etc().resolve("join-token"), "pmj_newtoken\n");
        awaitCheckedIn(loop);
        assertEquals(2, server.enrolls.get(), "one refused attempt, then one with the new token: no hot loop");
        assertEquals("pmj_newtoken", server.enrollBodies.get(1).get("join_token").asText());
    }

    @Test
    void aCredentialTheServerRejectsIsDiscardedAndTheAgentEnrollsAgain() throws Exception {
        FakeServer server = server(0);
        server.validTokens.add(TOKEN);
        fleetFiles("http://127.0.0.1:" + server.port(), TOKEN, null);
        EnrollmentLoop loop = loop();
        awaitCheckedIn(loop);
        byte[] firstSealed = Files.readAllBytes(state().resolve("agent-credential.sealed"));

        server.acceptedCredentials.clear(); // the admin removed the agent
        loop.wake();
        // the first token was removed from the disk after the enrollment: only a new one brings the agent back
        await().atMost(WAIT).until(() -> loop.state().phase() == Phase.FAILED
                && loop.state().message().contains("no join token"));
        assertEquals(1, server.enrolls.get());
        server.validTokens.add("pmj_secondtoken");
        writeAtomically(etc().resolve("join-token"), "pmj_secondtoken\n");
        await().atMost(WAIT).until(() -> server.enrolls.get() == 2);
        awaitCheckedIn(loop);
        await().atMost(WAIT).until(() -> !Files.exists(etc().resolve("join-token")));
        assertEquals("agent-2", loop.current().orElseThrow().agentId());
        assertEquals(Optional.of("pma_secretcredential2"), loop.credential());
        assertFalse(Arrays.equals(firstSealed, Files.readAllBytes(state().resolve("agent-credential.sealed"))));
    }

    @Test
    void withoutFleetFilesTheAgentIsNotConfiguredAndCallsNobody() {
        EnrollmentLoop loop = loop();
        await().atMost(WAIT).until(() -> loop.state().phase() == Phase.NOT_CONFIGURED
                && !loop.state().message().equals("starting"));
        assertTrue(loop.current().isEmpty());
        assertTrue(loop.lastCheckIn().isEmpty());
    }

    @Test
    void trustsTheServerCertificateFromTheCaBundle() throws Exception {
        Path tls = Files.createDirectories(dir.resolve("tls"));
        Path keystore = tls.resolve("server.p12");
        keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-keystore", keystore.toString(),
                "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit");
        Files.createDirectories(etc());
        keytool("-exportcert", "-rfc", "-alias", "server", "-keystore", keystore.toString(), "-storepass", "changeit",
                "-file", etc().resolve("ca-bundle.pem").toString());
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        SSLContext serverTls = SSLContext.getInstance("TLS");
        serverTls.init(kmf.getKeyManagers(), null, null);
        FakeServer server = FakeServer.https(0, serverTls);
        open.add(server);
        server.validTokens.add(TOKEN);

        // without the bundle the self-signed certificate is not trusted
        fleetFiles("https://127.0.0.1:" + server.port(), TOKEN, null);
        EnrollmentLoop loop = loop();
        await().atMost(WAIT).until(() -> loop.state().phase() == Phase.ENROLLING
                && loop.state().message().contains("cannot reach"));
        assertEquals(0, server.enrolls.get());

        fleetFiles("https://127.0.0.1:" + server.port(), TOKEN, "ca-bundle.pem");
        awaitCheckedIn(loop);
        assertEquals(1, server.enrolls.get());
    }

    @Test
    void aCaBundleOutsideEtcIsRefused() throws Exception {
        fleetFiles("https://127.0.0.1:1", TOKEN, "../ca.pem");
        EnrollmentLoop loop = loop();
        await().atMost(WAIT).until(() -> loop.state().phase() == Phase.FAILED);
        assertTrue(loop.state().message().contains("ca_bundle"), loop.state().message());
    }

    @Test
    void theJoinTokenStaysOnDiskWhenTheCredentialCannotBeStored() throws Exception {
        FakeServer server = server(0);
        server.validTokens.add(TOKEN);
        fleetFiles("http://127.0.0.1:" + server.port(), TOKEN, null);
        // a box that cannot seal: the credential never reaches the disk
        io.printmaster.security.api.SecretBox broken = new io.printmaster.security.api.SecretBox() {
            @Override
            public byte[] seal(byte[] plaintext, byte[] associatedData) throws java.security.GeneralSecurityException {
                throw new java.security.GeneralSecurityException("disk full (simulated)");
            }

            @Override
            public byte[] open(byte[] sealed, byte[] associatedData) throws java.security.GeneralSecurityException {
                throw new java.security.GeneralSecurityException("nothing sealed");
            }
        };
        EnrollmentLoop loop = loop(new CredentialStore(state(), broken), Optional::empty);
        awaitCheckedIn(loop);
        int checkIns = server.checkIns.get();
        await().atMost(WAIT).until(() -> loop.checkInNow(WAIT).isPresent() && server.checkIns.get() > checkIns);
        assertTrue(Files.exists(etc().resolve("join-token")),
                "without a stored credential the token is the agent's only way back in: it stays");
        assertEquals(TOKEN + "\n", Files.readString(etc().resolve("join-token")));
        assertTrue(Files.notExists(state().resolve("agent-credential.sealed")));
    }

    @Test
    void aTokenLeftBesideAStoredCredentialGoesAfterTheNextCheckIn() throws Exception {
        // what a crash between storing the credential and deleting the token leaves, or an agent enrolled by a
        // version that kept the token
        FakeServer server = server(0);
        server.validTokens.add(TOKEN);
        fleetFiles("http://127.0.0.1:" + server.port(), TOKEN, null);
        EnrollmentLoop first = loop();
        awaitCheckedIn(first);
        first.close();
        writeAtomically(etc().resolve("join-token"), TOKEN + "\n");

        EnrollmentLoop second = loop();
        await().atMost(WAIT).until(() -> server.checkIns.get() >= 2);
        awaitCheckedIn(second);
        await().atMost(WAIT).until(() -> !Files.exists(etc().resolve("join-token")));
        assertEquals(1, server.enrolls.get(), "the stored credential was used, not the token");
    }

    @Test
    void aJoinTokenInTheAgentsSettingsIsRemovedAndTheRestOfTheFileKept() throws Exception {
        FakeServer server = server(0);
        server.validTokens.add(TOKEN);
        Files.createDirectories(settingsFile().getParent());
        String before = "# hand install\nserver_url=http://127.0.0.1:" + server.port() + "\nfleet=fleet-a\n"
                + "join_token = " + TOKEN + "\nmode=inherit\n";
        Files.writeString(settingsFile(), before);
        Files.setPosixFilePermissions(settingsFile(), PosixFilePermissions.fromString("rw-------"));
        // what the configuration bundle reads from that file
        io.printmaster.agent.config.api.AgentSettings settings = new io.printmaster.agent.config.api.AgentSettings(
                Optional.of("agent-1"), Optional.of(java.net.URI.create("http://127.0.0.1:" + server.port())),
                Optional.of("fleet-a"), Optional.of(TOKEN), io.printmaster.agent.config.api.Mode.INHERIT, false,
                io.printmaster.agent.config.api.PolicySource.FLEET, Optional.empty(), List.of());
        EnrollmentLoop loop = loop(new CredentialStore(state(), new MasterKeySecretBox(MASTER_KEY)), () -> Optional.of(settings));
        awaitCheckedIn(loop);
        assertEquals("# hand install\nserver_url=http://127.0.0.1:" + server.port() + "\nfleet=fleet-a\nmode=inherit\n",
                Files.readString(settingsFile()));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(settingsFile())));
        try (var files = Files.list(settingsFile().getParent())) {
            assertEquals(1, files.count(), "no temporary file where Felix FileInstall would see it");
        }
    }

    private static void keytool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
    }

    private static Set<String> fieldNames(JsonNode n) {
        Set<String> names = new java.util.TreeSet<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static boolean contains(byte[] haystack, String needle) {
        return new String(haystack, StandardCharsets.ISO_8859_1).contains(needle);
    }
}
