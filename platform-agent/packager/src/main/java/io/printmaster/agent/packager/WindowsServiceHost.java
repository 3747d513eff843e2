package io.printmaster.agent.packager;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Compiles the Windows service host ({@code pm-agent-service.c}) with MinGW-w64 when the cross compiler is on the
 * PATH ({@value #COMPILER}; {@code PM_MINGW_GCC} names another). Without it the windows archive is built without
 * the host and one warning says so: the archive still runs with {@code bin\pm-agent.cmd}, but the MSI installer
 * format, which needs a real service binary, reports that it cannot build from that artifact.
 */
public final class WindowsServiceHost {
    static final String COMPILER = "x86_64-w64-mingw32-gcc";

    private final Path source;

    public WindowsServiceHost(Path source) {
        this.source = source;
    }

    /** The compiler to use, when there is one. */
    public static Optional<Path> compiler() {
        String override = System.getenv("PM_MINGW_GCC");
        if (override != null && !override.isBlank()) {
            Path p = Path.of(override);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path candidate = Path.of(dir, COMPILER);
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Compiles into {@code exe}.
     *
     * @return the executable, or empty (after one warning) when no compiler is installed
     * @throws IOException when the compiler exists but fails: a broken source must fail the build
     */
    public Optional<Path> compile(Path exe) throws IOException, InterruptedException {
        return compile(exe, List.of());
    }

    /**
     * Compiles into {@code exe} with extra flags, such as {@code -DPM_ROLE_SERVER} for the server's service host
     * (the same source serves both roles).
     */
    public Optional<Path> compile(Path exe, List<String> defines) throws IOException, InterruptedException {
        Optional<Path> gcc = compiler();
        if (gcc.isEmpty()) {
            System.out.println("[WARNING] " + COMPILER + " not found: the windows-amd64 archive is built WITHOUT "
                    + "bin/" + exe.getFileName() + " (the Windows service host), so it cannot run as a Windows service "
                    + "(nor can the MSI installer format be built from the agent's). Install Debian's "
                    + "gcc-mingw-w64-x86-64-win32 and build again.");
            Files.deleteIfExists(exe);
            return Optional.empty();
        }
        Files.createDirectories(exe.toAbsolutePath().getParent());
        Path log = exe.resolveSibling(exe.getFileName() + ".log");
        List<String> command = new java.util.ArrayList<>(List.of(gcc.get().toString(), "-O2", "-s", "-municode", "-Wall"));
        command.addAll(defines);
        // no link time stamp in the PE header: the same source gives the same bytes (reproducible archives)
        command.addAll(List.of("-Wl,--no-insert-timestamp", "-o", exe.toString(), source.toString(), "-ladvapi32"));
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        int code = p.waitFor();
        String output = Files.readString(log, StandardCharsets.UTF_8);
        if (code != 0 || !Files.isRegularFile(exe)) {
            throw new IOException(COMPILER + " failed (exit " + code + ") on " + source + ":\n" + output);
        }
        if (!output.isBlank()) {
            System.out.println("[agent-packager] " + COMPILER + " said:\n" + output);
        }
        return Optional.of(exe);
    }
}
