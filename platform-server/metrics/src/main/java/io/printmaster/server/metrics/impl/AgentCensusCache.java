package io.printmaster.server.metrics.impl;

import io.printmaster.server.agents.api.AgentCensus;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent census for the {@code printmaster_agents} gauge, asked of the database at most once per {@code maxAge}:
 * several Prometheus servers scraping every few seconds cost one grouped query per period, not one each.
 */
final class AgentCensusCache {
    private static final Logger LOG = LoggerFactory.getLogger(AgentCensusCache.class);

    private final long maxAgeNanos;
    private final LongSupplier nanoTime;
    private List<AgentCensus> census = List.of();
    private long takenAt;
    private boolean taken;

    AgentCensusCache(long maxAgeNanos, LongSupplier nanoTime) {
        this.maxAgeNanos = maxAgeNanos;
        this.nanoTime = nanoTime;
    }

    /**
     * The census, from {@code source} when the one held is older than the maximum age; when the source is missing
     * (null) or fails, nothing: a gauge without data points says "unknown", a stale one would lie.
     */
    synchronized List<AgentCensus> get(Callable<List<AgentCensus>> source) {
        long now = nanoTime.getAsLong();
        if (taken && now - takenAt < maxAgeNanos) {
            return census;
        }
        try {
            census = source == null ? List.of() : List.copyOf(source.call());
        } catch (Exception e) {
            LOG.warn("the agent census failed; printmaster_agents is empty until it works again", e);
            census = List.of();
        }
        takenAt = now;
        taken = true;
        return census;
    }
}
