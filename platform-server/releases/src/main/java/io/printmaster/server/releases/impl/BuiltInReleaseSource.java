package io.printmaster.server.releases.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Zero setup: a fresh server already publishes the agent distributions that ship with it. When the installation has
 * {@value #FOLDER}/ (the official agent archives and their {@code SHA256SUMS}, put there by the server's
 * distribution), this seeds a {@code directory} release source named {@value #NAME} on that folder at every start.
 * The directory plugin then registers it and the intake syncs shortly after a source arrives (its
 * {@code source_settle_seconds}), so the artifacts are listed with no release source configured by anyone.
 *
 * <p>The source shows {@code origin: built-in} and cannot be removed through the API (409). Framework or system
 * property {@value #SWITCH}{@code =off} leaves it out (a server that must publish only what an admin configured).
 */
@Component(immediate = true, service = BuiltInReleaseSource.class)
public class BuiltInReleaseSource {
    private static final Logger LOG = LoggerFactory.getLogger(BuiltInReleaseSource.class);
    static final String NAME = SourceConfigurations.BUILT_IN;
    /** Folder of the installation ({@code pm.home}) holding the agent archives that ship with the server. */
    static final String FOLDER = "agent-releases";
    static final String SWITCH = "pm.releases.builtin";

    /** What happened at start, for the log and the tests. */
    enum Outcome { SEEDED, UNCHANGED, DISABLED, NO_FOLDER, NAME_TAKEN, FAILED }

    private final Outcome outcome;

    @Activate
    public BuiltInReleaseSource(BundleContext context, @Reference SourceConfigurations configurations) {
        this(configurations, Optional.ofNullable(context.getProperty("pm.home")).map(Path::of),
                !"off".equalsIgnoreCase(String.valueOf(context.getProperty(SWITCH)).strip()));
    }

    BuiltInReleaseSource(SourceConfigurations configurations, Optional<Path> home, boolean enabled) {
        this.outcome = seed(configurations, home, enabled);
    }

    Outcome outcome() {
        return outcome;
    }

    private static Outcome seed(SourceConfigurations configurations, Optional<Path> home, boolean enabled) {
        Optional<Path> folder = home.map(h -> h.resolve(FOLDER).toAbsolutePath().normalize());
        try {
            if (!enabled || folder.isEmpty() || !Files.isDirectory(folder.get())) {
                // nothing to publish: a source seeded by an earlier start (same framework) must not linger
                configurations.removeBuiltIn(NAME);
                if (!enabled) {
                    LOG.info("built-in release source off ({}=off)", SWITCH);
                    return Outcome.DISABLED;
                }
                LOG.debug("no {} folder in the installation: no built-in release source", FOLDER);
                return Outcome.NO_FOLDER;
            }
            SourceConfigurations.Seeded seeded = configurations.seedBuiltIn(SourceType.DIRECTORY, NAME,
                    Map.of("path", folder.get().toString()));
            switch (seeded) {
                case NAME_TAKEN -> {
                    LOG.warn("a release source named '{}' was added by an admin; the agent distributions in {} are not "
                            + "published by a built-in source (rename that source to get them)", NAME, folder.get());
                    return Outcome.NAME_TAKEN;
                }
                case CONFIGURED -> {
                    LOG.info("built-in release source '{}' publishes the agent distributions in {}", NAME, folder.get());
                    return Outcome.SEEDED;
                }
                default -> {
                    return Outcome.UNCHANGED;
                }
            }
        } catch (SQLException | IOException | RuntimeException e) {
            LOG.error("cannot configure the built-in release source on {}: {}", folder.orElse(null), e.toString());
            return Outcome.FAILED;
        }
    }
}
