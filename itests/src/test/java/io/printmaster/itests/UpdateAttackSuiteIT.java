package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.api.support.RuntimeFingerprint;
import io.printmaster.itests.HostileUpdateServer.CheckInMode;
import io.printmaster.itests.HostileUpdateServer.DownloadMode;
import io.printmaster.itests.HostileUpdateServer.Key;
import io.printmaster.itests.HostileUpdateServer.Offer;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The update attacks (issue 13, docs/admin-guide.md "Update attacks the agent withstands"), each played by a hostile
 * server stand-in ({@link HostileUpdateServer}, on loopback, signing with Ed25519 keys of its own) against one real
 * agent: the official Linux archive installed as users install it, with the fleet files an installer would carry
 * (fleet.json, join-token, a trust.json trusting one of the stand-in's keys, and release.json with release counter
 * {@value #INSTALLED_COUNTER}), started as a real process. Every case triggers a run as a local tool would
 * ({@code POST /api/autoupdate/check}) and ends when the agent reports that run: the documented error code, the agent
 * still on its working version, in the same process (no restart), with no trial slot. One agent serves all cases:
 * none of them may change it, and each case asserts that.
 *
 * <p>The key-lifecycle cases (a rotated-out key, a revoked key) come last, because they change what the agent trusts
 * for good, as they would in the field: the stand-in's check-in answer carries {@code trust_statements}
 * ({@link HostileUpdateServer#trustStatements}) that the agent accepts — a rotation signed by the key its
 * {@code etc/trust.json} trusts, a revocation signed by the key that rotation made active — and then offers a manifest
 * signed by the key they took away. Each also shows that the statements were applied (the agent's
 * {@code data/update/trust-state.json}, the {@code trust_version} it reports) and that the new key still signs: its
 * manifest is accepted and the run goes on to the download, whose bytes the stand-in changed ({@code HASH_MISMATCH}),
 * so nothing is installed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UpdateAttackSuiteIT {
    static final long INSTALLED_COUNTER = 50;
    private static final Duration RUN_WAIT = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static HostileUpdateServer server;
    private static AgentInstallation agent;
    private static Key trusted;
    private static Key stranger;
    /** The key a rotation hands over to, from the key the agent trusts. */
    private static Key successor;
    /** That rotation (trust statement 1), served the same bytes every time as a real server serves it. */
    private static Map<String, Object> rotation;
    private static String built;
    private static long agentPid;
    private static Path work;

    @BeforeAll
    static void installAndStartTheAgent() throws Exception {
        server = HostileUpdateServer.start();
        trusted = Key.generate();
        stranger = Key.generate();
        successor = Key.generate();
        rotation = HostileUpdateServer.rotation(1, trusted, successor);
        AgentReleaseBuilder releases = AgentReleaseBuilder.fromBuild();
        built = releases.builtVersion();
        work = Files.createTempDirectory(Files.createDirectories(ServerProcess.outputDir()), "attacks");
        agent = AgentInstallation.install(releases.base(), work.resolve("agent"), "attacks");
        Path etc = Files.createDirectories(agent.root().resolve("etc"));
        Files.write(etc.resolve("fleet.json"), server.fleetJson());
        Files.writeString(etc.resolve("join-token"), "pmj_hostile\n");
        Files.write(etc.resolve("trust.json"), HostileUpdateServer.trustJson(trusted));
        Files.writeString(etc.resolve("release.json"), "{\"component\":\"agent\",\"version\":\"" + built
                + "\",\"release_counter\":" + INSTALLED_COUNTER + "}\n");
        // short limits, so the slow and failing cases end in seconds; a loopback download is far faster
        // and a rollout's re-check every second, so an abort lands while a download is under way
        agent.workerConfig(Map.of("download_max_attempts", "2", "download_stall_seconds", "5",
                "download_min_rate_bytes_per_second", "20000", "download_rate_grace_seconds", "2",
                "rollout_recheck_seconds", "1"));
        agent.startPlain(Map.of());
        Eventually.within(Duration.ofSeconds(120), () -> {
            JsonNode s = agent.status();
            assertEquals("attack-agent", s.path("agent_id").asText(), "enrolled with the stand-in: " + s);
            assertTrue(s.path("worker_installed").asBoolean(), s.toString());
        }, () -> agent.isRunning() ? null : "the agent exited\n" + agent.logTail());
        agentPid = agent.agentPid().orElseThrow();
    }

    @AfterAll
    static void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @AfterEach
    void nothingOffered() {
        server.offer(null);
        server.checkInMode(CheckInMode.NORMAL);
        server.withdrawOnRecheck(false);
    }

    // ---- the manifest ------------------------------------------------------------------------------------------

    @Test
    @Order(1)
    void aTamperedManifestIsRefused() throws Exception {
        byte[] artifact = archive("9.0.1");
        byte[] manifest = HostileUpdateServer.manifest(trusted, "9.0.1", artifact, 60, Map.of());
        String signature = trusted.sign(manifest);
        byte[] tampered = new String(manifest, StandardCharsets.UTF_8).replace("\"release_counter\":60",
                "\"release_counter\":61").getBytes(StandardCharsets.UTF_8);
        JsonNode r = attack(new Offer(HostileUpdateServer.update("9.0.1", tampered, signature, trusted.id()), artifact,
                DownloadMode.NORMAL, Map.of()));
        assertRefused(r, "MANIFEST_ERROR", "signature does not verify");
    }

    @Test
    @Order(2)
    void aManifestSignedByAnUnknownKeyIsRefused() throws Exception {
        JsonNode r = attack(signed(stranger, "9.0.2", archive("9.0.2"), 60, Map.of()));
        assertRefused(r, "MANIFEST_ERROR", "which this agent does not trust");
    }

    @Test
    @Order(3)
    void aReplayedOlderManifestIsRefused() throws Exception {
        // a genuinely signed manifest of a newer-looking version, but from before the installed release: a replay
        JsonNode r = attack(signed(trusted, "9.0.3", archive("9.0.3"), INSTALLED_COUNTER - 1, Map.of()));
        assertRefused(r, "MANIFEST_ERROR", "release_counter " + (INSTALLED_COUNTER - 1) + " is lower than the installed "
                + INSTALLED_COUNTER);
    }

    @Test
    @Order(4)
    void aRollbackBelowTheReleaseTheFreshAgentWasInstalledWithIsRefused() throws Exception {
        // the agent never installed anything: only its installer's release.json says where it stands
        JsonNode r = attack(signed(trusted, "0.0.1", archive("0.0.1"), 10, Map.of()));
        assertRefused(r, "MANIFEST_ERROR", "release_counter 10 is lower than the installed " + INSTALLED_COUNTER);
    }

    @Test
    @Order(5)
    void anExpiredManifestIsRefused() throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        JsonNode r = attack(signed(trusted, "9.0.5", archive("9.0.5"), 60, Map.of(
                "generated_at", now.minus(31, ChronoUnit.DAYS).toString(),
                "expires_at", now.minus(1, ChronoUnit.HOURS).toString())));
        assertRefused(r, "MANIFEST_ERROR", "the manifest expired at");
    }

    @Test
    @Order(6)
    void aManifestValidForLongerThanNinetyDaysIsRefused() throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        JsonNode r = attack(signed(trusted, "9.0.6", archive("9.0.6"), 60, Map.of(
                "generated_at", now.toString(), "expires_at", now.plus(91, ChronoUnit.DAYS).toString())));
        assertRefused(r, "MANIFEST_ERROR", "longer than the 90 days");
    }

    @Test
    @Order(7)
    void aManifestForAnotherPlatformIsRefused() throws Exception {
        JsonNode r = attack(signed(trusted, "9.0.7", archive("9.0.7"), 60, Map.of("platform", "windows")));
        assertRefused(r, "MANIFEST_ERROR", "this agent runs on " + HostileUpdateServer.PLATFORM);
    }

    @Test
    @Order(8)
    void aSignedManifestOfOneReleaseOfferedAsAnotherIsRefused() throws Exception {
        // mix and match: a valid manifest of 9.0.8 sent with the offer of 9.0.9
        byte[] artifact = archive("9.0.8");
        byte[] manifest = HostileUpdateServer.manifest(trusted, "9.0.8", artifact, 60, Map.of());
        JsonNode r = attack(new Offer(HostileUpdateServer.update("9.0.9", manifest, trusted.sign(manifest), trusted.id()),
                artifact, DownloadMode.NORMAL, Map.of()));
        assertRefused(r, "MANIFEST_ERROR", "the signed manifest is for 9.0.8, the offer for 9.0.9");
    }

    @Test
    @Order(9)
    void aDowngradeBoundToARolloutTheAgentNeverTookPartInIsRefused() throws Exception {
        // genuinely signed, a counter above the installed one, marked as a rollback: but of someone else's rollout
        JsonNode r = attack(signed(trusted, "0.0.9", archive("0.0.9"), 60, Map.of("downgrade", true,
                "rollout_id", "rol_never")));
        assertRefused(r, "MANIFEST_ERROR", "bound to rollout rol_never, which this agent did not update through");
        JsonNode unbound = attack(signed(trusted, "0.0.9", archive("0.0.9"), 60, Map.of("downgrade", true)));
        assertRefused(unbound, "MANIFEST_ERROR", "without rollout_id");
    }

    // ---- the bytes ---------------------------------------------------------------------------------------------

    @Test
    @Order(10)
    void aTamperedArtifactIsRefusedAndNotKept() throws Exception {
        byte[] artifact = archive("9.1.0");
        Offer genuine = signed(trusted, "9.1.0", artifact, 60, Map.of());
        byte[] tampered = artifact.clone();
        tampered[tampered.length / 2] ^= 0x55;
        JsonNode r = attack(new Offer(genuine.update(), tampered, DownloadMode.NORMAL, Map.of()));
        assertRefused(r, "HASH_MISMATCH", "the download's SHA-256 is");
        assertTrue(agent.downloads().stream().noneMatch(f -> f.startsWith("9.1.0")), "nothing kept: " + agent.downloads());
    }

    @Test
    @Order(14)
    void aDowngradeToAVersionOtherThanTheOneTheAgentCameFromIsRefused() throws Exception {
        // the agent takes part in rollout rol_attack (it starts installing 9.1.4 through it; the stand-in spoils the
        // bytes, so nothing is installed) ...
        byte[] artifact = archive("9.1.4");
        Offer genuine = signed(trusted, "9.1.4", artifact, 60, Map.of());
        Map<String, Object> update = new LinkedHashMap<>(genuine.update());
        update.put("rollout_id", "rol_attack");
        byte[] tampered = artifact.clone();
        tampered[tampered.length / 2] ^= 0x55;
        assertRefused(attack(new Offer(update, tampered, DownloadMode.NORMAL, Map.of())), "HASH_MISMATCH",
                "the download's SHA-256 is");
        // ... and a rollback "of" that rollout to a version it never ran is refused
        JsonNode r = attack(signed(trusted, "0.0.8", archive("0.0.8"), 60, Map.of("downgrade", true,
                "rollout_id", "rol_attack")));
        assertRefused(r, "MANIFEST_ERROR", "is to 0.0.8, but this agent came to 9.1.4 from " + built);
    }

    @Test
    @Order(15)
    void anAbortedRolloutCancelsTheDownloadAtItsNextReCheck() throws Exception {
        // a long download of a release a rollout offered; the rollout is aborted (the re-check gets no offer)
        byte[] artifact = archive("9.1.5", 400_000);
        Map<String, Object> update = new LinkedHashMap<>(signed(trusted, "9.1.5", artifact, 60, Map.of()).update());
        update.put("rollout_id", "rol_abort");
        server.withdrawOnRecheck(true);
        JsonNode r = attack(new Offer(update, artifact, DownloadMode.HALF_THEN_TRICKLE, Map.of()));
        assertEquals("cancelled", r.path("status").asText(), r.toString());
        assertEquals("ROLLOUT_ABORTED", r.path("error_code").asText(), r.toString());
        assertTrue(r.path("error_message").asText().contains("rol_abort"), r.toString());
        String runId = r.path("run_id").asText();
        assertTrue(server.checkIns.stream().filter(c -> runId.equals(c.path("run_id").asText(null))).count() >= 2,
                "the run checked in with its id, then re-checked with it");
        Eventually.within(RUN_WAIT, () -> assertTrue(server.telemetry.stream().anyMatch(e ->
                runId.equals(e.path("run_id").asText(null)) && "cancelled".equals(e.path("status").asText())
                && "ROLLOUT_ABORTED".equals(e.path("error_code").asText())),
                "the server is told, so it frees the slot: " + server.telemetry), UpdateAttackSuiteIT::hopeless);
        assertOnItsWorkingVersion();
    }

    @Test
    @Order(11)
    void endlessDataInADownloadIsCutAtTheSignedSize() throws Exception {
        long before = server.droppedConnections.get();
        JsonNode r = attack(new Offer(signed(trusted, "9.1.1", archive("9.1.1"), 60, Map.of()).update(),
                archive("9.1.1"), DownloadMode.ENDLESS, Map.of()));
        assertRefused(r, "DOWNLOAD_FAILED", "more than the manifest's");
        Eventually.within(Duration.ofSeconds(30), () -> assertTrue(server.droppedConnections.get() > before,
                "the agent hung up on the endless download"));
        assertTrue(server.bytesSent.get("artifact").get() < 256L << 20, "the agent stopped reading early: "
                + server.bytesSent.get("artifact"));
    }

    @Test
    @Order(12)
    void anEndlessCheckInAnswerIsCutAtOneMebibyteAndTheAgentKeepsWorking() throws Exception {
        long before = server.droppedConnections.get();
        server.checkInMode(CheckInMode.ENDLESS);
        JsonNode r = attack(null);
        assertRefused(r, "SERVER_ERROR", "was not read: the server's answer is larger than the 1048576 bytes an agent reads");
        Eventually.within(Duration.ofSeconds(30), () -> assertTrue(server.droppedConnections.get() > before,
                "the agent hung up on the endless answer"));
        // the agent is not hurt: the next check-in works again (and finds nothing newer: up to date, since wire 1.3)
        server.checkInMode(CheckInMode.NORMAL);
        JsonNode next = attack(null);
        assertEquals("up_to_date", next.path("status").asText(), next.toString());
        assertOnItsWorkingVersion();
    }

    @Test
    @Order(13)
    void aSlowRetrievalIsCutOffAtTheDeadlineDerivedFromTheSize() throws Exception {
        byte[] artifact = archive("9.1.3", 200_000); // at 20 000 bytes/s after 2 s: a deadline of 12 s
        long start = System.nanoTime();
        JsonNode r = attack(new Offer(signed(trusted, "9.1.3", artifact, 60, Map.of()).update(), artifact,
                DownloadMode.TRICKLE, Map.of()));
        long seconds = Duration.ofNanos(System.nanoTime() - start).toSeconds();
        assertRefused(r, "DOWNLOAD_FAILED", "the download is too slow");
        assertTrue(seconds < 30, "cut off after " + seconds + " s, not after the trickle's 5.5 hours");
    }

    // ---- the archive -------------------------------------------------------------------------------------------

    @Test
    @Order(20)
    void aZipSlipArchiveIsRefusedAndWritesNothingOutside() throws Exception {
        Path file = work.resolve("zip-slip.tar.gz");
        TarGz.write(file, List.of(TarGz.Entry.dir("printmaster-agent-9.2.0"),
                TarGz.Entry.file("printmaster-agent-9.2.0/VERSION", "9.2.0\n", 0644),
                TarGz.Entry.file("printmaster-agent-9.2.0/../../../../attack-zip-slip.txt", "owned\n", 0644)));
        byte[] artifact = Files.readAllBytes(file);
        JsonNode r = attack(signed(trusted, "9.2.0", artifact, 60, Map.of()));
        assertRefused(r, "STAGING_FAILED", "unsafe entry");
        try (Stream<Path> all = Files.walk(work)) {
            assertTrue(all.noneMatch(p -> p.getFileName().toString().equals("attack-zip-slip.txt")),
                    "nothing written outside the staging folder");
        }
        assertFalse(agent.versionEntries().contains("9.2.0"), agent.versionEntries().toString());
    }

    @Test
    @Order(21)
    void aZipBombIsRefusedEarly() throws Exception {
        Path file = work.resolve("zip-bomb.tar.gz");
        TarGz.writeBomb(file, "printmaster-agent-9.2.1/bundle/zeros.jar", 2L << 30); // 2 GiB of zeros, ~2 MB
        byte[] artifact = Files.readAllBytes(file);
        JsonNode r = attack(signed(trusted, "9.2.1", artifact, 60, Map.of()));
        assertRefused(r, "STAGING_FAILED", "a zip bomb, refused");
        assertFalse(agent.versionEntries().contains("9.2.1"), agent.versionEntries().toString());
    }

    // ---- the hot swap ------------------------------------------------------------------------------------------

    @Test
    @Order(30)
    void aTamperedHotSwapJarIsRefusedAndNothingIsSwapped() throws Exception {
        // a release that keeps the runtime (so the agent hot-swaps it) and changes one bundle, whose bytes the
        // stand-in replaces on the way
        List<Map<String, Object>> bundles = new ArrayList<>();
        Map<String, byte[]> served = new HashMap<>();
        try (Stream<Path> jars = Files.list(agent.root().resolve("bundle"))) {
            boolean changed = false;
            for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
                byte[] bytes = Files.readAllBytes(jar);
                if (!changed && jar.getFileName().toString().startsWith("io.printmaster.agent.localui")) {
                    byte[] next = new byte[bytes.length + 16];
                    System.arraycopy(bytes, 0, next, 0, bytes.length); // a different jar the manifest signs
                    byte[] tampered = next.clone();
                    tampered[100] ^= 0x01;
                    served.put(HostileUpdateServer.sha256(next), tampered);
                    bytes = next;
                    changed = true;
                }
                bundles.add(bundle(jar, bytes));
            }
            assertTrue(changed, "the localui bundle is in the release");
        }
        byte[] artifact = archive("9.3.0");
        Map<String, Object> hotSwap = new LinkedHashMap<>();
        hotSwap.put("bundles", bundles);
        hotSwap.put("runtime_sha256", RuntimeFingerprint.ofProgramFolder(agent.root()));
        hotSwap.put("restart_required", false);
        Offer genuine = signed(trusted, "9.3.0", artifact, 60, hotSwap);
        JsonNode r = attack(new Offer(genuine.update(), artifact, DownloadMode.NORMAL, served));
        assertRefused(r, "HASH_MISMATCH", "the download's SHA-256 is");
        assertFalse(agent.versionEntries().contains("9.3.0"), agent.versionEntries().toString());
        assertTrue(server.bytesSent.containsKey("bundle"), "the agent took the hot-swap path and fetched the bundle");
    }

    // ---- the key lifecycle (last: the agent keeps what the statements changed) -----------------------------------

    @Test
    @Order(40)
    void aManifestSignedByARotatedOutKeyIsRefused() throws Exception {
        // the key the agent trusts hands over to another: from then on a manifest signed by it is refused, even one
        // of the very check-in that carried the rotation
        server.trustStatements(List.of(rotation));
        JsonNode r = attack(signed(trusted, "9.4.0", archive("9.4.0"), 60, Map.of()));
        assertRefused(r, "MANIFEST_ERROR", "the manifest is signed by key '" + trusted.id()
                + "', which a rotation retired (retired by the rotation to " + successor.id() + ")");
        JsonNode state = trustState();
        assertEquals(1, state.path("trust_version").asLong(), state.toString());
        assertEquals("retired", keyState(state, trusted.id()), state.toString());
        assertEquals("active", keyState(state, successor.id()), state.toString());

        // the refusal is for the rotation, not for a statement the agent could not use: the new key signs
        JsonNode accepted = attack(signedButTamperedOnTheWay(successor, "9.4.1"));
        assertRefused(accepted, "HASH_MISMATCH", "the download's SHA-256 is");
        assertEquals(1, server.lastCheckIn().orElseThrow().path("trust_version").asLong(),
                "the agent reports the trust statement it holds: " + server.lastCheckIn());
    }

    @Test
    @Order(41)
    void aManifestSignedByARevokedKeyIsRefused() throws Exception {
        // the old key leaked: the server's active key (the rotation's successor) revokes it. The rotation is served
        // too, as a server sends every statement newer than the agent's trust version (held already after case 40)
        server.trustStatements(List.of(rotation,
                HostileUpdateServer.revocation(2, trusted, successor, "the key leaked")));
        JsonNode r = attack(signed(trusted, "9.4.2", archive("9.4.2"), 60, Map.of()));
        assertRefused(r, "MANIFEST_ERROR", "the manifest is signed by key '" + trusted.id()
                + "', which was revoked (revoked by " + successor.id() + ": the key leaked)");
        JsonNode state = trustState();
        assertEquals(2, state.path("trust_version").asLong(), state.toString());
        assertEquals("revoked", keyState(state, trusted.id()), state.toString());
        assertEquals("active", keyState(state, successor.id()), state.toString());

        // only the named key was revoked: the active key still signs
        JsonNode accepted = attack(signedButTamperedOnTheWay(successor, "9.4.3"));
        assertRefused(accepted, "HASH_MISMATCH", "the download's SHA-256 is");
        assertEquals(2, server.lastCheckIn().orElseThrow().path("trust_version").asLong(),
                "the agent reports the trust statements it holds: " + server.lastCheckIn());
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    /** Serves {@code offer} (null: nothing), runs a check as a local tool would, and returns that run's result. */
    private static JsonNode attack(Offer offer) throws Exception {
        server.offer(offer);
        String[] runId = {null};
        Eventually.within(RUN_WAIT, () -> {
            HttpResponse<String> started = agent.trigger("check");
            assertEquals(202, started.statusCode(), "the agent accepts a check: " + started.body());
            runId[0] = JSON.readTree(started.body()).get("run_id").asText();
        }, UpdateAttackSuiteIT::hopeless);
        JsonNode[] result = {null};
        Eventually.within(RUN_WAIT, () -> {
            JsonNode last = agent.status().path("last_result");
            assertEquals(runId[0], last.path("run_id").asText(), "the run ended: " + last);
            result[0] = last;
        }, UpdateAttackSuiteIT::hopeless);
        return result[0];
    }

    private static String hopeless() {
        return agent.isRunning() ? null : "the agent exited\n" + agent.logTail();
    }

    private static void assertRefused(JsonNode result, String code, String why) throws Exception {
        assertEquals("failed", result.path("status").asText(), result.toString());
        assertEquals(code, result.path("error_code").asText(), result.toString());
        assertTrue(result.path("error_message").asText().contains(why), result.toString());
        assertOnItsWorkingVersion();
    }

    /** What a user checks: the version the agent reports, the same process, no trial waiting for a restart. */
    private static void assertOnItsWorkingVersion() throws Exception {
        assertEquals(built, agent.status().path("current_version").asText(), "the agent reports its working version");
        assertEquals(Optional.of(agentPid), agent.agentPid(), "the agent was not restarted");
        assertEquals(Optional.of(built), agent.runningProgramVersion(), "it runs its working program");
        assertEquals(Optional.empty(), agent.slotFile("trial"), "no trial to boot");
        assertEquals(Optional.empty(), agent.slotFile("booting"), "no trial booting");
    }

    /** An offer of {@code artifact} with a manifest signed by {@code signer}, downloaded normally. */
    private static Offer signed(Key signer, String version, byte[] artifact, long counter, Map<String, Object> changes)
            throws Exception {
        byte[] manifest = HostileUpdateServer.manifest(signer, version, artifact, counter, changes);
        return new Offer(HostileUpdateServer.update(version, manifest, signer.sign(manifest), signer.id()), artifact,
                DownloadMode.NORMAL, Map.of());
    }

    /**
     * An offer with a valid manifest signed by {@code signer} whose artifact the stand-in changes on the way: a run
     * that gets as far as {@code HASH_MISMATCH} accepted the manifest, and installs nothing.
     */
    private static Offer signedButTamperedOnTheWay(Key signer, String version) throws Exception {
        byte[] artifact = archive(version);
        byte[] tampered = artifact.clone();
        tampered[tampered.length / 2] ^= 0x55;
        return new Offer(signed(signer, version, artifact, 60, Map.of()).update(), tampered, DownloadMode.NORMAL, Map.of());
    }

    /** The agent's {@code data/update/trust-state.json}: what the trust statements it applied made of its trust. */
    private static JsonNode trustState() throws Exception {
        Path file = agent.dataDir().resolve("update/trust-state.json");
        assertTrue(Files.isRegularFile(file), "the agent kept no trust state: " + file);
        return JSON.readTree(file.toFile());
    }

    private static String keyState(JsonNode state, String keyId) {
        for (JsonNode k : state.path("keys")) {
            if (keyId.equals(k.path("id").asText())) {
                return k.path("state").asText();
            }
        }
        return "unknown";
    }

    /** A small tar.gz that looks like a release (it never gets as far as being unpacked in the cases that use it). */
    private static byte[] archive(String version) throws Exception {
        return archive(version, 4096);
    }

    private static byte[] archive(String version, int padding) throws Exception {
        Path file = work.resolve("release-" + version + "-" + padding + ".tar.gz");
        byte[] noise = new byte[padding];
        new java.util.Random(version.hashCode()).nextBytes(noise); // incompressible: the archive is about this big
        TarGz.write(file, List.of(TarGz.Entry.dir("printmaster-agent-" + version),
                TarGz.Entry.file("printmaster-agent-" + version + "/VERSION", version + "\n", 0644),
                new TarGz.Entry("printmaster-agent-" + version + "/noise.bin", noise, 0644, false)));
        return Files.readAllBytes(file);
    }

    /** A {@code bundles} entry for a jar of the official archive carried as {@code bytes}. */
    private static Map<String, Object> bundle(Path jar, byte[] bytes) throws Exception {
        String name;
        String version;
        try (JarFile j = new JarFile(jar.toFile())) {
            name = j.getManifest().getMainAttributes().getValue("Bundle-SymbolicName");
            version = j.getManifest().getMainAttributes().getValue("Bundle-Version");
        }
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("path", "bundle/" + jar.getFileName());
        b.put("symbolic_name", name == null ? jar.getFileName().toString() : name.split(";")[0].strip());
        b.put("version", version == null ? "0.0.0" : version);
        b.put("sha256", HostileUpdateServer.sha256(bytes));
        b.put("size_bytes", bytes.length);
        return b;
    }
}
