package io.printmaster.store.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.store.SchemaException;
import io.printmaster.store.StorageState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which engine the store runs on, from the framework properties. */
class StoreComponentTest {

    @Test
    void withoutADatabaseUrlTheStoreIsEmbeddedDerbyInTheDataDirectory(@TempDir Path data) {
        JdbcDatabase db = StoreComponent.select(null, data.toString(), "", 2, 0);
        try {
            StorageState state = db.state();
            assertTrue(state.up(), state.detail());
            assertEquals("derby", state.kind());
            assertEquals(data.resolve("db").toAbsolutePath().toString(), state.detail());
            assertTrue(Files.isDirectory(data.resolve("db")));
        } finally {
            db.close();
        }
    }

    @Test
    void aMalformedUrlLeavesThePostgresqlStoreDownWithTheReasonAndStartsNoDerby(@TempDir Path data) {
        JdbcDatabase db = StoreComponent.select("postgresql://pm:hunter2@db:0/pm", data.toString(), "", 2, 0);
        try {
            StorageState state = db.state();
            assertFalse(state.up());
            assertEquals("postgresql", state.kind());
            assertTrue(state.detail().contains("pm.database.url") && state.detail().contains("port"), state.detail());
            assertFalse(state.detail().contains("hunter2"), state.detail());
            assertFalse(Files.exists(data.resolve("db")), "no Derby database instead");
            assertThrows(SchemaException.class, () -> db.migrate("m", List.of(
                    new io.printmaster.store.Migration(1, "t", List.of("CREATE TABLE T (N INT)")))));
        } finally {
            db.close();
        }
    }

    @Test
    void aUrlSelectsPostgresql() {
        if (!TestDatabases.postgres()) {
            return; // the PostgreSQL run checks this on a real server
        }
        PostgresUrl admin = PostgresUrl.parse(TestDatabases.adminUrl());
        JdbcDatabase db = StoreComponent.select(TestDatabases.adminUrl(), null, "", 2, 0);
        try {
            StorageState state = db.state();
            assertTrue(state.up(), state.detail());
            assertEquals("postgresql", state.kind());
            assertEquals(admin.redacted(), state.detail());
        } finally {
            db.close();
        }
    }
}
