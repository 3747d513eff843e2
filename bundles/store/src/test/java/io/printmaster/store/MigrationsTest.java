package io.printmaster.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class MigrationsTest {

    @Test
    void loadsNumberedScriptsWithTheirDescriptionAndStatements() {
        List<Migration> migrations = Migrations.fromClasspath(MigrationsTest.class, "sample");
        assertEquals(2, migrations.size());
        assertEquals(new Migration(1, "sample table", List.of(
                "CREATE TABLE SAMPLE (\nID INT PRIMARY KEY,\nNAME VARCHAR(20)\n)",
                "CREATE INDEX SAMPLE_NAME ON SAMPLE (NAME)")), migrations.get(0));
        assertEquals(new Migration(2, "sample v2", List.of("INSERT INTO SAMPLE VALUES (1, 'one')")), migrations.get(1));
    }

    @Test
    void aModuleWithoutScriptsIsAnError() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Migrations.fromClasspath(MigrationsTest.class, "nothing"));
        assertEquals("no migrations at db/nothing/V1.sql", e.getMessage());
    }
}
