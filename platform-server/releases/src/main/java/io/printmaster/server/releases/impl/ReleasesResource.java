package io.printmaster.server.releases.impl;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.api.platform.Arch;
import io.printmaster.api.platform.Os;
import io.printmaster.api.release.Channel;
import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.EventSink;
import io.printmaster.http.api.JsonTypes;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.Scopes;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.ReleaseCatalog.ArtifactFilter;
import io.printmaster.server.releases.api.SignedManifest;
import io.printmaster.server.releases.impl.ReleaseStore.ManifestEntry;
import io.printmaster.server.releases.impl.SyncHistory.SyncRecord;
import io.printmaster.store.AuditLog;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * {@code /api/v1/releases}: the cached artifacts, syncs (start one, follow it as server-sent events, read the
 * status and the history of rejections) and the signed manifests.
 */
@Component(service = RouteProvider.class)
public class ReleasesResource implements RouteProvider {
    private static final Pattern FORMAT = Pattern.compile("[a-z0-9][a-z0-9.-]{0,31}");
    private static final Pattern COMPONENT = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ReleaseStore store;
    private final ArtifactCache cache;
    private final ReleaseIntake intake;
    private final AuditLog audit;
    private volatile ManifestService manifests;

    @Activate
    public ReleasesResource(@Reference ReleaseStore store, @Reference ArtifactCache cache, @Reference ReleaseIntake intake,
                            @Reference AuditLog audit) {
        this.store = store;
        this.cache = cache;
        this.intake = intake;
        this.audit = audit;
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setManifests(ManifestService service) {
        this.manifests = service;
    }

    void unsetManifests(ManifestService service) {
        if (this.manifests == service) {
            this.manifests = null;
        }
    }

    @Override
    public List<Route> routes() {
        return List.of(
                filtered(Route.get("/api/v1/releases/artifacts", Scopes.RELEASES_READ, this::artifacts)
                        .doc("List cached release artifacts, newest version first"))
                        .query("channel", "only artifacts of this channel").returns(Map.class),
                Route.post("/api/v1/releases/sync", Scopes.RELEASES_WRITE, this::sync).asServerWide()
                        .doc("Start a sync of every release source").returns(202, Map.class),
                Route.get("/api/v1/releases/sync/status", Scopes.RELEASES_READ, this::status)
                        .doc("Read the running and recent syncs, rejections and skips").returns(Map.class),
                Route.get("/api/v1/releases/sync/{id}", Scopes.RELEASES_READ, this::syncDetail)
                        .doc("Read a sync and what happened to each asset").returns(Map.class),
                Route.get("/api/v1/releases/sync/{id}/events", Scopes.RELEASES_READ, this::events)
                        .doc("Follow a sync's events", "Server-Sent Events; `Last-Event-ID` resumes.")
                        .produces("text/event-stream"),
                filtered(Route.get("/api/v1/releases/manifests", Scopes.RELEASES_READ, this::manifests)
                        .doc("List the signed manifests")).returns(Map.class),
                Route.post("/api/v1/releases/manifests/regenerate", Scopes.RELEASES_WRITE, this::regenerate).asServerWide()
                        .doc("Re-sign every manifest with the active key")
                        .returns(JsonTypes.object("regenerated_count", Integer.class)));
    }

    /** The artifact filters of the artifact and manifest lists. */
    private static Route filtered(Route route) {
        return route.query("component", "a component name such as agent or server")
                .query("version", "a version").query("platform", "linux, windows, darwin or any")
                .query("arch", "amd64, arm64 or any").query("format", "a format such as zip, tar.gz or msi");
    }

    // ---- artifacts --------------------------------------------------------------------------------------------

    ApiResponse artifacts(ApiRequest req) throws Exception {
        ArtifactFilter filter = filter(req, true);
        List<Map<String, Object>> items = store.artifacts(filter).stream().map(this::artifactView).toList();
        return ApiResponse.ok(Map.of("artifacts", items));
    }

    private Map<String, Object> artifactView(Artifact a) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", a.id());
        m.put("component", a.component());
        m.put("version", a.version());
        m.put("platform", a.platform());
        m.put("arch", a.arch());
        m.put("format", a.format());
        m.put("channel", a.channel());
        m.put("sha256", a.sha256());
        m.put("size_bytes", a.sizeBytes());
        m.put("asset_name", a.assetName());
        m.put("source", a.sourceName());
        m.put("source_type", a.sourceType());
        m.put("upstream_url", a.upstreamUrl());
        m.put("release_notes", a.releaseNotes());
        m.put("published_at", a.publishedAt());
        m.put("downloaded_at", a.downloadedAt());
        m.put("cached", cache.file(a.sha256()).isPresent());
        return m;
    }

