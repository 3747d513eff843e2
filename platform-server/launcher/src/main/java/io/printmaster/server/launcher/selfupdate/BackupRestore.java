package io.printmaster.server.launcher.selfupdate;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;

/**
 * Puts the database back as the self-update backup left it, with the server stopped (the launcher calls it before the
 * framework starts). Every step can be repeated after a crash: the live folder is only ever replaced by a complete
 * copy, by a rename.
 *
 * <ul>
 *   <li>{@code derby}: the backup's copy of the database folder ({@code path}) is copied beside the live folder
 *       ({@code database}) as {@code <db>.restoring}, forced, the live folder renamed {@code <db>.replaced}, the copy
 *       renamed to the live name, the replaced folder deleted.</li>
 *   <li>{@code postgresql}: the schema dropped ({@code psql}), then {@code pg_restore --no-owner --single-transaction}
 *       of the custom-format dump into the database of {@code --database}; or the operator's
 *       {@code PM_SELFUPDATE_RESTORE_HOOK}.</li>
 *   <li>{@code hook}: the backup was the operator's {@code PM_SELFUPDATE_BACKUP_HOOK}; the restore is
 *       {@code PM_SELFUPDATE_RESTORE_HOOK}, run with {@code PM_SELFUPDATE_BACKUP_PATH} and {@code PM_SELFUPDATE_RUN_ID}.</li>
 *   <li>{@code none} or no backup: nothing to restore (a release without a schema change on PostgreSQL).</li>
 * </ul>
 */
public final class BackupRestore {
    public static final String RESTORE_HOOK_ENV = "PM_SELFUPDATE_RESTORE_HOOK";
    private static final long TOOL_TIMEOUT_MINUTES = 60;

    private BackupRestore() {
    }

    /** Restores {@code backup} (the hand-over's {@code backup} object); see the class comment. */
    public static void restore(Map<String, Object> backup, String runId, Path dataDir, String databaseUrl,
            Map<String, String> env, Logger log) throws IOException {
        String kind = backup == null ? "none" : String.valueOf(backup.get("kind"));
        String path = backup == null ? null : HandoverFile.text(backup, "path");
        switch (kind) {
            case "none" -> log.info("self-update run {}: no backup was needed (no schema change): nothing to restore",
                    runId);
            case "derby" -> {
                String database = HandoverFile.text(backup, "database");
                restoreDerby(Path.of(path), database != null ? Path.of(database) : dataDir.resolve("db"));
            }
            case "postgresql" -> {
                String hook = env.get(RESTORE_HOOK_ENV);
                if (hook != null && !hook.isBlank()) {
                    runHook(hook, path, runId, databaseUrl, env);
                } else {
                    String schema = HandoverFile.text(backup, "schema");
                    pgRestore(Path.of(path), schema == null ? "public" : schema, databaseUrl, env);
                }
            }
            case "hook" -> {
                String hook = env.get(RESTORE_HOOK_ENV);
                if (hook == null || hook.isBlank()) {
                    throw new IOException("the backup of self-update run " + runId + " was made by the backup hook; set "
                            + RESTORE_HOOK_ENV + " to restore it (backup: " + path + ")");
                }
                runHook(hook, path, runId, databaseUrl, env);
            }
            default -> throw new IOException("unknown backup kind '" + kind + "' in the hand-over of run " + runId);
        }
    }

    /** Replaces the Derby folder {@code live} with a copy of {@code copy}; repeatable after a crash at any point. */
    public static void restoreDerby(Path copy, Path live) throws IOException {
        if (!Files.isRegularFile(copy.resolve("service.properties"))) {
            throw new IOException("the Derby backup " + copy + " is missing or incomplete (no service.properties): "
                    + "the database cannot be restored automatically");
        }
        Path parent = live.toAbsolutePath().getParent();
        Path restoring = parent.resolve(live.getFileName() + ".restoring");
        Path replaced = parent.resolve(live.getFileName() + ".replaced");
        deleteTree(restoring);
        copyTree(copy, restoring);
        if (Files.exists(live)) {
            deleteTree(replaced);
            Files.move(live, replaced);
        }
        Files.move(restoring, live);
        HandoverFile.forceFolder(parent);
        deleteTree(replaced);
    }

