package io.printmaster.agent.hotswap.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code <data>/update/hotswap.json} after a restart. A journal still in phase {@code swapping} or {@code rolling_back}
 * means the process ended during a swap. Nothing needs undoing: the launcher installed the complete set of the program
 * dir (the committed slot: the worker commits only after SWAPPED), so the journal is closed with the result
 * {@code interrupted} and the set that runs named.
 */
final class SwapJournal {
    private static final Logger LOG = LoggerFactory.getLogger(SwapJournal.class);

    private SwapJournal() {
    }

    @SuppressWarnings("unchecked")
    static void closeInterrupted(Path journal, Path program) {
        if (!Files.isRegularFile(journal)) {
            return;
        }
        try {
            ObjectMapper json = new ObjectMapper();
            JsonNode root = json.readTree(journal.toFile());
            String phase = root.path("phase").asText();
            if ("done".equals(phase)) {
                return;
            }
            Map<String, Object> closed = json.convertValue(root, Map.class);
            closed.put("phase", "done");
            closed.put("result", "interrupted");
            closed.put("interrupted_in", phase);
            closed.put("running", program.toString());
            JsonText.writeAtomically(journal, closed);
            LOG.warn("the hot swap {} → {} was interrupted by the end of the process (phase {}); the launcher "
                    + "installed the complete set of {}", root.path("from_version").asText(),
                    root.path("to_version").asText(), phase, program);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot read the hot-swap journal {}: {}", journal, e.toString());
        }
    }
}