    /** Query filters, each validated so a typo answers 400 instead of an empty list. */
    private static ArtifactFilter filter(ApiRequest req, boolean withChannel) throws ApiException {
        String component = param(req, "component", COMPONENT, "a component name such as agent or server");
        String version = req.query("version").filter(v -> !v.isBlank()).orElse(null);
        if (version != null && version.length() > 128) {
            throw ApiException.invalid("version", "at most 128 characters");
        }
        String platform = req.query("platform").filter(v -> !v.isBlank()).orElse(null);
        if (platform != null && !Artifact.ANY.equals(platform)) {
            try {
                platform = Os.fromWireName(platform).wireName();
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid("platform", e.getMessage() + " or " + Artifact.ANY);
            }
        }
        String arch = req.query("arch").filter(v -> !v.isBlank()).orElse(null);
        if (arch != null && !Artifact.ANY.equals(arch)) {
            try {
                arch = Arch.fromWireName(arch).wireName();
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid("arch", e.getMessage() + " or " + Artifact.ANY);
            }
        }
        String format = param(req, "format", FORMAT, "a format such as zip, tar.gz or msi");
        String channel = null;
        if (withChannel) {
            channel = req.query("channel").filter(v -> !v.isBlank()).orElse(null);
            if (channel != null) {
                try {
                    channel = Channel.fromWireName(channel).wireName();
                } catch (IllegalArgumentException e) {
                    throw ApiException.invalid("channel", e.getMessage());
                }
            }
        }
        return new ArtifactFilter(component, version, platform, arch, format, channel);
    }

    private static String param(ApiRequest req, String name, Pattern pattern, String expected) throws ApiException {
        String value = req.query(name).filter(v -> !v.isBlank()).orElse(null);
        if (value != null && !pattern.matcher(value).matches()) {
            throw ApiException.invalid(name, "'" + value + "' is not " + expected);
        }
        return value;
    }

    // ---- syncs ------------------------------------------------------------------------------------------------

    ApiResponse sync(ApiRequest req) throws Exception {
        String actor = req.requireCaller().name();
        ReleaseIntake.Started started = intake.startSync("api", actor);
        SyncRun.Snapshot s = started.run().snapshot();
        if (!started.alreadyRunning()) {
            Map<String, Object> after = Map.of("sync_id", s.id(), "sources", intake.sources().stream().map(IntakeRun.SourceRef::name).toList());
            store.database().inTransaction(c -> {
                audit.record(c, actor, "releases.sync", "sync:" + s.id(), null, null, after);
                return null;
            });
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("sync_id", s.id());
        body.put("state", s.state());
        body.put("already_running", started.alreadyRunning());
        body.put("started_at", s.startedAt());
        body.put("events_url", "/api/v1/releases/sync/" + s.id() + "/events");
        return ApiResponse.status(202, body).header("Location", "/api/v1/releases/sync/" + s.id());
    }

    ApiResponse status(ApiRequest req) throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        Optional<SyncRun> here = intake.running();
        Object running = here.map(SyncRun::snapshot).map(ReleasesResource::snapshotView).orElse(null);
        if (running == null) {
            // a sync another replica runs: its row (its live counters stay on that replica)
            running = intake.runningRowElsewhere().map(ReleasesResource::recordView).orElse(null);
        }
        body.put("running", running);
        String replica = intake.replicaId();
        if (replica != null) {
            // which replica syncs (holds the releases.sync lease), and which one answers: for operators of replicas
            body.put("lease_holder", intake.leaseHolder());
            body.put("replica_id", replica);
        }
        List<SyncRecord> recent = store.syncs().recentSyncs(10);
        body.put("last", recent.isEmpty() ? null : recent.get(0));
        body.put("recent_syncs", recent);
        body.put("sources", intake.sources().stream().map(s -> Map.of("name", s.name(), "type", s.type())).toList());
        body.put("recent_rejections", store.syncs().events(null, "rejected", 50));
        body.put("recent_source_failures", store.syncs().events(null, "source_failed", 20));
        body.put("recent_skips", store.syncs().events(null, "skipped", 50));
        return ApiResponse.ok(body);
    }

    private static Map<String, Object> recordView(SyncRecord r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("triggered_by", r.triggeredBy());
        m.put("started_by", r.startedBy());
        m.put("started_at", r.startedAt());
        m.put("state", r.state());
        m.put("cached_count", r.cachedCount());
        m.put("rejected_count", r.rejectedCount());
        m.put("skipped_count", r.skippedCount());
        m.put("pruned_count", r.prunedCount());
        return m;
    }

    private static Map<String, Object> snapshotView(SyncRun.Snapshot s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", s.id());
        m.put("triggered_by", s.triggeredBy());
        m.put("started_by", s.startedBy());
        m.put("started_at", s.startedAt());
        m.put("state", s.state());
        m.put("cached_count", s.cachedCount());
        m.put("rejected_count", s.rejectedCount());
        m.put("skipped_count", s.skippedCount());
        m.put("pruned_count", s.prunedCount());
        m.put("skipped_reasons", new java.util.TreeMap<>(s.skippedReasons()));
        return m;
    }

    ApiResponse syncDetail(ApiRequest req) throws Exception {
        String id = req.pathParam("id");
        SyncRecord record = store.syncs().sync(id).orElseThrow(() -> ApiException.notFound("sync"));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("sync", intake.run(id).filter(SyncRun::isRunning).map(r -> (Object) snapshotView(r.snapshot())).orElse(record));
        body.put("events", store.syncs().events(id, null, 1000));
        return ApiResponse.ok(body);
    }

