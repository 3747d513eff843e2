package io.printmaster.itests;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the machine's own tools ({@code tar}, {@code unzip}, {@code msiinfo}) the way a user would. */
final class Tools {
    private Tools() {
    }

    /** Runs a tool to its end; its output, or an assertion failure with the output when it exits non-zero. */
    static String run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not finish within 2 minutes:\n" + out);
        }
        if (p.exitValue() != 0) {
            throw new AssertionError(command + " exited with " + p.exitValue() + ":\n" + out);
        }
        return out;
    }
}