    /**
     * The schema is dropped whole, then the dump (which creates it) restored: {@code pg_restore --clean} alone would
     * leave the tables the new version created, and a later migration that creates them again would fail. Dropping
     * {@code IF EXISTS} makes a restore cut short repeatable.
     */
    private static void pgRestore(Path dump, String schema, String databaseUrl, Map<String, String> env)
            throws IOException {
        if (databaseUrl == null) {
            throw new IOException("the backup is a PostgreSQL dump but the server was started without --database");
        }
        if (!schema.matches("[A-Za-z_][A-Za-z0-9_$]{0,62}")) {
            throw new IOException("the hand-over names the schema '" + schema + "', not a plain PostgreSQL name");
        }
        if (!Files.isRegularFile(dump)) {
            throw new IOException("the PostgreSQL backup " + dump + " is missing: the database cannot be restored "
                    + "automatically");
        }
        PgConnection c = PgConnection.of(databaseUrl);
        Map<String, String> e = c.environment(env);
        run(List.of("psql", "--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1", "--dbname=" + c.conninfo(), "-c",
                "DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE"), e, "psql (dropping schema " + schema
                + " before the restore; or set " + RESTORE_HOOK_ENV + ")");
        run(List.of("pg_restore", "--no-owner", "--single-transaction", "--dbname=" + c.conninfo(), dump.toString()),
                e, "pg_restore of " + dump + " (or set " + RESTORE_HOOK_ENV + ")");
    }

    private static void runHook(String hook, String path, String runId, String databaseUrl, Map<String, String> env)
            throws IOException {
        Map<String, String> e = new java.util.HashMap<>(env);
        e.put("PM_SELFUPDATE_BACKUP_PATH", path == null ? "" : path);
        e.put("PM_SELFUPDATE_RUN_ID", runId == null ? "" : runId);
        if (databaseUrl != null) {
            e.put("PM_DATABASE_URL", databaseUrl);
        }
        run(List.of(hook), e, RESTORE_HOOK_ENV + " " + hook);
    }

    static void run(List<String> command, Map<String, String> environment, String what) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(environment);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new IOException(what + " cannot run: " + e.getMessage(), e);
        }
        byte[] output = p.getInputStream().readAllBytes();
        try {
            if (!p.waitFor(TOOL_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException(what + " did not finish within " + TOOL_TIMEOUT_MINUTES + " minutes");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(what + " was interrupted");
        }
        if (p.exitValue() != 0) {
            String text = new String(output, java.nio.charset.StandardCharsets.UTF_8).strip();
            throw new IOException(what + " failed with exit code " + p.exitValue() + ": "
                    + (text.length() > 2000 ? text.substring(0, 2000) + "…" : text));
        }
    }

    /**
     * The parts of {@code postgresql://user:password@host:port/db?params} the PostgreSQL tools need, with the
     * password in {@code PGPASSWORD}, never on a command line.
     */
    public record PgConnection(String conninfo, String password) {
        public static PgConnection of(String url) throws IOException {
            URI uri;
            try {
                uri = URI.create(url.startsWith("jdbc:") ? url.substring(5) : url);
            } catch (IllegalArgumentException e) {
                throw new IOException("the database URL cannot be read");
            }
            String user = null;
            String password = null;
            String info = uri.getRawUserInfo();
            if (info != null) {
                int colon = info.indexOf(':');
                user = java.net.URLDecoder.decode(colon < 0 ? info : info.substring(0, colon),
                        java.nio.charset.StandardCharsets.UTF_8);
                password = colon < 0 ? null : java.net.URLDecoder.decode(info.substring(colon + 1),
                        java.nio.charset.StandardCharsets.UTF_8);
            }
            String db = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
            StringBuilder s = new StringBuilder("postgresql://");
            if (user != null) {
                s.append(java.net.URLEncoder.encode(user, java.nio.charset.StandardCharsets.UTF_8)).append('@');
            }
            s.append(uri.getHost() == null ? "localhost" : uri.getHost());
            if (uri.getPort() > 0) {
                s.append(':').append(uri.getPort());
            }
            s.append('/').append(db);
            return new PgConnection(s.toString(), password);
        }

        public Map<String, String> environment(Map<String, String> base) {
            Map<String, String> e = new java.util.HashMap<>(base);
            if (password != null) {
                e.put("PGPASSWORD", password);
            }
            return e;
        }

        @Override
        public String toString() {
            return conninfo; // never the password
        }
    }

    static void copyTree(Path from, Path to) throws IOException {
        List<Path> files = new ArrayList<>();
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Path target = to.resolve(from.relativize(file).toString());
                Files.copy(file, target);
                files.add(target);
                return FileVisitResult.CONTINUE;
            }
        });
        for (Path f : files) {
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
