package io.printmaster.server.releases.impl;

import io.printmaster.api.release.ReleaseAsset;
import io.printmaster.api.release.Skipped;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.RejectReason;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The data of each server-sent event of a sync, with the API's snake_case names. Every event carries
 * {@code sync_id}; asset events carry the asset's identity so a client can place them without other state.
 */
final class SyncEvents {
    private SyncEvents() {
    }

    static Map<String, Object> started(SyncRun run, List<String> sources) {
        Map<String, Object> m = base(run);
        m.put("triggered_by", run.triggeredBy());
        m.put("started_by", run.startedBy());
        m.put("started_at", run.startedAt().toString());
        m.put("sources", sources);
        return m;
    }

    static Map<String, Object> asset(SyncRun run, String source, ReleaseAsset asset) {
        Map<String, Object> m = base(run);
        m.put("source", source);
        m.put("asset", asset.name());
        IntakeRun.Identity id = IntakeRun.Identity.of(asset);
        m.put("component", id.component());
        m.put("version", id.version());
        m.put("platform", id.platform());
        m.put("arch", id.arch());
        m.put("format", id.format());
        m.put("channel", asset.channel().wireName());
        m.put("size_bytes", asset.size().isPresent() ? asset.size().getAsLong() : null);
        return m;
    }

    static Map<String, Object> progress(SyncRun run, String asset, long bytes, OptionalLong total) {
        Map<String, Object> m = base(run);
        m.put("asset", asset);
        m.put("bytes", bytes);
        m.put("total_bytes", total.isPresent() ? total.getAsLong() : null);
        return m;
    }

    static Map<String, Object> cached(SyncRun run, String source, ReleaseAsset asset, Artifact artifact,
                                      ArtifactCache.Stored stored) {
        Map<String, Object> m = asset(run, source, asset);
        m.put("sha256", artifact.sha256());
        m.put("size_bytes", artifact.sizeBytes());
        m.put("already_cached", stored.alreadyCached());
        m.put("resumed_from", stored.resumedFrom());
        return m;
    }

    static Map<String, Object> rejected(SyncRun run, String source, ReleaseAsset asset, RejectReason reason, String message) {
        Map<String, Object> m = asset(run, source, asset);
        m.put("reason", reason.name());
        m.put("message", message);
        return m;
    }

    /** Something a source left out on purpose: {@code source}, {@code release}, {@code asset} (or null), {@code reason}, {@code message}. */
    static Map<String, Object> skipped(SyncRun run, String source, Skipped skipped) {
        Map<String, Object> m = base(run);
        m.put("source", source);
        m.put("release", skipped.release());
        m.put("asset", skipped.asset().orElse(null));
        m.put("reason", skipped.reason());
        m.put("message", skipped.message());
        return m;
    }

    static Map<String, Object> sourceFailed(SyncRun run, String source, String message) {
        Map<String, Object> m = base(run);
        m.put("source", source);
        m.put("reason", RejectReason.SOURCE_ERROR.name());
        m.put("message", message);
        return m;
    }

    static Map<String, Object> finished(SyncRun.Snapshot s, String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sync_id", s.id());
        m.put("state", s.state());
        m.put("cached_count", s.cachedCount());
        m.put("rejected_count", s.rejectedCount());
        m.put("skipped_count", s.skippedCount());
        m.put("pruned_count", s.prunedCount());
        m.put("message", message);
        m.put("skipped_reasons", new java.util.TreeMap<>(s.skippedReasons()));
        return m;
    }

    private static Map<String, Object> base(SyncRun run) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sync_id", run.id());
        return m;
    }
}
