package io.printmaster.servicemanager.launchd.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * A fake of the service system's tool: a shell script in its own folder (put that folder on the manager's search
 * path) that records each call's arguments, one line per call, then runs the body a test gives it. The body sees
 * {@code $DIR} (the folder, for state files) and the arguments.
 */
final class FakeTool {
    final Path dir;
    final Path script;

    FakeTool(Path dir, String name, String body) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.script = dir.resolve(name);
        Files.writeString(script, "#!/bin/sh\nDIR='" + dir + "'\nprintf '%s\\n' \"$*\" >> \"$DIR/calls\"\n" + body
                + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** The calls made so far, each the arguments joined with spaces. */
    List<String> calls() throws IOException {
        Path calls = dir.resolve("calls");
        return Files.exists(calls) ? Files.readAllLines(calls) : List.of();
    }

    /** Writes a state file the body reads. */
    void state(String file, String content) throws IOException {
        Files.writeString(dir.resolve(file), content);
    }
}
