package io.printmaster.agent.enrollment.impl;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.agent.config.api.AgentSettings;
import io.printmaster.agent.config.api.Mode;
import io.printmaster.agent.config.api.PolicySource;
import io.printmaster.agent.enrollment.api.EnrollmentState.Phase;
import io.printmaster.core.retry.Backoff;
import io.printmaster.secretbox.impl.MasterKeySecretBox;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the agent reaches its server: pinned to the certificate its installer carried (made here by the real openssl),
 * and never over plain http to a host other than loopback unless allow_insecure_http says so.
 */
class ServerTransportTest {
    private static final String TOKEN = "pmj_transporttoken";
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

    private void fleetFiles(String serverUrl, String extra) throws IOException {
        Files.createDirectories(etc());
        write(etc().resolve("fleet.json"), "{\"server_url\":\"" + serverUrl + "\",\"fleet_id\":\"fleet-a\""
                + extra + ",\"generated_at\":\"2025-01-01T00:00:00Z\"}");
        write(etc().resolve("join-token"), TOKEN + "\n");
    }

    private static void write(Path file, String content) throws IOException {
        Path tmp = Files.createTempFile(file.getParent(), "w", ".tmp");
        Files.writeString(tmp, content);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private EnrollmentLoop loop(Supplier<Optional<AgentSettings>> settings) {
        EnrollmentLoop.Timing fast = new EnrollmentLoop.Timing(Duration.ofMillis(20),
                Backoff.of(Duration.ofMillis(20), Duration.ofMillis(200), Integer.MAX_VALUE),
                Duration.ofSeconds(2), Duration.ofSeconds(5));
        EnrollmentLoop loop = new EnrollmentLoop(new FleetFiles(etc()),
                new CredentialStore(dir.resolve("data/state"), new MasterKeySecretBox(new byte[32])),
                new UsedJoinToken(etc().resolve("join-token"), dir.resolve("agent.cfg"), dir.resolve("data/state")),
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

    /** A self-signed certificate and key made by openssl; returns the PEM certificate's path. */
    private Path selfSigned(String name, String san) throws Exception {
        Path tls = Files.createDirectories(dir.resolve("tls"));
        openssl(tls, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", name + ".key", "-out", name + ".pem", "-subj", "/CN=" + name, "-days", "2",
                "-addext", "subjectAltName=" + san);
        openssl(tls, "pkcs12", "-export", "-in", name + ".pem", "-inkey", name + ".key", "-out", name + ".p12",
                "-passout", "pass:changeit", "-name", "server");
        return tls.resolve(name + ".pem");
    }

    private FakeServer httpsServer(String name) throws Exception {
        return httpsServer(name, 0);
    }

    private FakeServer httpsServer(String name, int port) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve("tls").resolve(name + ".p12"))) {
            ks.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), null, null);
        FakeServer server = FakeServer.https(port, tls);
        open.add(server);
        server.validTokens.add(TOKEN);
        return server;
    }

    @Test
    void aPinnedCertificateIsTrustedByItsKeyWhateverNameItCarriesAndTheWorkerSharesTheTrust() throws Exception {
        Path cert = selfSigned("server", "DNS:some-other-name.test");
        Files.createDirectories(etc());
        Files.copy(cert, etc().resolve("ca-bundle.pem"));
        FakeServer server = httpsServer("server");
        fleetFiles("https://127.0.0.1:" + server.port(), ",\"ca_bundle\":\"ca-bundle.pem\",\"tls_pinned\":true");
        EnrollmentLoop loop = loop(Optional::empty);
        awaitCheckedIn(loop);
        assertEquals(1, server.enrolls.get());

        // the update worker builds its client once with Enrollment.serverTls(): it reaches the pinned server too
        HttpClient worker = HttpClient.newBuilder().sslContext(loop.serverTls()).build();
        HttpResponse<String> r = worker.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port()
                + "/api/v1/agents/update/manifest")).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, r.statusCode(), "TLS succeeded; the server answered");
    }

    @Test
    void aServerWithAnotherCertificateIsRefusedAndGetsNoToken() throws Exception {
        Path pinned = selfSigned("pinned", "IP:127.0.0.1");
        selfSigned("impostor", "IP:127.0.0.1");
        Files.createDirectories(etc());
        Files.copy(pinned, etc().resolve("ca-bundle.pem"));
        FakeServer impostor = httpsServer("impostor");
        fleetFiles("https://127.0.0.1:" + impostor.port(), ",\"ca_bundle\":\"ca-bundle.pem\",\"tls_pinned\":true");
        EnrollmentLoop loop = loop(Optional::empty);
        await().atMost(WAIT).until(() -> loop.state().message().contains("is not the one pinned in"));
        assertTrue(loop.state().message().contains("CN=impostor"), loop.state().message());
        assertEquals(0, impostor.enrolls.get(), "the join token never reached the impostor");

        // the same certificate without pinning is not trusted either (not a CA the system knows)
        fleetFiles("https://127.0.0.1:" + impostor.port(), ",\"ca_bundle\":\"ca-bundle.pem\"");
        await().atMost(WAIT).until(() -> loop.state().message().contains("cannot reach")
                && !loop.state().message().contains("pinned"));
        assertEquals(0, impostor.enrolls.get());
    }

    @Test
    void aNewPinIsJudgedAtOnceNotSkippedByAResumedTlsSession() throws Exception {
        Path served = selfSigned("served", "IP:127.0.0.1");
        Path other = selfSigned("other", "IP:127.0.0.1");
        Files.createDirectories(etc());
        Files.copy(served, etc().resolve("ca-bundle.pem"));
        FakeServer server = httpsServer("served");
        fleetFiles("https://127.0.0.1:" + server.port(), ",\"ca_bundle\":\"ca-bundle.pem\",\"tls_pinned\":true");
        EnrollmentLoop loop = loop(Optional::empty);
        awaitCheckedIn(loop);
        int checkIns = server.checkIns.get();
        write(etc().resolve("ca-bundle.pem"), Files.readString(other));
        await().atMost(WAIT).until(() -> loop.state().message().contains("is not the one pinned in"));
        assertEquals(checkIns, server.checkIns.get(), "no check-in under the new pin");
    }

    @Test
    void theNextCertificateAnnouncedOverThePinnedConnectionIsTrustedAfterTheSwitch() throws Exception {
        Path current = selfSigned("current", "IP:127.0.0.1");
        Path next = selfSigned("next", "IP:127.0.0.1");
        Files.createDirectories(etc());
        Files.copy(current, etc().resolve("ca-bundle.pem"));
        FakeServer before = httpsServer("current");
        int port = before.port();
        before.announced = Files.readString(current) + Files.readString(next);
        fleetFiles("https://127.0.0.1:" + port, ",\"ca_bundle\":\"ca-bundle.pem\",\"tls_pinned\":true");
        EnrollmentLoop loop = loop(Optional::empty);
        awaitCheckedIn(loop);
        await().atMost(WAIT).until(() -> new LearnedPins(dir.resolve("data/state"))
                .existing(java.net.URI.create("https://127.0.0.1:" + port)).isPresent());
        String credential = loop.credential().orElseThrow();

        // the server switches to the next certificate on the same address; the agent follows without any file change
        before.close();
        FakeServer after = httpsServer("next", port);
        after.acceptedCredentials.add(credential);
        loop.wake();
        await().atMost(WAIT).until(() -> after.checkIns.get() > 0 && loop.lastCheckIn().map(c -> c.succeeded()).orElse(false));
        assertEquals(0, after.enrolls.get(), "the same credential, no new enrollment");
    }

    @Test
    void anAnnouncementWithoutThePresentedCertificateIsNotKept() throws Exception {
        Path current = selfSigned("current", "IP:127.0.0.1");
        Path other = selfSigned("other", "IP:127.0.0.1");
        Files.createDirectories(etc());
        Files.copy(current, etc().resolve("ca-bundle.pem"));
        FakeServer server = httpsServer("current");
        server.announced = Files.readString(other);
        fleetFiles("https://127.0.0.1:" + server.port(), ",\"ca_bundle\":\"ca-bundle.pem\",\"tls_pinned\":true");
        EnrollmentLoop loop = loop(Optional::empty);
        awaitCheckedIn(loop);
        await().atMost(WAIT).until(() -> server.announcements.get() > 0);
        loop.checkInNow(WAIT);
        assertTrue(new LearnedPins(dir.resolve("data/state")).existing(java.net.URI.create("https://127.0.0.1:" + server.port())).isEmpty(),
                "an announcement that would drop the certificate in use is refused");
    }

    @Test
    void aBundleMayHoldTheNextCertificateBesideTheCurrentOne() throws Exception {
        Path current = selfSigned("current", "IP:127.0.0.1");
        Path next = selfSigned("next", "IP:127.0.0.1");
        Files.createDirectories(etc());
        Files.writeString(etc().resolve("ca-bundle.pem"), Files.readString(current) + Files.readString(next));
        FakeServer server = httpsServer("next");
        fleetFiles("https://127.0.0.1:" + server.port(), ",\"ca_bundle\":\"ca-bundle.pem\",\"tls_pinned\":true");
        awaitCheckedIn(loop(Optional::empty));
    }

    @Test
    void pinningWithoutABundleIsAConfigurationError() throws Exception {
        fleetFiles("https://127.0.0.1:1", ",\"tls_pinned\":true");
        EnrollmentLoop loop = loop(Optional::empty);
        await().atMost(WAIT).until(() -> loop.state().phase() == Phase.FAILED);
        assertTrue(loop.state().message().contains("tls_pinned is true but no ca_bundle"), loop.state().message());
        fleetFiles("https://127.0.0.1:1", ",\"tls_pinned\":\"yes\"");
        await().atMost(WAIT).until(() -> loop.state().message().contains("tls_pinned must be true or false"));
    }

    @Test
    void plainHttpToAHostThatIsNotLoopbackByNameIsRefusedBeforeAnythingIsSent() throws Exception {
        FakeServer server = FakeServer.http(0);
        open.add(server);
        server.validTokens.add(TOKEN);
        // this machine's name: not loopback by its text, whatever it resolves to
        String host = InetAddress.getLocalHost().getHostName();
        Assumptions.assumeFalse(host.equals("localhost"), "the host has a name of its own");
        fleetFiles("http://" + host + ":" + server.port(), "");
        EnrollmentLoop loop = loop(Optional::empty);
        await().atMost(WAIT).until(() -> loop.state().phase() == Phase.FAILED);
        String message = loop.state().message();
        assertTrue(message.startsWith("refusing plain HTTP to http://" + host + ":" + server.port()), message);
        assertTrue(message.contains("allow_insecure_http=true"), message);
        assertEquals(0, server.enrolls.get());
        assertTrue(loop.credential().isEmpty());

        // loopback is fine: IPv4, and the IPv6 loopback (nothing listens there: the agent tries, it is not refused)
        fleetFiles("http://[::1]:" + server.port(), "");
        await().atMost(WAIT).until(() -> loop.state().phase() == Phase.ENROLLING && loop.state().message().contains("cannot reach"));
        fleetFiles("http://127.0.0.1:" + server.port(), "");
        awaitCheckedIn(loop);
    }

    @Test
    void allowInsecureHttpFromFleetJsonOrTheAgentsSettings() throws Exception {
        FakeServer server = FakeServer.http(0);
        open.add(server);
        server.validTokens.add(TOKEN);
        String host = InetAddress.getLocalHost().getHostName();
        Assumptions.assumeTrue(InetAddress.getByName(host).isLoopbackAddress(),
                "this machine's name resolves to loopback, so the test server is reachable by it");
        fleetFiles("http://" + host + ":" + server.port(), ",\"allow_insecure_http\":true");
        awaitCheckedIn(loop(Optional::empty));

        closeAll();
        open.clear();
        FakeServer second = FakeServer.http(0);
        open.add(second);
        second.validTokens.add(TOKEN);
        deleteState();
        fleetFiles("http://" + host + ":" + second.port(), "");
        AgentSettings allowing = new AgentSettings(Optional.of("agent-1"), Optional.empty(), Optional.empty(),
                Optional.empty(), Mode.INHERIT, false, PolicySource.LOCAL, Optional.empty(), List.of(), true);
        awaitCheckedIn(loop(() -> Optional.of(allowing)));
        assertEquals(1, second.enrolls.get());
    }

    private void deleteState() throws IOException {
        Path state = dir.resolve("data/state");
        if (Files.isDirectory(state)) {
            try (var files = Files.list(state)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private static void openssl(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
    }
}
