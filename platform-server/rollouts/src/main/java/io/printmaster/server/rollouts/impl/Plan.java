package io.printmaster.server.rollouts.impl;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;

/**
 * A rollout's plan, in the API's wire names (docs/api.md, Rollouts). Already validated ({@link PlanParser}).
 *
 * @param canary                   the canary wave (named agents or a count), or null for none
 * @param waves                    the waves after the canary; each a {@code percent} of the targeted agents or a
 *                                 {@code batch_size}; the last takes everyone left
 * @param delayBetweenWavesSeconds how long after a wave reached the success threshold the next opens
 * @param maxConcurrent            at most this many agents of the rollout update at once (slots)
 * @param jitterSeconds            a held agent's retry is spread by a random 0..this many seconds
 * @param successThresholdPercent  share of a wave's planned size that must succeed before the next wave opens
 * @param failureThresholdPercent  share of a wave's planned size that, failed or rolled back, pauses the rollout
 */
record Plan(@JsonProperty("canary") @JsonInclude(JsonInclude.Include.ALWAYS) Canary canary,
            @JsonProperty("waves") List<Wave> waves,
            @JsonProperty("delay_between_waves_seconds") int delayBetweenWavesSeconds,
            @JsonProperty("max_concurrent") int maxConcurrent,
            @JsonProperty("jitter_seconds") int jitterSeconds,
            @JsonProperty("success_threshold_percent") int successThresholdPercent,
            @JsonProperty("failure_threshold_percent") int failureThresholdPercent) {

    static final int DEFAULT_SUCCESS_PERCENT = 90;
    static final int DEFAULT_FAILURE_PERCENT = 10;
    /** Waves generated for an automatic staggered rollout at most; the last takes everyone left. */
    static final int MAX_WAVES = 100;

    private static final ObjectMapper JSON = new ObjectMapper();

    Plan {
        waves = List.copyOf(waves);
    }

    /** Named agents ({@code agents}) or a count ({@code count}), never both. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Canary(@JsonProperty("agents") List<String> agents, @JsonProperty("count") Integer count) {
        Canary {
            agents = agents == null ? null : List.copyOf(agents);
        }
    }

    /** A {@code percent} of the targeted agents or a {@code batch_size}, never both. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Wave(@JsonProperty("percent") Integer percent, @JsonProperty("batch_size") Integer batchSize) {
    }

    /**
     * The planned size of each wave for {@code targeted} agents, the canary first when there is one: percents are
     * cumulative shares of the agents after the canary (rounded up), batch sizes fixed; the last wave takes everyone
     * left (and every agent that joins later).
     */
    List<Integer> waveSizes(int targeted) {
        List<Integer> out = new ArrayList<>();
        int rest = Math.max(0, targeted);
        if (canary != null) {
            int size = canary.agents() != null ? canary.agents().size() : Math.min(canary.count(), rest);
            out.add(size);
            rest = Math.max(0, rest - size);
        }
        int cumulative = 0;
        int cumulativePercent = 0;
        for (int i = 0; i < waves.size(); i++) {
            Wave w = waves.get(i);
            int size;
            if (i == waves.size() - 1) {
                size = rest - cumulative;
            } else if (w.percent() != null) {
                cumulativePercent = Math.min(100, cumulativePercent + w.percent());
                int upTo = (int) Math.min(rest, ceilDiv((long) rest * cumulativePercent, 100));
                size = Math.max(0, upTo - cumulative);
            } else {
                size = Math.min(w.batchSize(), rest - cumulative);
            }
            size = Math.max(0, size);
            out.add(size);
            cumulative += size;
        }
        return out;
    }

    /** Whether wave {@code index} of {@link #waveSizes} is the canary. */
    boolean isCanary(int index) {
        return canary != null && index == 0;
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a plan always serializes", e);
        }
    }

    static Plan fromJson(String json) {
        try {
            return JSON.readValue(json, Plan.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored plan is not readable: " + e.getMessage(), e);
        }
    }
}
