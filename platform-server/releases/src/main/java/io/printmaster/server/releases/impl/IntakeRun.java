package io.printmaster.server.releases.impl;

import io.printmaster.api.release.Checksum;
import io.printmaster.api.release.Refusal;
import io.printmaster.api.release.Release;
import io.printmaster.api.release.ReleaseAsset;
import io.printmaster.api.release.ReleasePage;
import io.printmaster.api.release.ReleaseSource;
import io.printmaster.api.release.ReleaseSourceException;
import io.printmaster.api.release.Skipped;
import io.printmaster.api.version.SemanticVersion;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.RejectReason;
import io.printmaster.server.releases.impl.SyncHistory.IntakeEvent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One sync over a fixed set of sources: list each source's releases (newest first, until a page holds nothing
 * new), pick the assets that retention would keep, download each into the cache verified against its upstream
 * checksum, record it, sign its manifest, then apply retention. Every asset ends as cached, already known or
 * rejected with a reason; all of it is emitted as events and the outcomes recorded in the intake history.
 *
 * <p>New versions are processed in ascending version order, so within a sync release counters follow version order.
 */
final class IntakeRun {
    private static final Logger LOG = LoggerFactory.getLogger(IntakeRun.class);
    /** Progress events at most this often per asset. */
    private static final long PROGRESS_INTERVAL_NANOS = Duration.ofMillis(200).toNanos();
    /**
     * Skipped entries reported one by one per sync (events and history rows); beyond, they are only counted. A
     * repository with hundreds of unrelated tags must not flood the history at every sync.
     */
    static final int MAX_SKIPPED_REPORTED = 200;

    /** A source as the intake sees it: its configured name and type, and the service. */
    record SourceRef(String name, String type, ReleaseSource source) {
    }

    /**
     * @param keepVersions  versions kept per component and channel
     * @param maxAssetBytes the largest asset accepted
     * @param idleTimeout   longest wait for the next bytes of an asset
     * @param assetTimeout  longest download of one asset
     * @param maxPages      most release pages read per source and sync
     * @param minBytesPerSecond the minimum average rate of an asset download after {@code rateGrace} (0: none)
     * @param rateGrace     how long an asset download may take before the rate counts
     * @param listingTimeout longest wait for one source's listing (all its pages); the sources are listed at the
     *                      same time, so a slow one delays the sync by at most this, whatever the others do
     */
    record Settings(int keepVersions, long maxAssetBytes, Duration idleTimeout, Duration assetTimeout, int maxPages,
                    long minBytesPerSecond, Duration rateGrace, Duration listingTimeout) {
        Settings(int keepVersions, long maxAssetBytes, Duration idleTimeout, Duration assetTimeout, int maxPages) {
            this(keepVersions, maxAssetBytes, idleTimeout, assetTimeout, maxPages, 0, Duration.ZERO,
                    Duration.ofMinutes(5));
        }
    }

    /** What fetching one source's pages gave: the pages read, and the failure that ended the listing, if any. */
    private record Listing(List<ReleasePage> pages, String failure) {
    }

    /** The most sources listed at the same time. */
    static final int LISTING_THREADS = 8;

    private final SyncRun run;
    private final List<SourceRef> sources;
    private final ReleaseStore store;
    private final ArtifactCache cache;
    private final ManifestService manifests;
    private final Settings settings;
    private final Clock clock;
    private int skippedReported;

    /** @param manifests null while no signer is available: artifacts are cached and signed once one is */
    IntakeRun(SyncRun run, List<SourceRef> sources, ReleaseStore store, ArtifactCache cache, ManifestService manifests,
              Settings settings, Clock clock) {
        this.run = run;
        this.sources = List.copyOf(sources);
        this.store = store;
        this.cache = cache;
        this.manifests = manifests;
        this.settings = settings;
        this.clock = clock;
    }

    /** An asset found in a listing, with what identifies its artifact. */
    private record Candidate(SourceRef source, Release release, ReleaseAsset asset, Identity identity,
                             SemanticVersion version) {
    }

    /** Component, version, platform, arch, format: the artifact's unique key. */
    record Identity(String component, String version, String platform, String arch, String format) {
        static Identity of(ReleaseAsset a) {
            return new Identity(a.component().value(), a.version().toString(),
                    a.platform().map(p -> p.os().wireName()).orElse(Artifact.ANY),
                    a.platform().map(p -> p.arch().wireName()).orElse(Artifact.ANY), a.format());
        }

