package io.printmaster.agent.worker.impl;

import io.printmaster.agent.files.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where an agent installation keeps its versions (docs/admin-guide.md, "Install layout and version slots"): the
 * install root {@code R} (what the service runs, with {@code etc/} and {@code data/}), complete program trees in
 * {@code R/versions/<version>/}, and the slot pointers {@code current}, {@code trial}, {@code booting} and
 * {@code abandoned} that {@code R/bin/pm-agent} reads at every start. A new version is only ever booted through
 * {@code trial}; the trampoline turns an unconfirmed trial into {@code abandoned} and boots {@code current} again,
 * which is the rollback that needs no running Java at all.
 */
final class InstallLayout {
    private static final boolean WINDOWS = System.getProperty("os.name", "").startsWith("Windows");
    static final Pattern VERSION_NAME = Pattern.compile("[0-9A-Za-z][0-9A-Za-z._+-]*");

    private final Path root;
    private final Path programDir;
    private final Path dataDir;

    InstallLayout(Path root, Path programDir, Path dataDir) {
        this.root = root.toAbsolutePath().normalize();
        this.programDir = programDir.toAbsolutePath().normalize();
        this.dataDir = dataDir.toAbsolutePath().normalize();
    }


    /** The program tree of the running version: {@code R} itself (the base install) or a slot. */
    Path programDir() {
        return programDir;
    }

    Path versions() {
        return root.resolve("versions");
    }

    Path slot(String version) {
        requireName(version);
        return versions().resolve(version);
    }

    Path staging(String version) {
        requireName(version);
        return versions().resolve(".staging-" + version);
    }

    Path updateDir() {
        return dataDir.resolve("update");
    }

    /** Vendor plugins, installed by Felix FileInstall. */
    Path pluginsDir() {
        return dataDir.resolve("plugins");
    }

    /** Where a plugin's current jar waits while its replacement is on trial. */
    Path pluginBackup(String fileName) {
        return updateDir().resolve("plugin-backup").resolve(fileName);
    }

    Path downloads() {
        return updateDir().resolve("downloads");
    }

    Path trustFile() {
        return root.resolve("etc").resolve("trust.json");
    }

    /** The release the installer installed, with its signed release counter (absent for older installers). */
    Path installedReleaseFile() {
        return root.resolve("etc").resolve("release.json");
    }

    /** The trust the statements made of {@link #trustFile()}: {@code <data>/update/trust-state.json}. */
    Path trustStateFile() {
        return updateDir().resolve("trust-state.json");
    }

    Optional<String> current() {
        return pointer("current");
    }

    Optional<String> trial() {
        return pointer("trial");
    }

    Optional<String> booting() {
        return pointer("booting");
    }

    Optional<String> abandoned() {
        return pointer("abandoned");
    }

    void writeTrial(String version) throws IOException {
        writePointer("trial", version);
    }

    void writeCurrent(String version) throws IOException {
        writePointer("current", version);
    }

    void clear(String pointer) throws IOException {
        Files.deleteIfExists(versions().resolve(pointer));
    }

    /** The program tree a version name boots: its slot, or the base install when it names none. */
    Optional<Path> bootable(Optional<String> version) {
        Path dir = version.filter(v -> VERSION_NAME.matcher(v).matches()).map(versions()::resolve).orElse(root);
        // what the trampoline of this platform would start
        boolean startable = WINDOWS ? Files.isRegularFile(dir.resolve("bin/pm-agent.cmd"))
                : Files.isExecutable(dir.resolve("bin/pm-agent"));
        return startable ? Optional.of(dir) : Optional.empty();
    }


    private Optional<String> pointer(String name) {
        Path file = versions().resolve(name);
        try {
            if (!Files.isRegularFile(file)) {
                return Optional.empty();
            }
            String v = Files.readString(file, StandardCharsets.UTF_8).strip();
            return VERSION_NAME.matcher(v).matches() ? Optional.of(v) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private void writePointer(String name, String version) throws IOException {
        requireName(version);
        Files.createDirectories(versions());
        AtomicFiles.write(versions().resolve(name), (version + "\n").getBytes(StandardCharsets.UTF_8));
    }


    private static void requireName(String version) {
        if (version == null || !VERSION_NAME.matcher(version).matches()) {
            throw new IllegalArgumentException("not a usable version name: " + version);
        }
    }
}
