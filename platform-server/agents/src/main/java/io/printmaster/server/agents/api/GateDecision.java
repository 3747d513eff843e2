package io.printmaster.server.agents.api;

import java.util.Objects;

/**
 * What the {@link UpdateGate} lets a check-in offer.
 *
 * @param kind              what is offered
 * @param version           the version offered ({@link Kind#OFFER}, {@link Kind#ROLLBACK}), else null
 * @param rolloutId         the rollout the offer or hold belongs to, or null (an offer outside any rollout)
 * @param retryAfterSeconds for {@link Kind#HOLD}: when to ask again, jitter included (1..3600); else 0
 * @since 1.2
 */
public record GateDecision(Kind kind, String version, String rolloutId, long retryAfterSeconds) {

    public enum Kind {
        /** Nothing to offer; the agent follows its own schedule. */
        NONE,
        /** Offer {@code version} (in {@code rolloutId} when not null: the answer's {@code update.rollout_id}). */
        OFFER,
        /** Offer {@code version} as a rollback manifest bound to {@code rolloutId} ({@code "downgrade": true}). */
        ROLLBACK,
        /** Nothing now: a rollout holds the agent back; ask again after {@code retryAfterSeconds}. */
        HOLD
    }

    public GateDecision {
        Objects.requireNonNull(kind, "kind");
        if ((kind == Kind.OFFER || kind == Kind.ROLLBACK) && version == null) {
            throw new IllegalArgumentException(kind + " needs a version");
        }
        if (kind == Kind.ROLLBACK && rolloutId == null) {
            throw new IllegalArgumentException("a rollback needs its rollout");
        }
        retryAfterSeconds = kind == Kind.HOLD ? Math.max(1, Math.min(3600, retryAfterSeconds)) : 0;
    }

    public static GateDecision none() {
        return new GateDecision(Kind.NONE, null, null, 0);
    }

    /** The version, outside any rollout (a completed rollout's version for a late agent, for instance). */
    public static GateDecision offer(String version) {
        return new GateDecision(Kind.OFFER, version, null, 0);
    }

    public static GateDecision offer(String version, String rolloutId) {
        return new GateDecision(Kind.OFFER, version, rolloutId, 0);
    }

    public static GateDecision rollback(String version, String rolloutId) {
        return new GateDecision(Kind.ROLLBACK, version, rolloutId, 0);
    }

    public static GateDecision hold(String rolloutId, long retryAfterSeconds) {
        return new GateDecision(Kind.HOLD, null, rolloutId, retryAfterSeconds);
    }

    /** Whether the answer carries an update. */
    public boolean offers() {
        return kind == Kind.OFFER || kind == Kind.ROLLBACK;
    }
}
