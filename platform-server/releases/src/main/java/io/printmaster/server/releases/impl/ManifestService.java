package io.printmaster.server.releases.impl;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.api.signing.SigningException;
import io.printmaster.api.version.SemanticVersion;
import io.printmaster.core.wire.ReleaseManifest;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.SignedManifest;
import io.printmaster.server.signing.api.CanonicalJson;
import io.printmaster.server.signing.api.ManifestSigner;
import io.printmaster.server.signing.api.Signature;
import io.printmaster.server.signing.api.SigningKey;
import io.printmaster.server.signing.api.SigningKeys;
import io.printmaster.store.ClusterLease;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signs one manifest per cached artifact: the fields of the design's section 4 as canonical JSON bytes, signed with
 * the active key through {@link ManifestSigner}; the bytes and the signature are stored as they are and served
 * unchanged. A job re-signs manifests before they expire, and at start signs artifacts cached while no signer was
 * running. See docs/manifests.md.
 *
 * <p>Across replicas on one database the job runs on one of them at a time, under lease {@value #LEASE}; a replica
 * that finds the lease taken tries again a third of the lease's ttl later (so what a sync on it cached is signed soon).
 */
@Component(service = ManifestService.class, configurationPid = ManifestService.PID)
@Designate(ocd = ManifestService.Config.class)
public class ManifestService {
    static final String PID = "io.printmaster.server.releases.manifests";
    static final String LEASE = "manifests.renewal";
    static final int MANIFEST_VERSION = ReleaseManifest.VERSION_1;
    private static final Logger LOG = LoggerFactory.getLogger(ManifestService.class);
    /** A rotation between reading the active key and signing is retried this many times. */
    private static final int SIGN_ATTEMPTS = 3;

    /** The longest validity a manifest may have: agents refuse longer ones (docs/manifests.md). */
    static final int MAX_VALIDITY_DAYS = 90;

    @ObjectClassDefinition(name = "PrintMaster release manifests",
            description = "Validity and renewal of the signed manifests of cached artifacts.")
    public @interface Config {
        @AttributeDefinition(description = "How long a signed manifest is valid, in days (expires_at), at most 90; agents refuse it afterwards.")
        int validity__days() default 30;

        @AttributeDefinition(description = "Manifests expiring within this many days are re-signed by the renewal job.")
        int renew__margin__days() default 7;

        @AttributeDefinition(description = "How often the renewal job looks for manifests to re-sign, in minutes.")
        int renew__check__minutes() default 60;

        @AttributeDefinition(description = "Seconds the replica running the renewal job holds the manifests.renewal "
                + "lease without renewing it (renewed every third of this while the job runs).")
        int lease__ttl__seconds() default 180;
    }

    private final ManifestSigner signer;
    private final SigningKeys keys;
    private final ReleaseStore store;
    /** The hot-swap fields of agent archives; null in tests that sign without an artifact cache. */
    private final AgentContents agentContents;
    private final Clock clock;
    private final ReentrantLock bulk = new ReentrantLock();
    private final ScheduledExecutorService scheduler;
    private final LeaseKeeper lease;
    /** A retry after the lease was found taken; guarded by this. */
    private ScheduledFuture<?> retry;
    private volatile Config config;
    private ScheduledFuture<?> renewal;

    @Activate
    public ManifestService(@Reference ManifestSigner signer, @Reference SigningKeys keys, @Reference ReleaseStore store,
                           @Reference AgentContents agentContents, @Reference ClusterLease lease, Config config) {
        this(signer, keys, store, agentContents, lease, config, Clock.systemUTC(), true);
    }

    /** Without hot-swap fields (tests of everything else). */
    ManifestService(ManifestSigner signer, SigningKeys keys, ReleaseStore store, Config config, Clock clock,
                    boolean schedule) {
        this(signer, keys, store, null, config, clock, schedule);
    }

    ManifestService(ManifestSigner signer, SigningKeys keys, ReleaseStore store, AgentContents agentContents,
                    Config config, Clock clock, boolean schedule) {
        this(signer, keys, store, agentContents, null, config, clock, schedule);
    }

    ManifestService(ManifestSigner signer, SigningKeys keys, ReleaseStore store, AgentContents agentContents,
                    ClusterLease lease, Config config, Clock clock, boolean schedule) {
        this.lease = new LeaseKeeper(lease, LEASE);
        this.signer = signer;
        this.keys = keys;
        this.store = store;
        this.agentContents = agentContents;
        this.clock = clock;
        this.config = validated(config);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pm-manifest-renewal");
            t.setDaemon(true);
            return t;
        });
        if (schedule) {
            scheduleRenewal(0);
        }
    }

    @Modified
    void modified(Config changed) {
        this.config = validated(changed);
        scheduleRenewal(0);
    }

    @Deactivate
    void stop() {
        scheduler.shutdownNow();
        lease.close();
    }

    private static Config validated(Config c) {
        if (c.validity__days() > MAX_VALIDITY_DAYS) {
            // agents refuse a manifest valid for longer, so signing one would only break every update
            throw new IllegalArgumentException(PID + ": validity_days is " + c.validity__days() + "; at most "
                    + MAX_VALIDITY_DAYS + " (agents refuse manifests valid longer)");
        }
        if (c.lease__ttl__seconds() < 3) {
            throw new IllegalArgumentException(PID + ": lease_ttl_seconds must be at least 3, not " + c.lease__ttl__seconds());
        }
        if (c.validity__days() < 1 || c.renew__margin__days() < 0 || c.renew__margin__days() >= c.validity__days()
                || c.renew__check__minutes() < 1) {
            throw new IllegalArgumentException(PID + ": need validity_days >= 1, 0 <= renew_margin_days < validity_days, "
                    + "renew_check_minutes >= 1");
        }
        return c;
    }

    private synchronized void scheduleRenewal(long initialDelayMinutes) {
        if (renewal != null) {
            renewal.cancel(false);
        }
        long period = config.renew__check__minutes();
        renewal = scheduler.scheduleWithFixedDelay(this::maintain, initialDelayMinutes, period, TimeUnit.MINUTES);
    }

    /**
     * Runs the renewal job once more, now, on its own thread. The intake asks for it when it binds this service and
     * after every sync: an artifact cached while no signer was bound (or whose signing failed) is then signed at once
     * instead of at the job's next period, an hour later by default.
     */
    void maintainSoon() {
        try {
            scheduler.execute(this::maintain);
        } catch (RejectedExecutionException stopping) {
            // the module is stopping; the next start signs what is missing
        }
    }

    /**
     * The renewal job under its lease: when another replica runs it now, this one looks again a third of the lease's
     * ttl later (what that replica's run did not see, such as an artifact a sync here just cached, is then signed).
     * Never throws.
     */
    void maintain() {
        Duration ttl = Duration.ofSeconds(config.lease__ttl__seconds());
        LeaseKeeper.Held held;
        try {
            held = lease.tryTake(ttl);
        } catch (SQLException | RuntimeException e) {
            LOG.warn("the manifest renewal job could not take its lease; it runs again in {} minutes: {}",
                    config.renew__check__minutes(), e.toString());
            return;
        }
        if (held == null) {
            retryLater(ttl.dividedBy(3));
            return;
        }
        try {
            maintainHeld();
        } finally {
            held.release();
        }
    }

    private synchronized void retryLater(Duration delay) {
        if (retry != null && !retry.isDone()) {
            return;
        }
        try {
            retry = scheduler.schedule(this::maintain, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopping) {
            // the module is stopping
        }
    }

    /** Whether the renewal job runs on another replica now. */
    boolean runningElsewhere() throws SQLException {
        return lease.heldElsewhere();
    }

    /** The renewal job: sign what has no manifest, re-sign what expires soon. Never throws. */
    private void maintainHeld() {
        try {
            int missing = signMissing();
            int renewed = renewExpiring();
            int resigned = resignRetired();
            if (missing + renewed + resigned > 0) {
                LOG.info("manifests: {} signed for the first time, {} renewed before expiry, {} re-signed with the active "
                        + "key", missing, renewed, resigned);
            }
        } catch (Exception e) {
            LOG.warn("the manifest renewal job failed; it runs again in {} minutes: {}", config.renew__check__minutes(), e.toString());
        }
    }

    /** Signs (or re-signs) the manifest of an artifact whose version has release counter {@code counter}. */
    SignedManifest sign(Artifact artifact, long counter) throws SigningException, SQLException {
        SignedManifest manifest = signed(artifact, counter, null);
        store.saveManifest(manifest);
        return manifest;
    }

    /**
     * A manifest of {@code artifact} signed now with the active key, not stored: the artifact's own, or with
     * {@code rolloutId} a rollback manifest bound to that rollout.
     */
    private SignedManifest signed(Artifact artifact, long counter, String rolloutId) throws SigningException, SQLException {
        Instant generatedAt = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant expiresAt = generatedAt.plus(Duration.ofDays(config.validity__days()));
        Optional<AgentContents.HotSwapFields> hotSwap = agentContents == null ? Optional.empty()
                : agentContents.manifestFields(artifact);
        for (int attempt = 1; ; attempt++) {
            String keyId = keys.active().id();
            byte[] bytes = manifestBytes(artifact, counter, generatedAt, expiresAt, keyId, hotSwap, rolloutId);
            Signature signature = signer.sign(bytes);
            if (keyId.equals(signature.keyId())) {
                return new SignedManifest(artifact.id(), keyId, bytes,
                        Base64.getEncoder().encodeToString(signature.value()), generatedAt, expiresAt);
            }
            if (attempt >= SIGN_ATTEMPTS) {
                throw new SigningException("the active signing key kept changing while signing (last: " + keyId + " then "
                        + signature.keyId() + ")");
            }
        }
    }

    // ---- rollback manifests ------------------------------------------------------------------------------------

    /** What a rollout id may be: what the rollouts bundle makes ({@code rol_…}) and nothing that needs escaping. */
    private static final Pattern ROLLOUT_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    /**
     * The rollback manifest of an artifact for one rollout (docs/manifests.md, "Rollback manifests"): the stored one
     * while the active key signed it and it does not expire within the renewal margin, else signed now with the same
     * release counter (the first time with a counter above every counter the component has had).
     *
     * @return empty when the artifact is not recorded, or when nothing may sign now (the reason is logged)
     * @throws IllegalArgumentException when {@code rolloutId} is not 1 to 64 of {@code [A-Za-z0-9_-]}
     */
    Optional<SignedManifest> downgradeManifest(long artifactId, String rolloutId) throws SQLException {
        if (rolloutId == null || !ROLLOUT_ID.matcher(rolloutId).matches()) {
            throw new IllegalArgumentException("rolloutId: 1 to 64 of A-Z, a-z, 0-9, '_' and '-', got "
                    + (rolloutId == null ? "none" : "'" + abbreviated(rolloutId) + "'"));
        }
        Optional<Artifact> artifact = store.artifact(artifactId);
        if (artifact.isEmpty()) {
            return Optional.empty();
        }
        Optional<ReleaseStore.RollbackEntry> stored = store.rollbackManifest(artifactId, rolloutId);
        SigningKey active;
        try {
            active = keys.active();
        } catch (SigningException e) {
            LOG.warn("no rollback manifest of {} for rollout {}: no signing key is available: {}", describe(artifact.get()),
                    rolloutId, e.getMessage());
            return Optional.empty();
        }
        Instant now = clock.instant();
        if (!maySign(active, now)) {
            LOG.warn("no rollback manifest of {} for rollout {}: the root's delegation of the active signing key {} "
                    + "expired at {}", describe(artifact.get()), rolloutId, active.id(), active.delegatedUntil());
            return Optional.empty();
        }
        if (stored.isPresent() && stillServable(stored.get().manifest(), active, now)) {
            return Optional.of(stored.get().manifest());
        }
        try {
            if (stored.isPresent()) {
                return Optional.of(resignRollback(stored.get()));
            }
            long counter = store.reserveRollbackCounter(artifact.get(), rolloutId, now);
            SignedManifest manifest = signed(artifact.get(), counter, rolloutId);
            SignedManifest kept = store.insertRollbackManifest(rolloutId, counter, manifest);
            if (kept == manifest) {
                LOG.info("signed the rollback manifest of {} for rollout {}: release counter {}, key {}",
                        describe(artifact.get()), rolloutId, counter, manifest.keyId());
            }
            return Optional.of(kept);
        } catch (SigningException e) {
            LOG.warn("no rollback manifest of {} for rollout {}: signing failed: {}", describe(artifact.get()), rolloutId,
                    e.getMessage());
            return Optional.empty();
        }
    }

    /** False when a root's delegation of the key has run out: agents under the root refuse what it signs. */
    private static boolean maySign(SigningKey key, Instant now) {
        return key.delegatedUntil() == null || now.isBefore(key.delegatedUntil());
    }

    /** Signed by the active key and not expiring within the renewal margin: what the renewal job would leave alone. */
    private boolean stillServable(SignedManifest m, SigningKey active, Instant now) {
        return m.keyId().equals(active.id())
                && m.expiresAt().isAfter(now.plus(Duration.ofDays(config.renew__margin__days())));
    }

    /** Re-signs a stored rollback manifest with the active key and its own counter, and stores it. */
    private SignedManifest resignRollback(ReleaseStore.RollbackEntry entry) throws SigningException, SQLException {
        SignedManifest manifest = signed(entry.artifact(), entry.counter(), entry.rolloutId());
        store.updateRollbackManifest(entry.rolloutId(), manifest);
        return manifest;
    }

    private int resignRollbacks(List<ReleaseStore.RollbackEntry> entries) throws SigningException, SQLException {
        for (ReleaseStore.RollbackEntry e : entries) {
            resignRollback(e);
        }
        return entries.size();
    }

    private static String describe(Artifact a) {
        return a.component() + " " + a.version() + " " + a.platform() + "-" + a.arch() + " (" + a.format() + ", artifact "
                + a.id() + ")";
    }

    private static String abbreviated(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "…";
    }

    /** Signs an artifact's manifest with its version's release counter. */
    SignedManifest sign(Artifact artifact) throws SigningException, SQLException {
        long counter = store.releaseCounter(artifact.component(), artifact.version())
                .orElseThrow(() -> new SQLException("artifact " + artifact.id() + " has no release counter"));
        return sign(artifact, counter);
    }

    /** Re-signs every artifact's manifest and every rollback manifest with the active key; returns how many. */
    int regenerateAll() throws SigningException, SQLException {
        bulk.lock();
        try {
            List<Artifact> all = store.artifacts(io.printmaster.server.releases.api.ReleaseCatalog.ArtifactFilter.ALL);
            for (Artifact a : all) {
                sign(a);
            }
            return all.size() + resignRollbacks(store.rollbackManifests());
        } finally {
            bulk.unlock();
        }
    }

    /**
     * Re-signs the manifests (rollback manifests too, with their own counters) that expire within the renewal
     * margin; returns how many.
     */
    int renewExpiring() throws SigningException, SQLException {
        bulk.lock();
        try {
            Instant limit = clock.instant().plus(Duration.ofDays(config.renew__margin__days()));
            List<Artifact> due = store.artifactsWithManifestExpiringBefore(limit);
            for (Artifact a : due) {
                sign(a);
            }
            return due.size() + resignRollbacks(store.rollbackManifestsExpiringBefore(limit));
        } finally {
            bulk.unlock();
        }
    }

    /**
     * Re-signs with the active key the manifests another key signed: agents that follow the trust statements refuse a
     * retired or revoked key's manifest, so none may stay on offer (a rotation re-signs at once; this catches a
     * server stopped in between). Rollback manifests too: a rotation must not strand them. Returns how many.
     */
    int resignRetired() throws SigningException, SQLException {
        bulk.lock();
        try {
            String active = keys.active().id();
            List<Artifact> stale = store.artifactsWithManifestNotSignedBy(active);
            for (Artifact a : stale) {
                sign(a);
            }
            return stale.size() + resignRollbacks(store.rollbackManifestsNotSignedBy(active));
        } finally {
            bulk.unlock();
        }
    }

    /** Signs the artifacts that have no manifest yet; returns how many. */
    int signMissing() throws SigningException, SQLException {
        bulk.lock();
        try {
            List<Artifact> missing = store.artifactsWithoutManifest();
            for (Artifact a : missing) {
                sign(a);
            }
            return missing.size();
        } finally {
            bulk.unlock();
        }
    }

    /**
     * The canonical JSON bytes of an artifact's manifest (see {@link CanonicalJson}): the {@link ReleaseManifest} of
     * the wire contract, members sorted by name. {@code bundles} stays empty unless {@code hotSwap} (what
     * {@link AgentContents#manifestFields} finds in an agent archive) says otherwise; {@code runtime_sha256} and
     * {@code restart_required} are only in an agent archive's manifest.
     */
    static byte[] manifestBytes(Artifact a, long counter, Instant generatedAt, Instant expiresAt, String keyId) {
        return manifestBytes(a, counter, generatedAt, expiresAt, keyId, Optional.empty());
    }

    static byte[] manifestBytes(Artifact a, long counter, Instant generatedAt, Instant expiresAt, String keyId,
                                Optional<AgentContents.HotSwapFields> hotSwap) {
        return manifestBytes(a, counter, generatedAt, expiresAt, keyId, hotSwap, null);
    }

    /**
     * The canonical JSON bytes of a manifest: the artifact's, as above, and when {@code rolloutId} is not null a
     * rollback manifest's, which adds {@code "downgrade":true} and {@code "rollout_id"} (docs/manifests.md,
     * "Rollback manifests").
     */
    static byte[] manifestBytes(Artifact a, long counter, Instant generatedAt, Instant expiresAt, String keyId,
                                Optional<AgentContents.HotSwapFields> hotSwap, String rolloutId) {
        ReleaseManifest m = new ReleaseManifest(ReleaseManifest.VERSION_1, a.component(), a.version(),
                SemanticVersion.tryParse(a.version()).map(SemanticVersion::minorLine).orElse(null), a.platform(),
                a.arch(), a.channel(), a.format(), a.sha256(), a.sizeBytes(), a.upstreamUrl(),
                a.publishedAt() == null ? null : a.publishedAt().truncatedTo(ChronoUnit.SECONDS).toString(),
                generatedAt.toString(), expiresAt.toString(), counter,
                hotSwap.map(AgentContents.HotSwapFields::bundles).orElse(List.of()), keyId,
                hotSwap.map(AgentContents.HotSwapFields::runtimeSha256).orElse(null),
                hotSwap.map(AgentContents.HotSwapFields::restartRequired).orElse(null),
                rolloutId == null ? null : Boolean.TRUE, rolloutId);
        return CanonicalJson.bytes(WIRE.convertValue(m, new TypeReference<Map<String, Object>>() { }));
    }

    /** Turns the wire record into the plain map {@link CanonicalJson} signs (the record's explicit wire names). */
    private static final ObjectMapper WIRE = new ObjectMapper();
}