        static Identity of(Artifact a) {
            return new Identity(a.component(), a.version(), a.platform(), a.arch(), a.format());
        }
    }

    /** Runs the sync to its end; never throws (failures become events and the final state). */
    void execute() {
        String finalState = SyncRun.FINISHED;
        String message = null;
        try {
            run.emit("started", SyncEvents.started(run, sources.stream().map(SourceRef::name).toList()));
            Map<Identity, Artifact> recorded = new HashMap<>();
            for (Artifact a : store.artifacts(io.printmaster.server.releases.api.ReleaseCatalog.ArtifactFilter.ALL)) {
                recorded.put(Identity.of(a), a);
            }
            List<Candidate> candidates = new ArrayList<>();
            for (Map.Entry<SourceRef, Listing> listed : fetchAll(recorded).entrySet()) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new InterruptedException();
                }
                candidates.addAll(list(listed.getKey(), listed.getValue(), recorded));
            }
            List<Candidate> chosen = retained(candidates, recorded);
            run.countSkipped(SyncRun.BEYOND_KEPT_VERSIONS, candidates.size() - chosen.size());
            for (Candidate c : chosen) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new InterruptedException();
                }
                take(c, recorded);
            }
            prune();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            finalState = SyncRun.FAILED;
            message = "the sync was stopped (the server or the release module is shutting down)";
        } catch (SQLException | RuntimeException e) {
            LOG.error("release sync {} failed", run.id(), e);
            finalState = SyncRun.FAILED;
            message = "the sync failed: " + e.getMessage();
        } finally {
            SyncRun.Snapshot s = run.snapshot();
            try {
                store.syncs().finishSync(new SyncHistory.SyncRecord(run.id(), run.triggeredBy(), run.startedBy(), run.startedAt(),
                        clock.instant(), finalState, s.cachedCount(), s.rejectedCount(), s.skippedCount(),
                        s.prunedCount(), message));
            } catch (SQLException | RuntimeException e) {
                LOG.warn("cannot record the end of release sync {}: {}", run.id(), e.toString());
            }
            run.finish(finalState, message);
        }
    }

    /**
     * Every source's pages, fetched at the same time (one thread per source, at most {@link #LISTING_THREADS}), each
     * waited for at most {@code listingTimeout} from the start: a source that trickles or hangs holds the sync that
     * long and no longer, and the other sources' listings are not queued behind it. Only the network work runs on
     * those threads; what the pages say is reported on the sync's thread, source by source, in order.
     */
    private Map<SourceRef, Listing> fetchAll(Map<Identity, Artifact> recorded) throws InterruptedException {
        Map<SourceRef, Listing> out = new LinkedHashMap<>();
        if (sources.isEmpty()) {
            return out;
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(
                Math.min(LISTING_THREADS, sources.size()), r -> {
                    Thread t = new Thread(r, "pm-release-listing-" + run.id());
                    t.setDaemon(true);
                    return t;
                });
        try {
            Map<SourceRef, java.util.concurrent.Future<Listing>> pending = new LinkedHashMap<>();
            for (SourceRef source : sources) {
                pending.put(source, pool.submit(() -> fetch(source, recorded)));
            }
            long deadline = System.nanoTime() + settings.listingTimeout().toNanos();
            for (Map.Entry<SourceRef, java.util.concurrent.Future<Listing>> p : pending.entrySet()) {
                Listing listing;
                try {
                    listing = p.getValue().get(Math.max(0, deadline - System.nanoTime()),
                            java.util.concurrent.TimeUnit.NANOSECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    p.getValue().cancel(true); // interrupts its reads; the next sync asks again
                    listing = new Listing(List.of(), "its listing took longer than "
                            + settings.listingTimeout().toSeconds() + " s (listing_timeout_seconds); the sync went on "
                            + "without it");
                } catch (java.util.concurrent.ExecutionException e) {
                    listing = new Listing(List.of(), String.valueOf(e.getCause()));
                }
                out.put(p.getKey(), listing);
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    /** One source's pages, newest releases first, until one holds nothing new. Network only: no events here. */
    private Listing fetch(SourceRef source, Map<Identity, Artifact> recorded) {
        List<ReleasePage> pages = new ArrayList<>();
        Optional<String> token = Optional.empty();
        try {
            do {
                ReleasePage page = source.source().releases(token);
                pages.add(page);
                boolean anythingNew = false;
                for (Release release : page.releases()) {
                    for (ReleaseAsset asset : release.assets()) {
                        Artifact known = recorded.get(Identity.of(asset));
                        if (known == null || cache.file(known.sha256()).isEmpty()) {
                            anythingNew = true;
                        }
                    }
                }
                if (!anythingNew && !page.releases().isEmpty()) {
                    break; // newest first: older pages are known as well
                }
                token = page.nextPageToken();
            } while (token.isPresent() && pages.size() < settings.maxPages());
            return new Listing(pages, null);
        } catch (ReleaseSourceException | RuntimeException e) {
            return new Listing(pages, e.getMessage());
        }
    }

    /** The assets of a source's fetched pages; its skips, refusals and failure reported. */
    private List<Candidate> list(SourceRef source, Listing listing, Map<Identity, Artifact> recorded) {
        List<Candidate> found = new ArrayList<>();
        for (ReleasePage page : listing.pages()) {
            for (Release release : page.releases()) {
                for (ReleaseAsset asset : release.assets()) {
                    found.add(new Candidate(source, release, asset, Identity.of(asset), asset.version()));
                }
            }
            page.skipped().forEach(skipped -> skipped(source, skipped));
            for (Refusal refusal : page.refused()) {
                refused(source, refusal, null);
            }
        }
        if (listing.failure() != null) {
            String why = "listing releases failed: " + listing.failure();
            LOG.warn("release source {}: {}", source.name(), why);
            run.emit("source_failed", SyncEvents.sourceFailed(run, source.name(), why));
            event(new IntakeEvent(0, run.id(), clock.instant(), "source_failed", RejectReason.SOURCE_ERROR.name(), why,
                    source.name(), null, null, null, null, null, null, null, null, null));
        }
        return found;
    }

    /**
     * The candidates whose version is among the newest {@code keepVersions} of their component and channel, counting
     * the versions already recorded: downloading an older one would only feed retention. Sorted in ascending
     * version order (release counters are handed out in this order), then by source and asset name.
     */
    private List<Candidate> retained(List<Candidate> candidates, Map<Identity, Artifact> recorded) {
        Map<String, TreeSet<SemanticVersion>> versions = new LinkedHashMap<>();
        for (Artifact a : recorded.values()) {
            SemanticVersion v = ReleaseStore.versionOrNull(a.version());
            if (v != null) {
                versions.computeIfAbsent(a.component() + "\n" + a.channel(), k -> new TreeSet<>(Comparator.reverseOrder())).add(v);
            }
        }
        for (Candidate c : candidates) {
            versions.computeIfAbsent(group(c), k -> new TreeSet<>(Comparator.reverseOrder())).add(c.version());
        }
        Map<String, Set<SemanticVersion>> kept = new HashMap<>();
        versions.forEach((group, all) -> kept.put(group, new HashSet<>(all.stream().limit(settings.keepVersions()).toList())));
        return candidates.stream()
                .filter(c -> kept.get(group(c)).contains(c.version()))
                .sorted(Comparator.comparing(Candidate::version)
                        .thenComparing(c -> c.source().name())
                        .thenComparing(c -> c.asset().name()))
                .toList();
    }

    private static String group(Candidate c) {
        return c.identity().component() + "\n" + c.asset().channel().wireName();
    }

    /** Downloads, verifies, records and signs one asset, or rejects it with the reason. */
    private void take(Candidate c, Map<Identity, Artifact> recorded) throws SQLException {
        ReleaseAsset asset = c.asset();
        ReleaseSource source = c.source().source();
        Artifact known = recorded.get(c.identity());
        if (known != null && cache.file(known.sha256()).isPresent()) {
            if (asset.upstreamSha256().isPresent() && !asset.upstreamSha256().get().hex().equals(known.sha256())) {
                reject(c, RejectReason.CONFLICT, "already cached from source '" + known.sourceName() + "' with sha256:"
                        + known.sha256() + "; this source publishes " + asset.upstreamSha256().get(), null);
            } else {
                run.countSkipped(SyncRun.ALREADY_CACHED, 1);
            }
            return;
        }
        Checksum expected;
        try {
            Optional<Checksum> checksum = source.upstreamChecksum(asset);
            if (checksum.isEmpty()) {
                reject(c, RejectReason.NO_UPSTREAM_CHECKSUM, "the upstream publishes no SHA-256 for " + asset.name()
                        + ": its bytes cannot be verified, so it is not downloaded", null);
                return;
            }
            expected = checksum.get();
        } catch (ReleaseSourceException | RuntimeException e) {
            reject(c, RejectReason.SOURCE_ERROR, "cannot read the upstream checksum: " + e.getMessage(), null);
            return;
        }
        if (known != null && !known.sha256().equals(expected.hex())) {
            reject(c, RejectReason.CONFLICT, "already recorded from source '" + known.sourceName() + "' with sha256:"
                    + known.sha256() + "; this source publishes " + expected, expected.hex());
            return;
        }
        run.emit("asset_started", SyncEvents.asset(run, c.source().name(), asset));
        ArtifactCache.Stored stored;
        try {
            stored = cache.store(download(source, asset), expected, asset.size(),
                    c.source().name() + "\n" + asset.downloadUrl() + "\n" + expected.hex(),
                    new ArtifactCache.Limits(settings.maxAssetBytes(), settings.idleTimeout(), settings.assetTimeout(),
                            settings.minBytesPerSecond(), settings.rateGrace()),
                    progress(asset));
        } catch (IntakeException e) {
            reject(c, e.reason(), e.getMessage(), expected.hex());
            return;
        }
        if (!passesSourceVerification(c, stored)) {
            return;
        }
        String notes = null;
        try {
            notes = source.notes(c.release()).orElse(null);
        } catch (ReleaseSourceException | RuntimeException e) {
            LOG.warn("release notes of {} from {} are unavailable: {}", c.release().id(), c.source().name(), e.getMessage());
        }
        Instant now = clock.instant();
        Artifact artifact = new Artifact(0, c.identity().component(), c.identity().version(), c.identity().platform(),
                c.identity().arch(), c.identity().format(), asset.channel().wireName(), stored.sha256(), stored.sizeBytes(),
                asset.name(), c.source().name(), c.source().type(), asset.downloadUrl().toString(), notes,
                c.release().publishedAt().orElse(null), now);
        ReleaseStore.Recorded result = store.record(artifact);
        Artifact saved;
        if (result instanceof ReleaseStore.Conflict conflict) {
            if (!store.isReferenced(stored.sha256())) {
                cache.delete(stored.sha256());
            }
            reject(c, RejectReason.CONFLICT, "already recorded from source '" + conflict.existing().sourceName()
                    + "' with sha256:" + conflict.existing().sha256(), stored.sha256());
            return;
        } else if (result instanceof ReleaseStore.Added added) {
            saved = added.artifact();
            sign(saved, added.counter());
        } else {
            saved = ((ReleaseStore.AlreadyRecorded) result).artifact();
        }
        recorded.put(c.identity(), saved);
        run.countCached();
        run.emit("asset_cached", SyncEvents.cached(run, c.source().name(), asset, saved, stored));
        event(new IntakeEvent(0, run.id(), now, "cached", null, stored.resumedFrom() > 0
                ? "resumed after " + stored.resumedFrom() + " bytes" : stored.alreadyCached() ? "content was already cached" : null,
                c.source().name(), asset.name(), asset.downloadUrl().toString(), saved.component(), saved.version(),
                saved.platform(), saved.arch(), saved.format(), saved.sha256(), saved.sizeBytes()));
    }

    /**
     * The source's last word on the verified bytes ({@link ReleaseSource#verify}: upstream signatures); a refusal
     * or a failed check rejects the asset and drops its bytes unless a recorded artifact holds the same ones.
     */
    private boolean passesSourceVerification(Candidate c, ArtifactCache.Stored stored) throws SQLException {
        Optional<Path> file = cache.file(stored.sha256());
        if (file.isEmpty()) {
            reject(c, RejectReason.SOURCE_ERROR, "the verified bytes vanished from the cache before the source's check",
                    stored.sha256());
            return false;
        }
        Optional<Refusal> refusal;
        try {
            refusal = c.source().source().verify(c.asset(), file.get());
        } catch (ReleaseSourceException | RuntimeException e) {
            dropUnlessReferenced(stored.sha256());
            reject(c, RejectReason.SOURCE_ERROR, "the source could not check the asset: " + e.getMessage(), stored.sha256());
            return false;
        }
        if (refusal.isPresent()) {
            dropUnlessReferenced(stored.sha256());
            refused(c.source(), refusal.get(), stored.sha256());
            return false;
        }
        return true;
    }

    private void dropUnlessReferenced(String sha256) throws SQLException {
        if (!store.isReferenced(sha256)) {
            cache.delete(sha256);
        }
    }

    /** Something the source deliberately left out: counted, and reported up to {@link #MAX_SKIPPED_REPORTED} times. */
    private void skipped(SourceRef source, Skipped skipped) {
        run.countSkipped(skipped.reason(), 1);
        if (skippedReported >= MAX_SKIPPED_REPORTED) {
            return;
        }
        skippedReported++;
        // the sync's events and history show it; the log only when asked for (every sync reports the same skips)
        LOG.debug("release source {}: skipped {}{}: {} ({})", source.name(), skipped.release(),
                skipped.asset().map(a -> " " + a).orElse(""), skipped.reason(), skipped.message());
        run.emit("skipped", SyncEvents.skipped(run, source.name(), skipped));
        event(new IntakeEvent(0, run.id(), clock.instant(), "skipped", skipped.reason(),
                "release " + skipped.release() + ": " + skipped.message(), source.name(), skipped.asset().orElse(null),
                null, null, null, null, null, null, null, null));
    }

    /** An asset the source refused: reported as a rejection with the source's code. */
    private void refused(SourceRef source, Refusal refusal, String sha256) {
        RejectReason reason;
        String message = refusal.message();
        try {
            reason = RejectReason.valueOf(refusal.reason());
        } catch (IllegalArgumentException e) {
            reason = RejectReason.SOURCE_ERROR; // a vendor's own code: kept in the message
            message = refusal.reason() + ": " + message;
        }
        ReleaseAsset asset = refusal.asset();
        reject(source, asset, Identity.of(asset), reason, message, sha256);
    }

    private void sign(Artifact artifact, long counter) {
        if (manifests == null) {
            LOG.info("no manifest signer is available: {} is cached and will be signed when one is", artifact.assetName());
            return;
        }
        try {
            manifests.sign(artifact, counter);
        } catch (Exception e) {
            // the artifact stays cached; the manifest job signs it later
            LOG.warn("cannot sign the manifest of {} now: {}", artifact.assetName(), e.toString());
        }
    }

    private static ArtifactCache.Download download(ReleaseSource source, ReleaseAsset asset) {
        return new ArtifactCache.Download() {
            @Override
            public InputStream open() throws IOException {
                return source.open(asset).orElseThrow(() -> new IOException("the source no longer offers " + asset.name()));
            }

            @Override
            public Optional<InputStream> openFrom(long offset) throws IOException {
                return source.open(asset, offset);
            }
        };
    }

    private ArtifactCache.Progress progress(ReleaseAsset asset) {
        long[] last = {0};
        return (received, total) -> {
            long now = System.nanoTime();
            boolean done = total.isPresent() && received >= total.getAsLong();
            if (done || now - last[0] >= PROGRESS_INTERVAL_NANOS) {
                last[0] = now;
                run.emit("progress", SyncEvents.progress(run, asset.name(), received, total));
            }
        };
    }

    private void reject(Candidate c, RejectReason reason, String message, String sha256) {
        reject(c.source(), c.asset(), c.identity(), reason, message, sha256);
    }

    private void reject(SourceRef source, ReleaseAsset asset, Identity identity, RejectReason reason, String message,
                        String sha256) {
        LOG.warn("release asset {} from {} rejected: {} ({})", asset.name(), source.name(), reason, message);
        run.countRejected();
        run.emit("asset_rejected", SyncEvents.rejected(run, source.name(), asset, reason, message));
        event(new IntakeEvent(0, run.id(), clock.instant(), "rejected", reason.name(), message, source.name(),
                asset.name(), asset.downloadUrl().toString(), identity.component(), identity.version(),
                identity.platform(), identity.arch(), identity.format(), sha256,
                asset.size().isPresent() ? asset.size().getAsLong() : null));
    }

    /** Retention: drops the versions beyond the newest N per component and channel, and their unreferenced files. */
    private void prune() throws SQLException {
        List<Artifact> pruned = store.pruneBeyond(settings.keepVersions());
        for (Artifact a : pruned) {
            if (!store.isReferenced(a.sha256())) {
                cache.delete(a.sha256());
            }
            event(new IntakeEvent(0, run.id(), clock.instant(), "pruned", null,
                    "beyond the newest " + settings.keepVersions() + " versions of " + a.component() + " on " + a.channel(),
                    a.sourceName(), a.assetName(), a.upstreamUrl(), a.component(), a.version(), a.platform(), a.arch(),
                    a.format(), a.sha256(), a.sizeBytes()));
        }
        run.countPruned(pruned.size());
    }

    private void event(IntakeEvent e) {
        try {
            store.syncs().recordEvent(e);
        } catch (SQLException | RuntimeException ex) {
            LOG.warn("cannot record intake event {} for {}: {}", e.outcome(), e.assetName(), ex.toString());
        }
    }
}
