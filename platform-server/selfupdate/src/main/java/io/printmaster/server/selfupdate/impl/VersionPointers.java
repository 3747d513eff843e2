package io.printmaster.server.selfupdate.impl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The pointer files of an installation's version slots, {@code R/versions/{trial,booting,current}}, with the agent's
 * meaning (bin/pm-server is the trampoline reading them): {@code trial} boots once (renamed {@code booting} by the
 * trampoline), the booted version commits by writing {@code current} and deleting {@code booting}; a {@code booting}
 * found at the next start is renamed {@code abandoned} (the rollback).
 */
final class VersionPointers {
    private final Path versions;

    VersionPointers(Path installRoot) {
        this.versions = installRoot.resolve("versions");
    }

    Path slot(String version) {
        return versions.resolve(version);
    }

    void writeTrial(String version) throws IOException {
        DurableFiles.write(versions.resolve("trial"), (version + "\n").getBytes(StandardCharsets.UTF_8));
    }

    void deleteTrial() throws IOException {
        DurableFiles.delete(versions.resolve("trial"));
    }

    /** Commits {@code version}: {@code current} names it, then the trial's {@code booting} is gone. */
    void commit(String version) throws IOException {
        DurableFiles.write(versions.resolve("current"), (version + "\n").getBytes(StandardCharsets.UTF_8));
        DurableFiles.delete(versions.resolve("booting"));
    }

    Optional<String> current() throws IOException {
        return pointer("current");
    }

    Optional<String> pointer(String name) throws IOException {
        Path file = versions.resolve(name);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        String text = Files.readString(file, StandardCharsets.UTF_8).strip();
        int nl = text.indexOf('\n');
        return Optional.of((nl < 0 ? text : text.substring(0, nl)).strip()).filter(s -> !s.isEmpty());
    }
}
