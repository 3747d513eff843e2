package io.printmaster.agent.config.impl;

import io.printmaster.agent.config.api.ConfigError;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the local policy in step with {@code etc/local-policy.json}: {@link #poll()} re-reads the file when it
 * appeared, changed or went, logs the outcome once per change, and keeps the last valid policy while the file is
 * broken (an editor saving half a file must not switch the agent to something else).
 */
final class LocalPolicyWatch {
    private static final Logger LOG = LoggerFactory.getLogger(LocalPolicyWatch.class);

    private final Path file;
    private FileFingerprint seen;
    private volatile LocalPolicy current = LocalPolicy.defaults();
    private boolean currentFromFile;

    LocalPolicyWatch(Path file) {
        this.file = file;
    }

    LocalPolicy current() {
        return current;
    }

    /** Re-reads the file now, whatever its metadata says: it was just written by this agent. */
    synchronized void reread() {
        seen = FileFingerprint.UNKNOWN;
        poll();
    }

    /** Re-reads the file if it changed since the last poll; true when it did. */
    synchronized boolean poll() {
        FileFingerprint now = FileFingerprint.of(file);
        if (now.equals(seen)) {
            return false;
        }
        boolean first = seen == null;
        seen = now;
        LocalPolicyFile.Reading reading = LocalPolicyFile.read(file);
        LocalPolicy next = LocalPolicy.after(reading, current.policy(), currentFromFile);
        currentFromFile = reading.present() && next.policy().isPresent();
        current = next;
        log(reading, next, first);
        return true;
    }

    private void log(LocalPolicyFile.Reading reading, LocalPolicy next, boolean first) {
        if (!reading.present()) {
            if (first) {
                LOG.info("no {}: the local policy is the built-in default (weekly checks, minor line)", file);
            } else {
                LOG.info("{} was removed: the local policy is the built-in default again", file);
            }
        } else if (next.errors().isEmpty()) {
            LOG.info("local policy {} {}", first ? "read from" : "changed, re-read", file);
        } else {
            for (ConfigError e : next.errors()) {
                LOG.error("{}: {}: {}", file, e.field(), e.message());
            }
        }
    }
}
