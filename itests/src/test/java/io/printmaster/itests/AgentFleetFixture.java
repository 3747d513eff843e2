package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.itests.AgentReleaseBuilder.Changes;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The start every agent end-to-end test and benchmark shares: a real server ({@link ServerProcess}) with one fleet
 * and a {@code directory} release source added over the API, ready once the agent the server ships (version N) has a
 * signed manifest; then, from {@link #installAgent}, an agent installed from the fleet's tar.gz installer
 * ({@link AgentInstallation}). It also gives what those tests need to look at the pair: the agent's record on the
 * server, waits that fail with what the agent and the server said, and publishing a release into the folder until
 * the server signed it. Closing it stops the agent, then the server.
 * <p>
 * It exists because five classes carried their own copy of this, and the copies had started to drift (one re-asked
 * for a sync, another did not; one dumped the agent's files on a failure, another only its log): a fix to the
 * start or to a wait now lands in every test at once. What a test does with the agent (fault injection, the
 * console, measuring) stays in the test.
 */
final class AgentFleetFixture implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> TERMINAL = List.of("succeeded", "failed", "skipped", "rolled_back", "cancelled");

    private final String fleet;
    private final Duration wait;
    private final Path work;
    private final Path releaseFolder;
    private final AgentReleaseBuilder official;
    private ServerProcess server;
    private ApiClient admin;
    private AgentInstallation agent;
    private String agentId;

    private AgentFleetFixture(String fleet, Duration wait, Path work, Path releaseFolder, AgentReleaseBuilder official,
            ServerProcess server) {
        this.fleet = fleet;
        this.wait = wait;
        this.work = work;
        this.releaseFolder = releaseFolder;
        this.official = official;
        this.server = server;
    }

    /**
     * Starts a server (its log named after {@code name}), creates fleet {@code fleet} and a {@code directory} source
     * on a fresh folder, and waits until version N is cached with a signed manifest: the installer is built from it.
     *
     * @param wait how long every {@link #await} of this fixture waits: the tests chose theirs, and keep them
     */
    static AgentFleetFixture start(String name, String fleet, String fleetName, Duration wait) throws Exception {
        Path work = Files.createTempDirectory("pm-" + name);
        Path releaseFolder = Files.createDirectories(work.resolve("releases"));
        AgentReleaseBuilder official = AgentReleaseBuilder.fromBuild();
        AgentFleetFixture fixture = new AgentFleetFixture(fleet, wait, work, releaseFolder, official,
                ServerProcess.start(name));
        try {
            fixture.createFleetAndSource(fleetName);
            fixture.awaitSigned(official.builtVersion());
        } catch (Exception | AssertionError e) {
            fixture.close(); // @AfterAll never sees a fixture that start did not return
            throw e;
        }
        return fixture;
    }

    private void createFleetAndSource(String fleetName) throws Exception {
        server.awaitEndpoints("/api/v1/installers/formats", "/api/v1/agents", "/api/v1/releases/artifacts",
                "/api/v1/release-sources");
        admin = ApiClient.anonymous(Integer.toString(server.baseUri().getPort())).login(server.adminPassword());
        ApiClient.Response created = admin.post("/api/v1/fleets", Map.of("id", fleet, "name", fleetName));
        assertEquals(201, created.status(), created.body());
        ApiClient.Response source = admin.post("/api/v1/release-sources", Map.of("type", "directory",
                "name", fleet + "-folder", "config", Map.of("path", releaseFolder.toString())));
        assertEquals(201, source.status(), source.body());
    }

    /**
     * Downloads the fleet's tar.gz installer and unpacks it with {@code tar} (not started: a test configures it
     * first); {@code name} names its log. The fixture closes it.
     */
    AgentInstallation installAgent(String name) throws Exception {
        Path installer = installer();
        HttpResponse<Path> download = admin.download("/api/v1/installers/" + fleet + "/" + AgentReleaseBuilder.platform()
                + "?format=tar.gz", installer);
        assertEquals(200, download.statusCode(), () -> "installer download: " + readSmall(installer));
        agent = AgentInstallation.install(installer, work.resolve("install"), name);
        assertEquals(builtVersion(), Files.readString(agent.root().resolve("VERSION")).strip(),
                "the installer holds version N");
        return agent;
    }

    ServerProcess server() {
        return server;
    }

    /** Stops the server (SIGTERM); the agent keeps running and finds no server. */
    void stopServer() throws Exception {
        server.close();
    }

    /**
     * Starts the server again on its data directory and port (the agent knows that address), named {@code name} in
     * its log, and logs the administrator in again (every start sets a new password).
     */
    void startServerAgain(String name) throws Exception {
        server = ServerProcess.start(name, server.dataDir(), List.of(),
                List.of("--port", Integer.toString(server.baseUri().getPort())));
        server.awaitEndpoints("/api/v1/agents", "/api/v1/agents/update/wait");
        admin = ApiClient.anonymous(Integer.toString(server.baseUri().getPort())).login(server.adminPassword());
    }

    /** The administrator's console session on the server. */
    ApiClient admin() {
        return admin;
    }

    /** A scratch folder of this run (the installer and the install root are in it). */
    Path work() {
        return work;
    }

    /** The folder the {@code directory} source reads. */
    Path releaseFolder() {
        return releaseFolder;
    }

    /** The installer {@link #installAgent} downloaded. */
    Path installer() {
        return work.resolve("installer.tar.gz");
    }

    /** Builds releases from the agent archive the server ships (version N). */
    AgentReleaseBuilder official() {
        return official;
    }

    /** N: the version the server ships and the installer holds. */
    String builtVersion() {
        return official.builtVersion();
    }

    /**
     * Reads the enrolled agent's id from the server and remembers it: from then on {@link #serverRecord} is that
     * agent's, and failures carry its telemetry.
     */
    String identifyAgent() throws Exception {
        agentId = serverRecord().get("id").asText();
        return agentId;
    }

    /** The agent's record in {@code GET /api/v1/agents?fleet=}: the only agent of the fleet until it is identified. */
    JsonNode serverRecord() throws Exception {
        JsonNode mine = null;
        for (JsonNode a : json(admin.get("/api/v1/agents?fleet=" + fleet)).get("agents")) {
            if (agentId == null || agentId.equals(a.get("id").asText())) {
                assertTrue(mine == null, "one agent in " + fleet);
                mine = a;
            }
        }
        assertNotNull(mine, "an agent enrolled into " + fleet);
        return mine;
    }

    /** A 200 answer's body as JSON. */
    JsonNode json(ApiClient.Response r) throws Exception {
        assertEquals(200, r.status(), r.body());
        return JSON.readTree(r.body());
    }

    /**
     * Publishes {@code version}, built on {@code base} with {@code changes}, into the folder as an operator would,
     * asks for a sync and waits until the server signed its manifest; the published archive.
     */
    Path publish(AgentReleaseBuilder base, String version, Changes changes) throws Exception {
        Path archive = base.publish(releaseFolder, version, changes);
        requestSync();
        awaitSigned(version);
        return archive;
    }

    /** {@code POST /api/v1/releases/sync}, as the console's "Sync now" (joins a sync that is running). */
    void requestSync() throws Exception {
        ApiClient.Response sync = admin.post("/api/v1/releases/sync", Map.of());
        assertEquals(202, sync.status(), sync.body());
    }

    /** {@link #awaitSigned(String, String, String)} for the agent's tar.gz. */
    void awaitSigned(String version) throws Exception {
        awaitSigned("agent", version, "tar.gz");
    }

    /** Waits until {@code component} {@code version} (linux, this arch, {@code format}) is cached with a signed manifest. */
    void awaitSigned(String component, String version, String format) throws Exception {
        String query = "?component=" + component + "&version=" + version + "&platform=linux&arch="
                + AgentReleaseBuilder.arch() + "&format=" + format;
        await(component + " " + version + " is cached with a signed manifest", () -> {
            JsonNode artifacts = json(admin.get("/api/v1/releases/artifacts" + query)).get("artifacts");
            if (artifacts.isEmpty()) {
                // a sync that listed the folder before the file was there misses it: ask again (joins a running one)
                admin.post("/api/v1/releases/sync", Map.of());
            }
            assertEquals(1, artifacts.size(), "artifacts: " + artifacts);
            JsonNode manifests = json(admin.get("/api/v1/releases/manifests" + query)).get("manifests");
            assertEquals(1, manifests.size(), "manifests: " + manifests);
        }, () -> null, () -> IntakeDiagnostics.describe(admin));
    }

    /** "Update now" on the server: a {@code force_update} delivered with the agent's next check-in. */
    void forceUpdate() throws Exception {
        ApiClient.Response r = admin.post("/api/v1/agents/" + agentId + "/commands", Map.of("command", "force_update"));
        assertEquals(202, r.status(), r.body());
    }

    /**
     * Waits until the agent started at {@code started} runs {@code version}, its update worker is up, and it has
     * checked in since it started. A command is marked delivered by the check-in that carries it: queued while the
     * agent is still starting, it could reach a check-in made before the worker listens, and nothing would run.
     */
    void awaitReadyForCommands(String version, Instant started) throws Exception {
        await("the started agent runs " + version + ", has its worker and checked in", () -> {
            JsonNode local = agent.status();
            assertEquals(version, local.get("current_version").asText(), "agent: current_version");
            assertTrue(local.path("worker_installed").asBoolean(), "agent: worker_installed");
            String seen = serverRecord().path("last_seen_at").asText("");
            assertTrue(!seen.isEmpty() && Instant.parse(seen).isAfter(started), "server: last_seen_at " + seen
                    + " after the start at " + started);
        });
    }

    /** {@link #runEndedOtherwise(String, String, String)} when no earlier run can be mistaken for this one. */
    Eventually.Reason runEndedOtherwise(String version, String expected) {
        return runEndedOtherwise(version, expected, null);
    }

    /**
     * A reason to stop waiting for a run to {@code version}: the server shows a run to it, other than
     * {@code staleRunId} (the newest run before the trigger, which says nothing about this one), that ended with
     * another terminal status than {@code expected}.
     */
    Eventually.Reason runEndedOtherwise(String version, String expected, String staleRunId) {
        return () -> {
            JsonNode mine = serverRecord();
            if (mine.path("last_run_id").asText("").equals(staleRunId)) {
                return null; // the new run has not reported yet
            }
            String status = mine.path("status").asText();
            if (version.equals(mine.path("target_version").asText()) && TERMINAL.contains(status)
                    && !status.equals(expected)) {
                return "the run to " + version + " ended " + status + " (" + mine.path("last_error_code").asText() + ")";
            }
            return null;
        };
    }

    /** {@link Eventually#within} this fixture's wait, failing with what the agent and the server said. */
    void await(String what, Eventually.Check check) throws Exception {
        await(what, check, () -> null);
    }

    /**
     * {@link Eventually#within} this fixture's wait, failing with what the agent and the server said; gives up at
     * once when the agent process exits or {@code hopeless} names a reason (such as a run that ended otherwise).
     */
    void await(String what, Eventually.Check check, Eventually.Reason hopeless) throws Exception {
        await(what, check, hopeless, () -> "");
    }

    private void await(String what, Eventually.Check check, Eventually.Reason hopeless, Supplier<String> more)
            throws Exception {
        Process watched = agent == null ? null : agent.process();
        // an agent stopped on purpose before the wait is not watched: only one that dies while we wait
        boolean watchAgent = watched != null && watched.isAlive();
        try {
            Eventually.within(wait, check, () -> {
                if (watchAgent && !watched.isAlive()) {
                    return "the agent process exited with code " + watched.exitValue();
                }
                try {
                    return hopeless.get();
                } catch (Exception | AssertionError e) {
                    return null; // cannot tell yet
                }
            });
        } catch (AssertionError | Exception e) {
            throw new AssertionError("waited for: " + what + "\nlast failure: " + e + "\n"
                    + (agent == null ? "" : agent.threadDump() + "\n") + more.get() + diagnostics(), e);
        }
    }

    /**
     * What the server and the agent say now, for failure messages: the server's record and telemetry of the agent,
     * the agent's status and update files, both log tails. Never throws: what cannot be read says why.
     */
    String diagnostics() {
        StringBuilder out = new StringBuilder();
        try {
            out.append("server record: ").append(agentId == null ? "(not identified yet)" : serverRecord()).append('\n');
        } catch (Exception | AssertionError e) {
            out.append("server record: ").append(e).append('\n');
        }
        try {
            if (agentId != null) {
                out.append("agent on the server: ").append(admin.get("/api/v1/agents/" + agentId).body()).append('\n');
                out.append("telemetry: ").append(admin.get("/api/v1/agents/" + agentId + "/telemetry?limit=20").body())
                        .append('\n');
            }
        } catch (Exception e) {
            out.append("telemetry: ").append(e).append('\n');
        }
        if (agent == null) {
            return out.append(server.logTail()).toString();
        }
        try {
            out.append("agent status: ").append(agent.status()).append('\n');
        } catch (Exception | AssertionError e) {
            out.append("agent status: ").append(e).append('\n');
        }
        out.append("agent JVM: ").append(agent.agentPid()).append('\n');
        try {
            out.append("versions/: ").append(agent.versionEntries()).append(", current=").append(agent.slotFile("current"))
                    .append(", trial=").append(agent.slotFile("trial")).append(", booting=").append(agent.slotFile("booting"))
                    .append(", abandoned=").append(agent.slotFile("abandoned")).append('\n');
        } catch (Exception e) {
            out.append("versions/: ").append(e).append('\n');
        }
        for (String file : List.of("run.json", "state.json", "hotswap.json", "installed-bundles.json")) {
            out.append(file).append(": ").append(agent.updateFile(file)).append('\n');
        }
        out.append(agent.logTail()).append('\n').append(server.logTail());
        return out.toString();
    }

    @Override
    public void close() throws Exception {
        try {
            if (agent != null) {
                agent.close();
            }
        } finally {
            server.close();
        }
    }

    private static String readSmall(Path file) {
        try {
            return Files.size(file) < 10_000 ? Files.readString(file) : "(" + Files.size(file) + " bytes)";
        } catch (Exception e) {
            return e.toString();
        }
    }
}
