package io.printmaster.store.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.store.StorageState;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PostgresUrlTest {

    @Test
    void readsEveryPartAndDecodesTheCredentials() {
        PostgresUrl url = PostgresUrl.parse("postgresql://p%40m:s%3Acr%25t%2F1@db.example:5433/printmaster?sslmode=verify-full&connectTimeout=5");
        assertEquals("p@m", url.user());
        assertEquals("s:cr%t/1", url.password());
        assertEquals("db.example", url.host());
        assertEquals(5433, url.port());
        assertEquals("printmaster", url.database());
        assertEquals(Map.of("sslmode", "verify-full", "connectTimeout", "5"), url.parameters());
        assertEquals("postgresql://p@m@db.example:5433/printmaster", url.redacted());
        assertEquals(url.redacted(), url.toString(), "toString never shows the password");
    }

    @Test
    void portAndPasswordAreOptionalAndIpv6HostsAreBracketed() {
        PostgresUrl url = PostgresUrl.parse("postgresql://pm@[::1]/pm");
        assertEquals(5432, url.port());
        assertNull(url.password());
        assertEquals("::1", url.host());
        assertEquals("postgresql://pm@[::1]:5432/pm", url.redacted());
    }

    @Test
    void aMalformedUrlIsRefusedNamingThePartButNeverThePassword() {
        Map<String, String> cases = Map.of(
                "mysql://pm:hunter2@db/pm", "must start with postgresql://",
                "postgresql://db/pm", "names no user",
                "postgresql://pm:hunter2@db", "names no database",
                "postgresql://pm:hunter2@db:0/pm", "port must be a number from 1 to 65535",
                "postgresql://:hunter2@db/pm", "user name is empty",
                "postgresql://pm:hunter2@db/", "database name is empty",
                "postgresql://pm:hunter2@db/a/b", "not one name",
                "postgresql://pm:hunter2%@db/pm", "password holds a '%'",
                "postgresql://pm:hunter2@db/pm?sslmode", "must be name=value");
        cases.forEach((text, expected) -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PostgresUrl.parse(text), text);
            assertTrue(e.getMessage().contains(expected), text + " -> " + e.getMessage());
            assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
        });
    }

    @Test
    void anUnreachableServerLeavesTheStoreDownWithTheReasonAndNoPassword() {
        // a port nothing listens on (the discard port on loopback): refused at once
        PostgresDatabase db = new PostgresDatabase(PostgresUrl.parse("postgresql://pm:hunter2@127.0.0.1:9/pm"), 2, 0);
        try {
            StorageState state = db.state();
            assertFalse(state.up());
            assertEquals("postgresql", state.kind());
            assertTrue(state.detail().contains("postgresql://pm@127.0.0.1:9/pm"), state.detail());
            assertFalse(state.detail().contains("hunter2"), state.detail());
            assertThrows(java.sql.SQLException.class, () -> db.read(c -> null));
            assertThrows(io.printmaster.store.SchemaException.class, () -> db.migrate("m", java.util.List.of(
                    new io.printmaster.store.Migration(1, "t", java.util.List.of("CREATE TABLE T (N INT)")))));
        } finally {
            db.close();
        }
    }
}
