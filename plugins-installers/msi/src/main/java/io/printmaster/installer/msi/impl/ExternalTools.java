package io.printmaster.installer.msi.impl;

import java.io.File;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Finds command-line tools ({@code wixl}, {@code msiextract}) in a search path and runs them with a time limit.
 * The search path is given, not read from the environment at each call, so tests can point it at a folder without
 * the tools; the tools run by absolute path.
 */
final class ExternalTools {

    /** How much of a tool's output an error message quotes: the end, where the tools say what went wrong. */
    static final int MAX_QUOTED_OUTPUT = 4000;

    /** Used when the process has no PATH at all (some service managers start with an empty environment). */
    static final String FALLBACK_PATH = "/usr/local/bin:/usr/bin:/bin";

    private final List<Path> searchPath;

    /** @param searchPath folders separated by {@link File#pathSeparator}, as in {@code PATH} */
    ExternalTools(String searchPath) {
        List<Path> dirs = new ArrayList<>();
        for (String dir : searchPath.split(File.pathSeparator)) {
            if (!dir.isBlank()) {
                dirs.add(Path.of(dir));
            }
        }
        this.searchPath = List.copyOf(dirs);
    }

    /** The tools of this process's {@code PATH}. */
    static ExternalTools fromEnvironment() {
        String path = System.getenv("PATH");
        return new ExternalTools(path == null || path.isBlank() ? FALLBACK_PATH : path);
    }

    /** The executable called {@code name} in the first folder of the search path that holds one. */
    Optional<Path> find(String name) {
        for (Path dir : searchPath) {
            Path candidate = dir.resolve(name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** What a finished tool run gave: its exit code and its output (stdout and stderr together, decoded). */
    record Result(int exitCode, String output) {
        /** The end of the output, at most {@link #MAX_QUOTED_OUTPUT} characters, trimmed. */
        String quotedOutput() {
            String out = output.strip();
            return out.length() <= MAX_QUOTED_OUTPUT ? out : "…" + out.substring(out.length() - MAX_QUOTED_OUTPUT);
        }
    }

    /** A tool that did not finish in time; it has been killed. */
    static final class TimeoutException extends Exception {
        private static final long serialVersionUID = 1L;

        TimeoutException(String message) {
            super(message);
        }
    }

    /**
     * Runs {@code command} in {@code workDir}, its stdin empty and its output captured in {@code logFile} (a file,
     * not a pipe: a tool writing much output cannot block on a full pipe), and waits at most {@code timeout}.
     *
     * @throws TimeoutException when it runs longer; it is killed first
     * @throws IOException      when it cannot be started; {@link InterruptedIOException} when the wait is
     *                          interrupted (the tool is killed and the interrupt flag kept)
     */
    static Result run(List<String> command, Path workDir, Path logFile, Duration timeout)
            throws IOException, TimeoutException {
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(logFile.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(nullDevice()));
        Process process = builder.start();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
                throw new TimeoutException(Path.of(command.get(0)).getFileName() + " did not finish within "
                        + describe(timeout) + " and was stopped");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for " + command.get(0));
        }
        String output = new String(Files.readAllBytes(logFile), StandardCharsets.UTF_8);
        return new Result(process.exitValue(), output);
    }

    private static File nullDevice() {
        return new File(File.separatorChar == '\\' ? "NUL" : "/dev/null");
    }

    static String describe(Duration d) {
        long seconds = d.toSeconds();
        if (seconds >= 120 && seconds % 60 == 0) {
            return (seconds / 60) + " minutes";
        }
        return seconds >= 1 ? seconds + (seconds == 1 ? " second" : " seconds") : d.toMillis() + " ms";
    }
}
