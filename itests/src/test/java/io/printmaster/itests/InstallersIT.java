package io.printmaster.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.api.installer.InstallerFormat;
import io.printmaster.http.api.Scopes;
import io.printmaster.server.agents.api.InstallerToken;
import io.printmaster.server.agents.api.JoinTokens;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;

/**
 * Installer downloads end to end in the real server bundles: a directory release source holds an official agent
 * archive (the official layout of docs/release-feed.md) and a damaged one; a token scoped to
 * {@code installers.download} and one fleet downloads that fleet's tar.gz installer, which {@code tar} unpacks into
 * the agent with the fleet's files; Range, ETag and the encrypted cache are checked, and so are the 404s, the 422 and fleet isolation.
 *
 * <p>Until the real tar.gz format ({@code io.printmaster.installer.tar}) and the agents bundle (join tokens) are in
 * the distribution, the test registers a stand-in for each ({@link FixtureTarGzFormat}, a fixed token per fleet);
 * when they are there, it uses them.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class InstallersIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String VERSION = "1.2.0";

    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() throws Exception {
        Path data = ServerContainer.newDataDir("installers");
        Path releases = Files.createDirectories(data.resolve("releases-in"));
        String top = "printmaster-agent-" + VERSION + "/";
        List<TarGz.Entry> good = List.of(TarGz.Entry.dir(top), TarGz.Entry.dir(top + "bin"),
                TarGz.Entry.file(top + "bin/pm-agent", "#!/bin/sh\necho agent\n", 0755),
                TarGz.Entry.file(top + "VERSION", VERSION + "\n", 0644), TarGz.Entry.dir(top + "etc"),
                TarGz.Entry.file(top + "lib/filler.jar", "x".repeat(3000), 0644));
        TarGz.write(releases.resolve("printmaster-agent-v" + VERSION + "-linux-amd64.tar.gz"), good);
        List<TarGz.Entry> evil = new ArrayList<>(good);
        evil.add(TarGz.Entry.file(top + "../evil", "escaped", 0644));
        TarGz.write(releases.resolve("printmaster-agent-v" + VERSION + "-linux-arm64.tar.gz"), evil);
        StringBuilder sums = new StringBuilder();
        try (Stream<Path> files = Files.list(releases)) {
            for (Path f : files.sorted().toList()) {
                sums.append(sha256(Files.readAllBytes(f))).append("  ").append(f.getFileName()).append('\n');
            }
        }
        Files.writeString(releases.resolve("SHA256SUMS"), sums);
        Files.writeString(data.resolve("etc/io.printmaster.releasesource.directory-itest.cfg"), "name=itest\npath=" + releases + "\n");
        Path ca = data.resolve("ca.pem");
        Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", data.resolve("ca.key").toString(), "-out", ca.toString(), "-subj", "/CN=itest-ca", "-days", "2")
                .redirectErrorStream(true).start();
        String output = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("openssl: " + output, openssl.waitFor(60, TimeUnit.SECONDS) && openssl.exitValue() == 0);
        Files.writeString(data.resolve("etc/io.printmaster.server.installers.cfg"), "ca_bundle=" + ca + "\n");
        return OptionUtils.combine(ServerContainer.options(data, ServerContainer.freePort()),
                frameworkProperty("pm.admin.password").value("itest-" + UUID.randomUUID()),
                // only this test's release folder: the agent archives the server ships would fill windows-amd64
                frameworkProperty("pm.releases.builtin").value("off"));
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Until the installers component runs with a configuration holding {@code key}. */
    private void awaitInstallersConfiguredWith(String key) throws Exception {
        ServiceReference<ServiceComponentRuntime> ref = context.getServiceReference(ServiceComponentRuntime.class);
        ServiceComponentRuntime scr = context.getService(ref);
        Bundle installers = java.util.Arrays.stream(context.getBundles())
                .filter(b -> "io.printmaster.server.installers".equals(b.getSymbolicName())).findFirst().orElseThrow();
        Eventually.within(Duration.ofSeconds(30), () -> assertTrue("the installers component has no " + key + " yet",
                scr.getComponentDescriptionDTOs(installers).stream()
                        .flatMap(d -> scr.getComponentConfigurationDTOs(d).stream())
                        .anyMatch(c -> c.state == ComponentConfigurationDTO.ACTIVE && c.properties.containsKey(key))));
    }

    private String port() {
        return context.getProperty("org.osgi.service.http.port");
    }

    private Path dataDir() {
        return Path.of(context.getProperty("pm.data.dir"));
    }

    /** The stand-ins, only where the distribution has no real service yet. */
    private List<String> registerStandIns() {
        List<String> used = new ArrayList<>();
        boolean tarFormat = false;
        try {
            tarFormat = !context.getServiceReferences(InstallerFormat.class, "(" + InstallerFormat.TYPE + "=tar.gz)").isEmpty();
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        if (!tarFormat) {
            Hashtable<String, Object> props = new Hashtable<>();
            props.put(InstallerFormat.TYPE, "tar.gz");
            props.put(InstallerFormat.PLUGIN_NAME, "tar.gz (test stand-in)");
            props.put(Constants.SERVICE_RANKING, -200);
            context.registerService(InstallerFormat.class, new FixtureTarGzFormat(), props);
            used.add("tar.gz format");
        }
        if (context.getServiceReference(JoinTokens.class) == null) {
            Map<String, InstallerToken> tokens = new ConcurrentHashMap<>();
            context.registerService(JoinTokens.class, new JoinTokens() {
                @Override
                public InstallerToken installerToken(String fleetId, String actor) {
                    return tokens.computeIfAbsent(fleetId, f -> new InstallerToken("jt-" + f, f,
                            "pmj_itest_" + UUID.randomUUID().toString().replace("-", ""), Instant.now().plus(Duration.ofDays(7))));
                }

                @Override
                public InstallerToken installerToken(String fleetId, int maxUses, String actor) {
                    return installerToken(fleetId, actor);
                }

                @Override
                public InstallerToken dedicatedInstallerToken(String fleetId, int maxUses, String actor) {
                    return new InstallerToken("jt-own-" + UUID.randomUUID(), fleetId,
                            "pmj_itest_" + UUID.randomUUID().toString().replace("-", ""), Instant.now().plus(Duration.ofDays(7)));
                }
            }, new Hashtable<>());
            used.add("join tokens");
        }
        return used;
    }

    private HttpResponse<byte[]> get(String token, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + path))
                .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + token);
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> error(HttpResponse<byte[]> r) throws IOException {
        return (Map<String, Object>) JSON.readValue(r.body(), Map.class).get("error");
    }

    private static String header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).orElse(null);
    }

    private List<Path> cachedFiles() throws IOException {
        Path root = dataDir().resolve("installers");
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    public void aFleetDownloadsItsInstallerWhichCarriesItsFilesAndComesFromTheEncryptedCacheAfterwards() throws Exception {
        List<String> standIns = registerStandIns();
        System.out.println("InstallersIT stand-ins used: " + (standIns.isEmpty() ? "none" : standIns));
        ApiClient anonymous = ApiClient.anonymous(port());
        anonymous.awaitHealthy();
        ApiClient admin = anonymous.login(context.getProperty("pm.admin.password"));
        for (String id : List.of("fleet-a", "fleet-b")) {
            ApiClient.Response r = admin.post("/api/v1/fleets", Map.of("id", id, "name", "Fleet " + id.toUpperCase()));
            assertEquals(r.body(), 201, r.status());
        }
        String tokenA = admin.createToken("installers-a", List.of(Scopes.INSTALLERS_DOWNLOAD), List.of("fleet-a"));
        IntakeDiagnostics.awaitIntake(admin, Duration.ofSeconds(60), () -> {
            ApiClient.Response r = admin.get("/api/v1/releases/artifacts?component=agent");
            assertTrue(r.body(), r.body().contains("\"arch\":\"amd64\""));
            assertTrue(r.body(), r.body().contains("\"arch\":\"arm64\""));
        });

        // the formats
        HttpResponse<byte[]> formats = get(tokenA, "/api/v1/installers/formats");
        assertEquals(200, formats.statusCode());
        List<Map<String, Object>> list = (List<Map<String, Object>>) JSON.readValue(formats.body(), Map.class).get("formats");
        Map<String, Object> tar = list.stream().filter(f -> "tar.gz".equals(f.get("type"))).findFirst().orElseThrow();
        assertEquals(Boolean.TRUE, tar.get("available"));
        assertEquals("tar.gz", tar.get("input"));

        // FileInstall hands etc/io.printmaster.server.installers.cfg to Configuration Admin, which configures the
        // component on its own thread: the download below must meet the file's ca_bundle, as an admin's would
        awaitInstallersConfiguredWith("ca_bundle");

        // first download: built
        String path = "/api/v1/installers/fleet-a/linux-amd64";
        HttpResponse<byte[]> first = get(tokenA, path);
        assertEquals(new String(first.body(), StandardCharsets.UTF_8), 200, first.statusCode());
        byte[] installer = first.body();
        assertEquals(Long.toString(installer.length), header(first, "Content-Length"));
        // a whole (encrypted) installer's tag is its SHA-256; a split one's (cached base + per-download tail) is a
        // digest over the base's and the tail's SHA-256: strong, but not the body's
        boolean split = cachedFiles().stream().anyMatch(f -> f.getFileName().toString().endsWith(".pmb"));
        if (!split) {
            assertEquals("\"" + sha256(installer) + "\"", header(first, "ETag"));
        } else {
            assertTrue(header(first, "ETag"), header(first, "ETag").matches("\"[0-9a-f]{64}\""));
        }
        assertEquals("attachment; filename=\"printmaster-agent-fleet-a-v1.2.0-linux-amd64.tar.gz\"", header(first, "Content-Disposition"));
        assertEquals(VERSION, header(first, "X-PrintMaster-Agent-Version"));
        assertEquals("newest_stable", header(first, "X-PrintMaster-Agent-Version-Source"));
        assertEquals("miss", header(first, "X-PrintMaster-Installer-Cache"));

        // tar unpacks it into the agent with the fleet's files
        Path unpacked = Files.createTempDirectory("pm-installer");
        Path file = unpacked.resolve("installer.tar.gz");
        Files.write(file, installer);
        Process tarProcess = new ProcessBuilder("tar", "-xzf", file.toString(), "-C", unpacked.toString()).redirectErrorStream(true).start();
        String tarOutput = new String(tarProcess.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(tarOutput, tarProcess.waitFor(60, TimeUnit.SECONDS) && tarProcess.exitValue() == 0);
        Path home = unpacked.resolve("printmaster-agent-" + VERSION);
        assertTrue(Files.isExecutable(home.resolve("bin/pm-agent")));
        Map<String, Object> fleetJson = JSON.readValue(home.resolve("etc/fleet.json").toFile(), Map.class);
        assertEquals("http://127.0.0.1:" + port(), fleetJson.get("server_url"));
        assertEquals("fleet-a", fleetJson.get("fleet_id"));
        assertEquals("Fleet FLEET-A", fleetJson.get("fleet_name"));
        assertTrue(fleetJson.get("policy") instanceof Map);
        assertEquals("default", fleetJson.get("policy_source"));
        assertEquals("ca-bundle.pem", fleetJson.get("ca_bundle"));
        assertNotNull(Instant.parse((String) fleetJson.get("generated_at")));
        assertEquals(Files.readString(dataDir().resolve("ca.pem")).replace("\r\n", "\n"), Files.readString(home.resolve("etc/ca-bundle.pem")));
        String joinToken = Files.readString(home.resolve("etc/join-token"));
        assertTrue(joinToken, joinToken.startsWith("pmj_") && joinToken.endsWith("\n"));
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(home.resolve("etc/join-token")));
        Map<String, Object> trust = JSON.readValue(home.resolve("etc/trust.json").toFile(), Map.class);
        List<Map<String, Object>> keys = (List<Map<String, Object>>) trust.get("keys");
        assertEquals("only the active key is the agent's trust anchor", 1, keys.size());
        assertEquals(Boolean.TRUE, keys.get(0).get("active"));
        assertTrue(((String) keys.get(0).get("public_key_pem")).startsWith("-----BEGIN PUBLIC KEY-----"));
        assertTrue(trust.get("statements") instanceof List);
        assertTrue(trust.get("trust_version") instanceof Number);

        // a range
        HttpResponse<byte[]> range = get(tokenA, path, "Range", "bytes=100-1099");
        assertEquals(206, range.statusCode());
        assertEquals("bytes 100-1099/" + installer.length, header(range, "Content-Range"));
        assertArrayEquals(Arrays.copyOfRange(installer, 100, 1100), range.body());

        // the second download comes from the cache: same bytes, same tag; the cache file does not hold the token
        HttpResponse<byte[]> second = get(tokenA, path);
        assertEquals(200, second.statusCode());
        assertEquals("hit", header(second, "X-PrintMaster-Installer-Cache"));
        assertEquals(header(first, "ETag"), header(second, "ETag"));
        assertArrayEquals(installer, second.body());
        assertEquals(304, get(tokenA, path, "If-None-Match", header(first, "ETag")).statusCode());
        List<Path> cached = cachedFiles();
        assertEquals(cached.toString(), 1, cached.size());
        String cachedText = new String(Files.readAllBytes(cached.get(0)), StandardCharsets.ISO_8859_1);
        assertFalse("the cache never holds the join token in clear", cachedText.contains(joinToken.strip()));
        assertFalse(cachedText.contains("pmj_"));
        if (!split) {
            assertFalse("an encrypted installer shows nothing of the fleet", cachedText.contains("fleet-a"));
        }

        // fleet isolation and the 404s that name what exists
        assertEquals(404, get(tokenA, "/api/v1/installers/fleet-b/linux-amd64").statusCode());
        assertEquals(error(get(tokenA, "/api/v1/installers/no-such-fleet/linux-amd64")).get("code"),
                error(get(tokenA, "/api/v1/installers/fleet-b/linux-amd64")).get("code"));
        HttpResponse<byte[]> platform = get(tokenA, "/api/v1/installers/fleet-a/solaris-sparc");
        assertEquals(404, platform.statusCode());
        String platformMessage = (String) error(platform).get("message");
        for (String p : List.of("linux-amd64", "linux-arm64", "windows-amd64", "darwin-arm64")) {
            assertTrue(platformMessage, platformMessage.contains(p));
        }
        HttpResponse<byte[]> zip = get(tokenA, path + "?format=zip");
        assertEquals(404, zip.statusCode());
        assertTrue((String) error(zip).get("message"), ((String) error(zip).get("message")).contains("tar.gz"));
        HttpResponse<byte[]> windows = get(tokenA, "/api/v1/installers/fleet-a/windows-amd64");
        assertEquals(404, windows.statusCode());
        assertTrue((String) error(windows).get("message"), ((String) error(windows).get("message")).contains("no agent artifact for windows-amd64"));

        // a damaged official archive: 422, nothing cached
        HttpResponse<byte[]> bad = get(tokenA, "/api/v1/installers/fleet-a/linux-arm64");
        assertEquals(new String(bad.body(), StandardCharsets.UTF_8), 422, bad.statusCode());
        assertEquals("invalid_artifact", error(bad).get("code"));
        assertTrue((String) error(bad).get("message"), ((String) error(bad).get("message")).contains(".."));
        assertEquals("only the good installer is cached", cached, cachedFiles());

        // the administrator gets fleet B's, a separate cache entry with its own token
        ApiClient.Response b = admin.get("/api/v1/installers/fleet-b/linux-amd64");
        assertEquals(200, b.status());
        assertEquals(2, cachedFiles().size());
    }
}
