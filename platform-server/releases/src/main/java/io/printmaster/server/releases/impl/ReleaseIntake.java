package io.printmaster.server.releases.impl;

import io.printmaster.api.release.ReleaseSource;
import io.printmaster.server.notifications.api.ServerEvents;
import io.printmaster.server.releases.impl.IntakeRun.SourceRef;
import io.printmaster.store.ClusterLease;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs release syncs, one at a time, on its own thread: every {@code interval_minutes}, on request
 * ({@code POST /api/v1/releases/sync}) and shortly after a release source arrives. Sources are the dynamic whiteboard
 * of {@link ReleaseSource} services; each sync works on a copy of the list taken when it starts. The last syncs stay in
 * memory so their event streams can be replayed.
 *
 * <p>Across replicas on one database a sync runs on one of them at a time: the replica starting one takes the
 * {@value #LEASE} lease ({@link io.printmaster.store.ClusterLease}) and renews it while the sync runs; a sync asked of
 * another replica meanwhile answers the running one ("already running", from its row); see {@link SyncReplicas}. A
 * sync left {@code running} by a replica that died is marked failed by the next replica that takes the lease, never
 * while its holder lives.
 */
@Component(service = ReleaseIntake.class, configurationPid = ReleaseIntake.PID)
@Designate(ocd = ReleaseIntake.Config.class)
public class ReleaseIntake {
    static final String PID = "io.printmaster.server.releases.intake";
    /** The lease a replica holds while it syncs. */
    static final String LEASE = SyncReplicas.LEASE;
    private static final Logger LOG = LoggerFactory.getLogger(ReleaseIntake.class);
    /** Finished syncs whose events stay replayable. */
    private static final int KEEP_RUNS = 10;
    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss").withZone(ZoneOffset.UTC);

    @ObjectClassDefinition(name = "PrintMaster release intake",
            description = "When releases are pulled from the release sources, and what is accepted.")
    public @interface Config {
        @AttributeDefinition(description = "Minutes between scheduled syncs.")
        int interval__minutes() default 60;

        @AttributeDefinition(description = "Versions kept per component and channel; older ones and their files are deleted.")
        int keep__versions() default 5;

        @AttributeDefinition(description = "Largest asset accepted, in bytes; larger ones are refused (SIZE_LIMIT).")
        long max__asset__bytes() default 2L * 1024 * 1024 * 1024;

        @AttributeDefinition(description = "Seconds without a byte before a download is abandoned (TIMEOUT); it resumes at the next sync.")
        int idle__timeout__seconds() default 60;

        @AttributeDefinition(description = "Longest download of one asset, in minutes (TIMEOUT).")
        int asset__timeout__minutes() default 60;

        @AttributeDefinition(description = "Minimum average rate of an asset download, in bytes per second, counted "
                + "after rate_grace_seconds: a source that trickles is cut off (TIMEOUT) at rate_grace_seconds + "
                + "size / rate instead of holding the sync (0: no minimum).")
        long min__rate__bytes__per__second() default 4096;

        @AttributeDefinition(description = "Seconds an asset download may take before the minimum rate counts.")
        int rate__grace__seconds() default 30;

        @AttributeDefinition(description = "Longest wait, in seconds, for one source's listing: sources are listed "
                + "at the same time, and one that has not finished by then is reported failed for this sync.")
        int listing__timeout__seconds() default 300;

        @AttributeDefinition(description = "Most pages of releases read from one source in one sync.")
        int max__pages() default 20;

        @AttributeDefinition(description = "Seconds to wait after a release source appears before syncing, so several "
                + "sources arriving together share one sync.")
        int source__settle__seconds() default 2;

        @AttributeDefinition(description = "Seconds the replica running a sync holds the releases.sync lease without "
                + "renewing it (it renews every third of this): when that replica dies, another one may sync after this long.")
        int lease__ttl__seconds() default 90;
    }

    private record Bound(ReleaseSource source, Map<String, Object> properties) {
    }

    private final ReleaseStore store;
    private final ArtifactCache cache;
    private final Clock clock;
    private final SyncReplicas replicas;
    private final List<Bound> sources = new CopyOnWriteArrayList<>();
    private final Map<String, SyncRun> runs = new LinkedHashMap<>();
    private final SecureRandom random = new SecureRandom();
    private volatile ManifestService manifests;
    /** The server's event bus, when the notifications bundle runs: told of sync progress and new releases. */
    private volatile ServerEvents events;
    private volatile Config config;
    private ScheduledExecutorService executor;
    private ScheduledFuture<?> periodic;
    private ScheduledFuture<?> settling;
    /** Which settle {@link #settling} is; guarded by this. */
    private long settleGeneration;
    private SyncRun current;

    @Activate
    public ReleaseIntake(@Reference ReleaseStore store, @Reference ArtifactCache cache, @Reference ClusterLease lease,
                         Config config) throws SQLException {
        this(store, cache, lease, config, Clock.systemUTC());
    }

    /** A process alone on its database (tests). */
    ReleaseIntake(ReleaseStore store, ArtifactCache cache, Config config, Clock clock) throws SQLException {
        this(store, cache, null, config, clock);
    }

    ReleaseIntake(ReleaseStore store, ArtifactCache cache, ClusterLease lease, Config config, Clock clock) throws SQLException {
        this.store = store;
        this.cache = cache;
        this.clock = clock;
        this.replicas = new SyncReplicas(store, lease);
        this.config = validated(config);
        if (!replicas.heldElsewhere()) {
            // nobody syncs now: a "running" row is a sync whose replica stopped mid-way
            store.syncs().abandonRunningSyncs(clock.instant());
        }
        synchronized (this) {
            executor = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "pm-release-intake");
                t.setDaemon(true);
                return t;
            });
            schedulePeriodic();
            if (!sources.isEmpty()) {
                settle();
            }
        }
    }

    @Modified
    synchronized void modified(Config changed) {
        this.config = validated(changed);
        schedulePeriodic();
    }

    @Deactivate
    void stop() {
        ScheduledExecutorService stopping;
        synchronized (this) {
            stopping = executor;
            stopping.shutdownNow();
        }
        replicas.close();
        // waited for outside the monitor: the sync's last steps (catchUp, settled) take it before they end
        try {
            if (!stopping.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("the release sync did not stop within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Config validated(Config c) {
        if (c.interval__minutes() < 1 || c.keep__versions() < 1 || c.max__asset__bytes() < 1 || c.idle__timeout__seconds() < 1
                || c.asset__timeout__minutes() < 1 || c.max__pages() < 1 || c.source__settle__seconds() < 0) {
            throw new IllegalArgumentException(PID + ": interval_minutes, keep_versions, max_asset_bytes, "
                    + "idle_timeout_seconds, asset_timeout_minutes and max_pages must be at least 1");
        }
        if (c.min__rate__bytes__per__second() < 0) {
            throw new IllegalArgumentException(PID + ": min_rate_bytes_per_second must be at least 0, not "
                    + c.min__rate__bytes__per__second());
        }
        if (c.listing__timeout__seconds() < 1) {
            throw new IllegalArgumentException(PID + ": listing_timeout_seconds must be at least 1, not "
                    + c.listing__timeout__seconds());
        }
        if (c.lease__ttl__seconds() < 3) {
            throw new IllegalArgumentException(PID + ": lease_ttl_seconds must be at least 3, not " + c.lease__ttl__seconds());
        }
        if (c.rate__grace__seconds() < 0) {
            throw new IllegalArgumentException(PID + ": rate_grace_seconds must be at least 0, not "
                    + c.rate__grace__seconds());
        }
        return c;
    }

    // ---- the whiteboard ---------------------------------------------------------------------------------------

    @Reference(service = ReleaseSource.class, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addSource(ReleaseSource source, Map<String, Object> properties) {
        sources.add(new Bound(source, Map.copyOf(properties)));
        LOG.info("release source '{}' ({}) is available", name(properties), type(properties));
        synchronized (this) {
            if (executor != null) {
                settle();
            }
        }
    }

    void removeSource(ReleaseSource source, Map<String, Object> properties) {
        sources.removeIf(b -> b.source() == source);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setManifests(ManifestService service) {
        this.manifests = service;
        // what a sync cached before this moment (its run started without a signer) is signed now, not in an hour
        service.maintainSoon();
    }

    void unsetManifests(ManifestService service) {
        if (this.manifests == service) {
            this.manifests = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setEvents(ServerEvents bus) {
        this.events = bus;
    }

    void unsetEvents(ServerEvents bus) {
        if (this.events == bus) {
            this.events = null;
        }
    }

    /** The sources bound now, by name. */
    List<SourceRef> sources() {
        List<SourceRef> refs = new ArrayList<>();
        for (Bound b : List.copyOf(sources)) {
            refs.add(new SourceRef(name(b.properties()), type(b.properties()), b.source()));
        }
        refs.sort(Comparator.comparing(SourceRef::name));
        return refs;
    }

    /** The configuration name of a source ({@code name}), else its PID, else its type and service id. */
    static String name(Map<String, Object> p) {
        Object name = p.get("name");
        if (name instanceof String s && !s.isBlank()) {
            return s;
        }
        Object pid = p.get(Constants.SERVICE_PID);
        if (pid instanceof String s && !s.isBlank()) {
            return s;
        }
        return type(p) + "-" + p.get(Constants.SERVICE_ID);
    }

    static String type(Map<String, Object> p) {
        Object type = p.get(ReleaseSource.TYPE);
        return type instanceof String s ? s : "unknown";
    }

    // ---- syncs ------------------------------------------------------------------------------------------------

    /** The answer to a sync request: the sync that runs now, and whether it was already running. */
    record Started(SyncRun run, boolean alreadyRunning) {
    }

    /**
     * Starts a sync unless one is running, in which case that one is answered.
     *
     * @param trigger {@code api}, {@code schedule} or {@code source}
     * @param actor   who asked (a user or token name, or {@code system})
     */
    synchronized Started startSync(String trigger, String actor) throws SQLException {
        if (current != null && current.isRunning()) {
            return new Started(current, true);
        }
        SyncReplicas.Claim claim = replicas.claim(Duration.ofSeconds(config.lease__ttl__seconds()));
        if (claim.elsewhere() != null) {
            return new Started(claim.elsewhere(), true);
        }
        LeaseKeeper.Held held = claim.held();
        try {
            return startHeld(trigger, actor, held);
        } catch (SQLException | RuntimeException e) {
            held.release();
            throw e;
        }
    }

    /** The row of the sync another live replica runs now, if any. */
    Optional<SyncHistory.SyncRecord> runningRowElsewhere() throws SQLException {
        return replicas.runningRowElsewhere();
    }

    /** This replica's identity among the replicas (null when alone), and the one holding the sync lease now. */
    String replicaId() {
        return replicas.replicaId();
    }

    String leaseHolder() throws SQLException {
        return replicas.holder();
    }

    private Started startHeld(String trigger, String actor, LeaseKeeper.Held held) throws SQLException {
        // the lease is ours: no other replica syncs, so a row still "running" belongs to one that died mid-way
        store.syncs().abandonRunningSyncs(clock.instant());
        if (settling != null) {
            // the sync starting now sees every source bound so far: a pending "new source" sync would repeat it
            settling.cancel(false);
            settling = null;
        }
        Instant now = clock.instant();
        SyncRun run = new SyncRun("sync-" + ID_TIME.format(now) + "-" + HexFormat.of().formatHex(randomBytes()),
                trigger, actor, now);
        store.syncs().startSync(new SyncHistory.SyncRecord(run.id(), trigger, actor, now, null, SyncRun.RUNNING, 0, 0, 0, 0, null));
        List<SourceRef> snapshot = sources();
        Config c = config;
        IntakeRun.Settings settings = new IntakeRun.Settings(c.keep__versions(), c.max__asset__bytes(),
                Duration.ofSeconds(c.idle__timeout__seconds()), Duration.ofMinutes(c.asset__timeout__minutes()), c.max__pages(),
                c.min__rate__bytes__per__second(), Duration.ofSeconds(c.rate__grace__seconds()),
                Duration.ofSeconds(c.listing__timeout__seconds()));
        IntakeRun intake = new IntakeRun(run, snapshot, store, cache, manifests, settings, clock);
        SyncNotifications notifications = new SyncNotifications(run, () -> events, clock);
        run.follow(0, notifications);
        current = run;
        remember(run);
        try {
            executor.execute(() -> {
                try {
                    intake.execute();
                } finally {
                    held.release();
                }
                publishCachedReleases(notifications);
                signWhatIsMissing();
                catchUp(run, snapshot);
            });
        } catch (RejectedExecutionException e) {
            held.release();
            run.finish(SyncRun.FAILED, "the release module is stopping");
            store.syncs().finishSync(new SyncHistory.SyncRecord(run.id(), trigger, actor, now, clock.instant(), SyncRun.FAILED,
                    0, 0, 0, 0, "the release module is stopping"));
            throw new IllegalStateException("the release module is stopping", e);
        }
        LOG.info("release sync {} started ({} by {}; sources: {})", run.id(), trigger, actor,
                snapshot.stream().map(SourceRef::name).toList());
        return new Started(run, false);
    }

    /**
     * After a sync: a run started before the signer was bound, or whose signing of an asset failed, left artifacts
     * without a manifest; the renewal job signs them now.
     */
    private void signWhatIsMissing() {
        ManifestService bound = manifests;
        if (bound != null) {
            bound.maintainSoon();
        }
    }

    private void publishCachedReleases(SyncNotifications notifications) {
        try {
            notifications.publishCachedReleases(store);
        } catch (SQLException | RuntimeException e) {
            LOG.warn("the releases this sync cached could not be announced: {}", e.toString());
        }
    }

    /** A sync still in memory (the current one or one of the last few). */
    synchronized Optional<SyncRun> run(String id) {
        return Optional.ofNullable(runs.get(id));
    }

    /** The sync running now, if any. */
    synchronized Optional<SyncRun> running() {
        return current != null && current.isRunning() ? Optional.of(current) : Optional.empty();
    }

    private void remember(SyncRun run) {
        runs.put(run.id(), run);
        while (runs.size() > KEEP_RUNS) {
            String oldest = runs.keySet().iterator().next();
            if (runs.get(oldest).isRunning()) {
                break;
            }
            runs.remove(oldest);
        }
    }

    private byte[] randomBytes() {
        byte[] b = new byte[4];
        random.nextBytes(b);
        return b;
    }

    private void schedulePeriodic() {
        if (periodic != null) {
            periodic.cancel(false);
        }
        long minutes = config.interval__minutes();
        periodic = executor.scheduleWithFixedDelay(() -> trigger("schedule"), minutes, minutes, TimeUnit.MINUTES);
    }

    /** A sync a moment from now, so that sources arriving together share it. */
    private void settle() {
        if (settling != null && !settling.isDone()) {
            return;
        }
        long generation = ++settleGeneration;
        settling = executor.schedule(() -> settled(generation), config.source__settle__seconds(), TimeUnit.SECONDS);
    }

    /** The settle delay is over: a source arriving from now on schedules its own sync. */
    private void settled(long generation) {
        synchronized (this) {
            if (generation == settleGeneration) { // a newer settle (scheduled since) stays cancellable
                settling = null;
            }
        }
        trigger("source");
    }

    /**
     * After a sync: a source bound now that the sync did not list (it arrived, or came back, while the sync ran) gets
     * a sync of its own, so no source waits for the next scheduled one whatever the timing of its arrival.
     */
    private void catchUp(SyncRun finished, List<SourceRef> synced) {
        List<ReleaseSource> listed = synced.stream().map(SourceRef::source).toList();
        boolean missed = sources.stream().anyMatch(b -> listed.stream().noneMatch(s -> s == b.source()));
        if (missed) {
            synchronized (this) {
                // a sync started since (an admin's, queued behind this one) took its own copy of the sources
                if (!executor.isShutdown() && current == finished) {
                    settle();
                }
            }
        }
    }

    /** Whether any replica started a sync within the last half interval. */
    private boolean syncedRecently() {
        try {
            Instant since = clock.instant().minus(Duration.ofMinutes(config.interval__minutes()).dividedBy(2));
            return store.syncs().recentSyncs(1).stream().anyMatch(r -> r.startedAt().isAfter(since));
        } catch (SQLException e) {
            return false;
        }
    }

    /** Runs on the intake thread, so the sync it starts runs right after it. */
    private void trigger(String why) {
        if (sources.isEmpty()) {
            return; // nothing to pull; an admin's sync request still runs (it applies retention)
        }
        if ("schedule".equals(why) && syncedRecently()) {
            return; // another replica's schedule ran it: one scheduled sync per interval across the replicas
        }
        try {
            startSync(why, "system");
        } catch (SQLException | RuntimeException e) {
            LOG.warn("cannot start a {} release sync: {}", why, e.toString());
        }
    }
}