    /**
     * The sync's events as {@code text/event-stream}: every event so far, then each new one as it happens, until the
     * sync finishes. {@code Last-Event-ID} (sent by a reconnecting EventSource) continues after that event; a
     * finished sync with nothing left answers 204, which tells EventSource to stop reconnecting.
     */
    ApiResponse events(ApiRequest req) throws Exception {
        String id = req.pathParam("id");
        int from = req.header("Last-Event-ID").map(ReleasesResource::nextAfter).orElse(0);
        Optional<SyncRun> live = intake.run(id);
        if (live.isEmpty()) {
            SyncRecord record = store.syncs().sync(id).orElseThrow(() -> ApiException.notFound("sync"));
            if (from > 0) {
                return ApiResponse.noContent();
            }
            // a sync from before the last restart: only its outcome is known
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("sync_id", record.id());
            data.put("state", record.state());
            data.put("cached_count", record.cachedCount());
            data.put("rejected_count", record.rejectedCount());
            data.put("skipped_count", record.skippedCount());
            data.put("pruned_count", record.prunedCount());
            data.put("message", record.message());
            SyncRun.Event finished = new SyncRun.Event(0, "finished", data);
            return eventStream(out -> writeEvent(out, finished));
        }
        SyncRun run = live.get();
        if (!run.isRunning() && from >= run.snapshot().eventCount()) {
            return ApiResponse.noContent();
        }
        return ApiResponse.eventStream(sink -> follow(run, from, sink));
    }

    private static ApiResponse eventStream(ApiResponse.RawBody body) {
        return ApiResponse.raw(200, "text/event-stream;charset=utf-8", body)
                // reverse proxies (nginx) must pass events through as they come
                .header("X-Accel-Buffering", "no");
    }

    /**
     * Replays the run's events from {@code from} into the stream, then follows it until it finishes: the intake
     * thread hands each new event to the sink as it emits it, so no thread waits for events (the dispatcher's sink
     * sends keep-alive comments meanwhile).
     */
    static void follow(SyncRun run, int from, EventSink sink) {
        // tell EventSource how long to wait before reconnecting, then replay and follow
        sink.send("retry: 2000\n\n");
        Runnable stop = run.follow(from, new SyncRun.Follower() {
            @Override
            public void event(SyncRun.Event e) {
                sink.send(frame(e));
            }

            @Override
            public void ended() {
                sink.close();
            }
        });
        sink.onClose(stop);
    }

    private static String frame(SyncRun.Event e) {
        try {
            return "id: " + e.id() + "\nevent: " + e.name() + "\ndata: " + JSON.writeValueAsString(e.data()) + "\n\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException x) {
            throw new java.io.UncheckedIOException(x);
        }
    }

    private static void writeEvent(OutputStream out, SyncRun.Event e) throws IOException {
        String frame = "id: " + e.id() + "\nevent: " + e.name() + "\ndata: " + JSON.writeValueAsString(e.data()) + "\n\n";
        out.write(frame.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static int nextAfter(String lastEventId) {
        try {
            return Math.max(0, Integer.parseInt(lastEventId.trim()) + 1);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    // ---- manifests --------------------------------------------------------------------------------------------

    ApiResponse manifests(ApiRequest req) throws Exception {
        ArtifactFilter filter = filter(req, false);
        List<Map<String, Object>> items = store.manifests(filter).stream().map(ReleasesResource::manifestView).toList();
        return ApiResponse.ok(Map.of("manifests", items));
    }

    private static Map<String, Object> manifestView(ManifestEntry e) {
        Artifact a = e.artifact();
        SignedManifest m = e.manifest();
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("artifact_id", a.id());
        v.put("component", a.component());
        v.put("version", a.version());
        v.put("platform", a.platform());
        v.put("arch", a.arch());
        v.put("format", a.format());
        v.put("channel", a.channel());
        v.put("sha256", a.sha256());
        v.put("key_id", m.keyId());
        // the exact signed bytes (UTF-8 JSON), as a string: verify these bytes, never a re-serialization
        v.put("manifest", new String(m.manifest(), StandardCharsets.UTF_8));
        v.put("signature", m.signature());
        v.put("generated_at", m.generatedAt());
        v.put("expires_at", m.expiresAt());
        return v;
    }

    ApiResponse regenerate(ApiRequest req) throws Exception {
        ManifestService service = manifests;
        if (service == null) {
            throw new ApiException(503, "signer_unavailable", "no manifest signer is running: is the signing bundle active?");
        }
        int count = service.regenerateAll();
        String actor = req.requireCaller().name();
        store.database().inTransaction(c -> {
            audit.record(c, actor, "manifests.regenerate", "manifests", null, null, Map.of("regenerated_count", count));
            return null;
        });
        return ApiResponse.ok(Map.of("regenerated_count", count));
    }
}
