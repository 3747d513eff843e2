package io.printmaster.api.support;

import io.printmaster.api.service.ServiceManagerException;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs the service system's command-line tool with a timeout and captures what it prints (stdout and stderr merged,
 * as an admin would see it). The tool is looked up on a search path given at construction, so tests put a recording
 * fake first; the platform passes the process's {@code PATH}. Shared by the service-manager plugins (systemd,
 * launchd, Windows, a vendor's own), which depend on the API only.
 *
 * @since 1.0
 */
public final class CommandRunner {
    /** The most output kept: a tool that floods its output must not fill the heap. */
    private static final int MAX_OUTPUT = 64 * 1024;

    /** What a finished command returned. */
    public record Result(String command, int exitCode, String output) {
        /** For messages: the command, its exit code and its output. */
        public String describe() {
            return "`" + command + "` exited with " + exitCode + (output.isBlank() ? "" : ": " + output.strip());
        }
    }

    private final List<Path> searchPath;

    public CommandRunner(List<Path> searchPath) {
        this.searchPath = List.copyOf(searchPath);
    }

    /** The directories of the {@code PATH} environment variable. */
    public static List<Path> systemPath() {
        String path = System.getenv("PATH");
        List<Path> out = new ArrayList<>();
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                if (!dir.isBlank()) {
                    try {
                        out.add(Path.of(dir));
                    } catch (RuntimeException e) {
                        // a malformed PATH entry cannot hold the tool
                    }
                }
            }
        }
        return out;
    }

    /** The first executable {@code name} on the search path. */
    public Optional<Path> find(String name) {
        for (Path dir : searchPath) {
            Path candidate = dir.resolve(name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /**
     * Runs {@code tool args…}; waits at most {@code timeout}, then kills it (and what it started) and throws.
     *
     * @throws ServiceManagerException when the tool is missing, cannot be started or does not finish in time
     */
    public Result run(String tool, Duration timeout, String... args) throws ServiceManagerException {
        Path executable = find(tool).orElseThrow(() -> new ServiceManagerException(
                tool + " was not found on the search path " + searchPath));
        List<String> command = new ArrayList<>();
        command.add(executable.toString());
        command.addAll(List.of(args));
        String shown = tool + " " + String.join(" ", args);
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(nullDevice())).start();
        } catch (IOException e) {
            throw new ServiceManagerException("`" + shown + "` could not be started: " + e.getMessage(), e);
        }
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> readCapped(process.getInputStream()));
        try {
            if (!process.waitFor(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS)) {
                kill(process);
                throw new ServiceManagerException("`" + shown + "` did not finish within " + timeout
                        + " and was killed");
            }
            // the tool has exited; a child it left behind holding the pipe must not keep us waiting forever
            String text = output.get(Math.max(1000, timeout.toMillis()), TimeUnit.MILLISECONDS);
            return new Result(shown, process.exitValue(), text);
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
            throw new ServiceManagerException("interrupted while waiting for `" + shown + "`", e);
        } catch (ExecutionException | TimeoutException e) {
            kill(process);
            throw new ServiceManagerException("the output of `" + shown + "` could not be read", e);
        }
    }

    private static File nullDevice() {
        return new File(System.getProperty("os.name", "").startsWith("Windows") ? "NUL" : "/dev/null");
    }

    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    private static String readCapped(InputStream in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                int keep = Math.min(n, MAX_OUTPUT - out.size());
                out.write(buffer, 0, Math.max(0, keep));
            }
        } catch (IOException e) {
            // the process was killed: keep what was read
        }
        return out.toString(Charset.defaultCharset());
    }
}
