package io.printmaster.server.releases.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.security.api.SecretBox;
import io.printmaster.store.impl.DerbyDatabase;
import io.printmaster.store.impl.JdbcAuditLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Zero setup: the built-in directory source on {@code <pm.home>/agent-releases}, what the API shows of it. */
class BuiltInReleaseSourceTest {
    static final String PID = "io.printmaster.releasesource.directory~built-in";

    @TempDir
    Path dir;
    DerbyDatabase db;
    InMemoryConfigurationAdmin configAdmin;
    SourceConfigurations configurations;
    Path home;

    @BeforeEach
    void open() throws Exception {
        db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        new ReleaseStore(db); // the release tables
        configAdmin = new InMemoryConfigurationAdmin();
        configurations = new SourceConfigurations(configAdmin, db, new NoSecrets(), new JdbcAuditLog(db), Clock.systemUTC());
        home = dir.resolve("server-home");
        Files.createDirectories(home.resolve("agent-releases"));
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void seedsADirectorySourceOnTheShippedAgentReleases() throws Exception {
        BuiltInReleaseSource seeded = new BuiltInReleaseSource(configurations, Optional.of(home), true);

        assertEquals(BuiltInReleaseSource.Outcome.SEEDED, seeded.outcome());
        Map<String, Object> p = configAdmin.properties(PID);
        assertEquals("built-in", p.get("name"));
        assertEquals(home.resolve("agent-releases").toAbsolutePath().toString(), p.get("path"));
        List<SourceConfigurations.Source> sources = configurations.list();
        assertEquals(1, sources.size());
        SourceConfigurations.Source s = sources.get(0);
        assertEquals("built-in", s.name());
        assertEquals("directory", s.type());
        assertEquals("built-in", s.origin(), "the API shows where it comes from");
        assertEquals(Map.of("path", home.resolve("agent-releases").toAbsolutePath().toString()), s.config(),
                "the private origin marker is not part of the shown configuration");
    }

    @Test
    void seedingAgainAtTheNextStartChangesNothing() throws Exception {
        new BuiltInReleaseSource(configurations, Optional.of(home), true);
        long changes = configAdmin.getFactoryConfiguration("io.printmaster.releasesource.directory", "built-in").getChangeCount();
        assertEquals(BuiltInReleaseSource.Outcome.UNCHANGED, new BuiltInReleaseSource(configurations, Optional.of(home), true).outcome());
        assertEquals(changes, configAdmin.getFactoryConfiguration("io.printmaster.releasesource.directory", "built-in").getChangeCount(),
                "no configuration event, so the plugin does not restart the source");
    }

    @Test
    void cannotBeRemovedNorShadowedThroughTheApi() throws Exception {
        new BuiltInReleaseSource(configurations, Optional.of(home), true);

        assertFalse(configurations.delete("built-in", "admin"), "not a stored source");
        assertTrue(configurations.builtIn("built-in"), "the resource answers 409 for it");
        assertEquals(SourceConfigurations.Created.NAME_TAKEN, configurations.create(SourceType.DIRECTORY, "built-in",
                Map.of("path", dir.toString()), "admin"));
        assertEquals(home.resolve("agent-releases").toAbsolutePath().toString(), configAdmin.properties(PID).get("path"));
    }

    @Test
    void nothingWithoutTheFolderOrWhenSwitchedOff() throws Exception {
        Path bare = dir.resolve("bare-home");
        Files.createDirectories(bare);
        assertEquals(BuiltInReleaseSource.Outcome.NO_FOLDER, new BuiltInReleaseSource(configurations, Optional.of(bare), true).outcome());
        assertEquals(BuiltInReleaseSource.Outcome.NO_FOLDER, new BuiltInReleaseSource(configurations, Optional.empty(), true).outcome());
        assertTrue(configurations.list().isEmpty());

        new BuiltInReleaseSource(configurations, Optional.of(home), true);
        assertEquals(BuiltInReleaseSource.Outcome.DISABLED, new BuiltInReleaseSource(configurations, Optional.of(home), false).outcome());
        assertTrue(configurations.list().isEmpty(), "switched off: the seeded source is removed again");
    }

    @Test
    void anAdminsSourceOfTheSameNameWins() throws Exception {
        assertEquals(SourceConfigurations.Created.CREATED, configurations.create(SourceType.DIRECTORY, "built-in",
                Map.of("path", dir.toString()), "admin"));

        assertEquals(BuiltInReleaseSource.Outcome.NAME_TAKEN, new BuiltInReleaseSource(configurations, Optional.of(home), true).outcome());
        assertEquals(dir.toString(), configAdmin.properties(PID).get("path"), "the admin's configuration is untouched");
        assertEquals("api", configurations.list().get(0).origin());
    }

    /** The built-in source has no secret. */
    private static final class NoSecrets implements SecretBox {
        @Override
        public byte[] seal(byte[] plaintext, byte[] associatedData) {
            throw new AssertionError("no secret expected");
        }

        @Override
        public byte[] open(byte[] sealed, byte[] associatedData) {
            throw new AssertionError("no secret expected");
        }
    }
}
