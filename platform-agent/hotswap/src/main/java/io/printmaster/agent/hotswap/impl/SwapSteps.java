package io.printmaster.agent.hotswap.impl;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a swap's steps in order and, when asked, undoes exactly the ones that completed, in reverse: the rollback is
 * the same steps undone, not a second hand-written sequence. An undo that fails is reported and the remaining undos
 * still run: a rollback puts back as much of the previous set as it can.
 */
final class SwapSteps {
    private static final Logger LOG = LoggerFactory.getLogger(SwapSteps.class);

    private final Deque<SwapStep> completed = new ArrayDeque<>();

    /**
     * Applies {@code steps} in order until one fails.
     *
     * @return the failing check (the step's message; {@code swap step failed: …} for an unexpected exception); empty
     *     when every step completed
     */
    Optional<String> apply(List<SwapStep> steps) {
        for (SwapStep step : steps) {
            try {
                step.apply().run();
                completed.push(step);
            } catch (SwapStep.SwapStepException e) {
                LOG.warn("swap step '{}' failed: {}", step.name(), e.getMessage());
                return Optional.of(e.getMessage());
            } catch (Exception | LinkageError e) {
                LOG.warn("swap step '{}' failed", step.name(), e);
                return Optional.of("swap step failed: " + step.name() + ": " + e);
            }
        }
        return Optional.empty();
    }

    /**
     * Undoes the completed steps, the last one first, and forgets them.
     *
     * @return one message per undo that failed ({@code <step>: <why>}), in the order they ran; empty when all worked
     */
    List<String> undo() {
        List<String> failures = new ArrayList<>();
        while (!completed.isEmpty()) {
            SwapStep step = completed.pop();
            try {
                step.undo().run();
            } catch (Exception | LinkageError e) {
                String why = e instanceof SwapStep.SwapStepException ? e.getMessage() : e.toString();
                LOG.error("undoing swap step '{}' failed: {}", step.name(), why, e);
                failures.add(step.name() + ": " + why);
            }
        }
        return failures;
    }

    /** The names of the completed steps, in the order they ran. */
    List<String> completedNames() {
        // no lambda: this runs after the refresh, when this bundle's old class loader may load nothing new
        List<String> names = new ArrayList<>();
        for (java.util.Iterator<SwapStep> i = completed.descendingIterator(); i.hasNext(); ) {
            names.add(i.next().name());
        }
        return names;
    }
}
