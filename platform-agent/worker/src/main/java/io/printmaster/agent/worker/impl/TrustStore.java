package io.printmaster.agent.worker.impl;

import io.printmaster.agent.files.AtomicFiles;
import io.printmaster.api.signing.SigningProvider;
import io.printmaster.core.wire.TrustStatement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where this agent's trust lives: the installer's {@code <home>/etc/trust.json} at first, then the state the trust
 * statements made of it, {@code <data>/update/trust-state.json}, written atomically after every check-in that
 * changed it. The newer of the two (by trust version) counts, so an agent reinstalled from a newer installer over an
 * old data folder takes the installer's trust. Both files are only read here; statements are applied one at a time
 * on a copy, and the copy replaces the state only once it is on disk.
 */
final class TrustStore {
    private static final Logger LOG = LoggerFactory.getLogger(TrustStore.class);

    private final Path installerFile;
    private final Path stateFile;
    private final SigningProvider verifier;
    private final Clock clock;

    TrustStore(Path installerFile, Path stateFile, SigningProvider verifier, Clock clock) {
        this.installerFile = installerFile;
        this.stateFile = stateFile;
        this.verifier = verifier;
        this.clock = clock;
    }

    static TrustStore of(InstallLayout layout, SigningProvider verifier, Clock clock) {
        return new TrustStore(layout.trustFile(), layout.trustStateFile(), verifier, clock);
    }

    /**
     * What this agent trusts now.
     *
     * @throws UpdateFailure {@code MANIFEST_ERROR} when neither file gives a usable trust (fail closed)
     */
    TrustAnchors current() throws UpdateFailure {
        TrustAnchors installed = null;
        UpdateFailure installedProblem = null;
        try {
            installed = TrustAnchors.fromTrustFile(Files.readAllBytes(installerFile), verifier);
        } catch (IOException e) {
            installedProblem = new UpdateFailure("MANIFEST_ERROR", "this agent has no trusted keys (" + installerFile
                    + " cannot be read: " + e.getMessage() + "); it installs nothing it cannot verify");
        } catch (UpdateFailure e) {
            installedProblem = e;
        }
        if (Files.isRegularFile(stateFile)) {
            try {
                TrustAnchors state = TrustAnchors.fromState(Files.readAllBytes(stateFile), verifier);
                if (installed == null || state.trustVersion() >= installed.trustVersion()) {
                    return state;
                }
                LOG.info("the installer's trust (version {}) is newer than the agent's trust state (version {}): using it",
                        installed.trustVersion(), state.trustVersion());
            } catch (IOException | UpdateFailure e) {
                LOG.error("{} cannot be read ({}); falling back to the installer's trust", stateFile, e.getMessage());
            }
        }
        if (installed == null) {
            throw installedProblem;
        }
        return installed;
    }

    /** The trust version to report at check-in; 0 when there is no usable trust (the server then sends everything). */
    synchronized long trustVersion() {
        try {
            return current().trustVersion();
        } catch (UpdateFailure e) {
            return 0;
        }
    }

    /**
     * Applies the statements of a check-in answer in the order given (the server sends them oldest first; one out of
     * order is ignored as a replay) and persists the result when anything changed. A statement that does not verify
     * is logged and changes nothing.
     *
     * @return the trust after the statements (unchanged when none applied)
     */
    synchronized TrustAnchors apply(List<TrustStatement> statements) throws UpdateFailure, IOException {
        TrustAnchors before = current();
        if (statements.isEmpty()) {
            return before;
        }
        TrustAnchors next = before.copy();
        for (TrustStatement s : statements) {
            TrustAnchors.Outcome o = next.apply(s, clock.instant());
            switch (o.result()) {
                case APPLIED -> LOG.info("trust statement {} ({}) applied: {}", s.sequence(), s.type(), o.reason());
                case SKIPPED -> LOG.info("trust statement {} ({}) skipped: {}", s.sequence(), s.type(), o.reason());
                case IGNORED -> LOG.warn("trust statement {} ({}) ignored, nothing changed: {}", s.sequence(), s.type(),
                        o.reason());
                case HELD -> LOG.debug("trust statement {} ({}): {}", s.sequence(), s.type(), o.reason());
            }
        }
        if (next.trustVersion() != before.trustVersion()) {
            Files.createDirectories(stateFile.getParent());
            AtomicFiles.write(stateFile, next.toState());
            LOG.info("trust version {} → {}; manifests are accepted from {}", before.trustVersion(), next.trustVersion(),
                    next.usableIds(clock.instant()));
        }
        return next;
    }
}
