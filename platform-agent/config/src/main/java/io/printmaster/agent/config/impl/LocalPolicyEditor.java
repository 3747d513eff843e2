package io.printmaster.agent.config.impl;

import io.printmaster.agent.config.api.AgentConfiguration;
import io.printmaster.agent.config.api.LocalOverrideDisabledException;
import io.printmaster.core.policy.PolicyValidator;
import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.core.policy.Violation;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saves the local policy the local page sends: only while the settings allow local overrides, only when the
 * server's validator ({@link PolicyValidator}) finds nothing wrong, atomically, and in force before it returns (the
 * watch re-reads the file at once instead of at its next poll).
 */
final class LocalPolicyEditor {
    private static final Logger LOG = LoggerFactory.getLogger(LocalPolicyEditor.class);

    private final Path file;
    private final Path tempDir;
    private final LocalPolicyWatch watch;
    private final BooleanSupplier overrideAllowed;

    /**
     * @param dataDir the agent's data folder: the file is {@code etc/local-policy.json} in it, the temporary file goes
     *     to {@code state/}, on the same file system but where FileInstall (which watches {@code etc/}) does not look
     * @param overrideAllowed {@code allow_local_override} of the settings in force, asked at every save
     */
    LocalPolicyEditor(Path dataDir, LocalPolicyWatch watch, BooleanSupplier overrideAllowed) {
        this.file = dataDir.resolve("etc").resolve(LocalPolicyFile.FILE_NAME);
        this.tempDir = dataDir.resolve("state");
        this.watch = watch;
        this.overrideAllowed = overrideAllowed;
    }

    /** Serialized: two saves at once must not interleave their write and re-read. */
    synchronized List<Violation> save(UpdatePolicy policy) throws LocalOverrideDisabledException, IOException {
        if (!overrideAllowed.getAsBoolean()) {
            throw new LocalOverrideDisabledException("local override is disabled (allow_local_override is not true in "
                    + "etc/" + AgentConfiguration.PID + ".cfg): the local policy is changed only by editing etc/"
                    + LocalPolicyFile.FILE_NAME);
        }
        List<Violation> violations = PolicyValidator.validate(policy);
        if (!violations.isEmpty()) {
            return violations;
        }
        LocalPolicyFile.write(file, policy, tempDir);
        watch.reread();
        LOG.info("local policy saved to {} from the local page", file);
        return List.of();
    }
}
