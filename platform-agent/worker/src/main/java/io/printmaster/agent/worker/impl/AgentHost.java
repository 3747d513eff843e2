package io.printmaster.agent.worker.impl;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.function.Supplier;

/**
 * Where this agent is and what it runs: its folders ({@link InstallLayout}) and the worker's files in them, free disk
 * space, the clock, the platform it installs releases for and the release that runs now.
 *
 * @param runningVersion the release that runs: the one the process started with, or the one a hot swap went to
 */
record AgentHost(InstallLayout layout, WorkerFiles files, DiskSpace disk, Clock clock, String platform, String arch,
                 Supplier<String> runningVersion) {

    /** Free space, replaceable in tests. */
    interface DiskSpace {
        long usableBytes(Path dir) throws IOException;
    }

    String runningRelease() {
        return runningVersion.get();
    }
}
