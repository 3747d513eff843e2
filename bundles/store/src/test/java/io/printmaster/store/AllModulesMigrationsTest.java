package io.printmaster.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.store.impl.TestDatabases;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every module's real migrations (every reactor module's {@code src/main/resources/db/<module>/V<n>.sql}), applied
 * to an empty database: on Derby as written, on PostgreSQL as the dialect translates them (the store's second test
 * run). Two stores on one PostgreSQL database migrating at once (two replicas starting together) both succeed.
 */
class AllModulesMigrationsTest {
    private static final Pattern SCRIPT = Pattern.compile("V(\\d+)\\.sql");

    /** module → its migrations, read from the sources of every module of the reactor. */
    static Map<String, List<Migration>> everyModule() throws IOException {
        Path root = Path.of("").toAbsolutePath().getParent().getParent();
        assertTrue(Files.isRegularFile(root.resolve("pom.xml")) && Files.isDirectory(root.resolve("platform-server")),
                "the reactor root: " + root);
        Map<String, Map<Integer, Path>> scripts = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root, 9)) {
            files.filter(p -> p.toString().replace('\\', '/').matches(".*/src/main/resources/db/[^/]+/V\\d+\\.sql"))
                    .filter(p -> !p.toString().contains("/target/"))
                    .forEach(p -> {
                        Matcher m = SCRIPT.matcher(p.getFileName().toString());
                        assertTrue(m.matches());
                        scripts.computeIfAbsent(p.getParent().getFileName().toString(), k -> new TreeMap<>())
                                .put(Integer.parseInt(m.group(1)), p);
                    });
        }
        Map<String, List<Migration>> out = new TreeMap<>();
        for (Map.Entry<String, Map<Integer, Path>> module : scripts.entrySet()) {
            List<Migration> steps = new ArrayList<>();
            for (Map.Entry<Integer, Path> script : module.getValue().entrySet()) {
                String sql = Files.readString(script.getValue(), StandardCharsets.UTF_8);
                steps.add(new Migration(script.getKey(), Migrations.firstComment(sql, module.getKey()),
                        Migrations.split(sql)));
            }
            out.put(module.getKey(), steps);
        }
        return out;
    }

    @Test
    void everyModulesMigrationsApplyToAnEmptyDatabase(@TempDir Path dir) throws Exception {
        Map<String, List<Migration>> modules = everyModule();
        assertTrue(modules.keySet().containsAll(List.of("agents", "audit", "fleets", "notifications", "releases",
                "rollouts", "security", "signals", "signing")), "found " + modules.keySet());
        Database db = TestDatabases.openDatabase(dir);
        try {
            for (Map.Entry<String, List<Migration>> module : modules.entrySet()) {
                db.migrate(module.getKey(), module.getValue());
                assertEquals(module.getValue().size(), version(db, module.getKey()), module.getKey());
                // applied steps are skipped the second time
                db.migrate(module.getKey(), module.getValue());
            }
            assertTrue(db.state().up(), db.state().detail());
        } finally {
            TestDatabases.close(db);
        }
    }

    @Test
    void twoReplicasMigratingOnePostgresqlDatabaseAtOnceBothSucceed() throws Exception {
        Assumptions.assumeTrue(TestDatabases.postgres(), "two processes share a database only on PostgreSQL");
        Map<String, List<Migration>> modules = everyModule();
        List<Database> replicas = TestDatabases.twoReplicas();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (Database replica : replicas) {
                runs.add(pool.submit(() -> {
                    for (Map.Entry<String, List<Migration>> module : modules.entrySet()) {
                        replica.migrate(module.getKey(), module.getValue());
                    }
                    return null;
                }));
            }
            for (Future<?> run : runs) {
                run.get();
            }
            for (Database replica : replicas) {
                assertTrue(replica.state().up(), replica.state().detail());
                for (Map.Entry<String, List<Migration>> module : modules.entrySet()) {
                    assertEquals(module.getValue().size(), version(replica, module.getKey()), module.getKey());
                }
            }
        } finally {
            pool.shutdownNow();
            TestDatabases.close(replicas.get(1));
            TestDatabases.close(replicas.get(0));
        }
    }

    @Test
    void anEmptyDatabaseHasNoModuleYet(@TempDir Path dir) throws Exception {
        Database db = TestDatabases.openDatabase(dir);
        try {
            assertEquals(0, version(db, "agents"));
            assertFalse(db.state().detail().contains("password"));
        } finally {
            TestDatabases.close(db);
        }
    }

    private static int version(Database db, String module) throws Exception {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT VERSION FROM PM_SCHEMA_VERSION WHERE MODULE = ?")) {
                ps.setString(1, module);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getInt(1) : 0;
                }
            }
        });
    }
}
