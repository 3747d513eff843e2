package io.printmaster.agent.hotswap.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleException;

class SwapStepsTest {
    private final List<String> log = new ArrayList<>();

    private SwapStep step(String name) {
        return new SwapStep(name, () -> log.add("do " + name), () -> log.add("undo " + name));
    }

    private SwapStep failing(String name, String why) {
        return new SwapStep(name, () -> {
            log.add("do " + name);
            throw new SwapStep.SwapStepException(why);
        }, () -> log.add("undo " + name));
    }

    @Test
    void aRollbackUndoesExactlyTheCompletedStepsLastFirst() {
        SwapSteps steps = new SwapSteps();
        Optional<String> failure = steps.apply(List.of(step("stop"), step("update a"),
                failing("update b", "bundle b could not be updated: broken jar"), step("refresh"), step("start")));

        assertEquals(Optional.of("bundle b could not be updated: broken jar"), failure);
        assertEquals(List.of("stop", "update a"), steps.completedNames());
        assertEquals(List.of(), steps.undo());
        assertEquals(List.of("do stop", "do update a", "do update b", "undo update a", "undo stop"), log,
                "the failed step and those after it are not undone");
        assertEquals(List.of(), steps.undo(), "undone once");
        assertEquals(5, log.size());
    }

    @Test
    void aSetThatFailsItsGateAfterEveryStepIsUndoneWhole() {
        SwapSteps steps = new SwapSteps();
        assertEquals(Optional.empty(), steps.apply(List.of(step("stop"), step("install c"), step("start"))));
        steps.undo();
        assertEquals(List.of("do stop", "do install c", "do start", "undo start", "undo install c", "undo stop"), log);
    }

    @Test
    void aFailingUndoIsReportedAndTheOtherUndosStillRun() {
        SwapSteps steps = new SwapSteps();
        steps.apply(List.of(step("stop"), new SwapStep("update a", () -> log.add("do update a"), () -> {
            throw new BundleException("the previous jar is gone");
        }), new SwapStep("install c", () -> log.add("do install c"), () -> {
            throw new IllegalStateException("framework stopping");
        }), step("start")));

        List<String> failures = steps.undo();

        assertEquals(List.of("install c: java.lang.IllegalStateException: framework stopping",
                "update a: org.osgi.framework.BundleException: the previous jar is gone"), failures);
        assertEquals(List.of("do stop", "do update a", "do install c", "do start", "undo start", "undo stop"), log);
    }

    @Test
    void anUnexpectedExceptionInAStepNamesTheStep() {
        SwapSteps steps = new SwapSteps();
        Optional<String> failure = steps.apply(List.of(step("stop"), new SwapStep("uninstall bundle d", () -> {
            throw new IllegalStateException("bundle d is uninstalled already");
        }, SwapStep.NOTHING)));
        assertEquals(Optional.of("swap step failed: uninstall bundle d: java.lang.IllegalStateException: bundle d is "
                + "uninstalled already"), failure);
        assertEquals(List.of("stop"), steps.completedNames());
    }
}
