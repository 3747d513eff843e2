package io.printmaster.store.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.store.Migration;
import io.printmaster.store.SchemaException;
import io.printmaster.store.StorageState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening, closing, reopening, and a database that cannot be opened. */
class DerbyDatabaseLifecycleTest {
    private static final Path DERBY_LOG = Path.of("target", "derby.log");

    @TempDir
    Path dir;

    @Test
    void cleanShutdownAndReopenKeepsTheData() throws Exception {
        Path folder = dir.resolve("db");
        List<Migration> migrations = List.of(new Migration(1, "kept", List.of("CREATE TABLE KEPT (NAME VARCHAR(20))")));

        DerbyDatabase first = new DerbyDatabase(folder, DERBY_LOG);
        first.migrate("kept", migrations);
        first.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO KEPT VALUES ('survivor')")) {
                return ps.executeUpdate();
            }
        });
        first.close();

        assertEquals(new StorageState(false, "derby", "closed"), first.state());
        assertThrows(SQLException.class, () -> first.read(c -> null));
        assertThrows(SchemaException.class, () -> first.migrate("kept", migrations));
        first.close(); // closing twice is harmless

        DerbyDatabase second = new DerbyDatabase(folder, DERBY_LOG);
        try {
            assertEquals(new StorageState(true, "derby", folder.toAbsolutePath().toString()), second.state());
            second.migrate("kept", migrations); // already at version 1: nothing to do
            String name = second.read(c -> {
                try (PreparedStatement ps = c.prepareStatement("SELECT NAME FROM KEPT"); ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getString(1) : null;
                }
            });
            assertEquals("survivor", name);
        } finally {
            second.close();
        }
    }

    @Test
    void aDatabaseThatCannotBeOpenedReportsWhyAndRefusesWork() throws Exception {
        Path notAFolder = dir.resolve("db");
        Files.writeString(notAFolder, "a file where the database folder should be");

        DerbyDatabase db = new DerbyDatabase(notAFolder, DERBY_LOG);
        try {
            StorageState state = db.state();
            assertFalse(state.up());
            assertTrue(state.detail().startsWith("cannot open the database at " + notAFolder), state.detail());

            SchemaException migrate = assertThrows(SchemaException.class,
                    () -> db.migrate("any", List.of(new Migration(1, "t", List.of("VALUES 1")))));
            assertTrue(migrate.getMessage().contains("store is down: cannot open the database at"), migrate.getMessage());
            SQLException read = assertThrows(SQLException.class, () -> db.read(c -> null));
            assertTrue(read.getMessage().contains("cannot open the database at"), read.getMessage());
            assertThrows(SQLException.class, () -> db.inTransaction(c -> null));
        } finally {
            db.close();
        }
    }

    @Test
    void locationComesFromTheDataDirectoryOrTheConfiguration() {
        Path data = dir.toAbsolutePath();
        assertEquals(data.resolve("db"), DerbyDatabase.Location.of(data.toString(), "").folder());
        assertEquals(data.resolve("other/db"), DerbyDatabase.Location.of(data.toString(), "other/db").folder());
        Path absolute = dir.resolve("elsewhere").toAbsolutePath();
        assertEquals(absolute, DerbyDatabase.Location.of(null, absolute.toString()).folder());

        DerbyDatabase.Location unknown = DerbyDatabase.Location.of(null, "relative");
        assertNull(unknown.folder());
        assertTrue(unknown.problem().contains("pm.data.dir"), unknown.problem());
    }
}
