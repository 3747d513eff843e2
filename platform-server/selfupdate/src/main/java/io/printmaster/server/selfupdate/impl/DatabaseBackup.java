package io.printmaster.server.selfupdate.impl;

import io.printmaster.store.Database;
import io.printmaster.store.StorageState;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.CallableStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backup taken before a restart-mode apply, into {@code <data>/selfupdate/backups/<run_id>/}, so that a failed
 * trial of the new version can be undone by the launcher of the old one:
 *
 * <ul>
 *   <li>Derby: {@code SYSCS_UTIL.SYSCS_BACKUP_DATABASE} (online, consistent, while the server serves) of the database
 *       folder. Always taken in restart mode: it is a file copy of a database that is small for this server, and it
 *       makes the rollback exact whatever the new version wrote.</li>
 *   <li>PostgreSQL, only when the release migrates the schema: {@code pg_dump --format=custom} of the current schema
 *       when {@code pg_dump} is on the PATH; else the operator's {@code PM_SELFUPDATE_BACKUP_HOOK} (run with
 *       {@code PM_SELFUPDATE_BACKUP_PATH}, {@code PM_SELFUPDATE_RUN_ID}, {@code PM_DATABASE_URL}); else
 *       {@code BACKUP_FAILED} before anything changes.</li>
 * </ul>
 *
 * A backup is written under {@code <run_id>.partial} and renamed when complete. Only the newest
 * {@value #DEFAULT_KEPT} backups are kept ({@code PM_SELFUPDATE_BACKUPS_KEPT}).
 */
final class DatabaseBackup {
    static final String HOOK_ENV = "PM_SELFUPDATE_BACKUP_HOOK";
    static final String KEPT_ENV = "PM_SELFUPDATE_BACKUPS_KEPT";
    static final int DEFAULT_KEPT = 3;
    private static final long TOOL_TIMEOUT_MINUTES = 60;
    private static final Logger LOG = LoggerFactory.getLogger(DatabaseBackup.class);

    /** What the hand-over records: {@code kind} derby|postgresql|hook|none, {@code path}, Derby's live folder. */
    record Taken(String kind, Path path, Path database, String schema) {
        Taken(String kind, Path path, Path database) {
            this(kind, path, database, null);
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", kind);
            m.put("path", path == null ? null : path.toString());
            if (database != null) {
                m.put("database", database.toString());
            }
            if (schema != null) {
                m.put("schema", schema);
            }
            return m;
        }
    }

    private final Database database;
    private final Path backups;
    private final String databaseUrl;
    private final Map<String, String> env;

    DatabaseBackup(Database database, Path dataDir, String databaseUrl, Map<String, String> env) {
        this.database = database;
        this.backups = dataDir.resolve("selfupdate").resolve("backups");
        this.databaseUrl = databaseUrl;
        this.env = env;
    }

    /**
     * @param schemaChanges whether the release migrates the schema (PostgreSQL is backed up only then)
     * @throws SelfUpdateFailure {@code BACKUP_FAILED}; nothing else was changed
     */
    Taken take(String runId, boolean schemaChanges) throws SelfUpdateFailure {
        StorageState state = database.state();
        if (!state.up()) {
            throw new SelfUpdateFailure("BACKUP_FAILED", "the database is down (" + state.detail() + "): no backup");
        }
        Path partial = backups.resolve(runId + ".partial");
        Path done = backups.resolve(runId);
        try {
            DurableFiles.deleteTree(partial);
            DurableFiles.deleteTree(done);
            Files.createDirectories(partial);
            Taken taken;
            if ("derby".equals(state.kind())) {
                taken = derby(partial, done, Path.of(state.detail()));
            } else if (!schemaChanges) {
                DurableFiles.deleteTree(partial);
                LOG.info("self-update run {}: no schema change, PostgreSQL is not backed up", runId);
                return new Taken("none", null, null);
            } else {
                taken = postgres(runId, partial, done);
            }
            Files.move(partial, done);
            DurableFiles.forceFolder(backups);
            prune(runId);
            LOG.info("self-update run {}: {} backup in {}", runId, taken.kind(), taken.path());
            return taken;
        } catch (IOException | SQLException | SelfUpdateFailure e) {
            try {
                DurableFiles.deleteTree(partial);
            } catch (IOException ignored) {
                // the next backup's prune deletes it
            }
            if (e instanceof SelfUpdateFailure f) {
                throw f;
            }
            throw new SelfUpdateFailure("BACKUP_FAILED", "the database backup before the update failed: "
                    + e.getMessage(), e);
        }
    }

    private Taken derby(Path partial, Path done, Path live) throws SQLException {
        database.inTransaction(c -> {
            try (CallableStatement cs = c.prepareCall("CALL SYSCS_UTIL.SYSCS_BACKUP_DATABASE(?)")) {
                cs.setString(1, partial.toAbsolutePath().toString());
                cs.execute();
            }
            return null;
        });
        return new Taken("derby", done.resolve(live.getFileName().toString()), live);
    }

    private Taken postgres(String runId, Path partial, Path done) throws IOException, SQLException, SelfUpdateFailure {
        if (databaseUrl == null) {
            throw new IOException("the server uses PostgreSQL but no database URL is known");
        }
        String hook = env.get(HOOK_ENV);
        if (onPath("pg_dump") && (hook == null || hook.isBlank())) {
            String schema = database.read(c -> {
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT current_schema()")) {
                    rs.next();
                    return rs.getString(1);
                }
            });
            Pg pg = Pg.of(databaseUrl);
            Path dump = partial.resolve("database.dump");
            run(List.of("pg_dump", "--format=custom", "--no-owner", "--schema=" + schema, "--file=" + dump,
                    "--dbname=" + pg.conninfo()), pg.environment(env), "pg_dump");
            return new Taken("postgresql", done.resolve("database.dump"), null, schema);
        }
        if (hook == null || hook.isBlank()) {
            throw new SelfUpdateFailure("BACKUP_FAILED", "the release migrates the PostgreSQL schema, and neither "
                    + "pg_dump is on the PATH nor " + HOOK_ENV + " is set: install the PostgreSQL client tools or set "
                    + "the hook, then run the update again (nothing was changed)");
        }
        Map<String, String> e = new HashMap<>(env);
        e.put("PM_SELFUPDATE_BACKUP_PATH", partial.toAbsolutePath().toString());
        e.put("PM_SELFUPDATE_RUN_ID", runId);
        e.put("PM_DATABASE_URL", databaseUrl);
        run(List.of(hook), e, HOOK_ENV);
        return new Taken("hook", done, null);
    }

    /** Deletes all but the newest kept backups (the one just taken is always kept); leftovers of crashes too. */
    void prune(String keep) throws IOException {
        int kept = DEFAULT_KEPT;
        try {
            kept = Math.max(1, Integer.parseInt(env.getOrDefault(KEPT_ENV, String.valueOf(DEFAULT_KEPT)).strip()));
        } catch (NumberFormatException e) {
            LOG.warn("{} is not a number: keeping {} backups", KEPT_ENV, DEFAULT_KEPT);
        }
        if (!Files.isDirectory(backups)) {
            return;
        }
        List<Path> all;
        try (Stream<Path> s = Files.list(backups)) {
            all = new ArrayList<>(s.filter(Files::isDirectory).toList());
        }
        all.sort(Comparator.comparing(DatabaseBackup::modified).reversed());
        int n = 0;
        for (Path p : all) {
            String name = p.getFileName().toString();
            boolean isKeep = name.equals(keep);
            if (name.endsWith(".partial") || (!isKeep && ++n >= kept)) {
                DurableFiles.deleteTree(p);
            }
        }
    }

    private static FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    /** Whether {@code tool} is on the PATH of the environment the tools run with. */
    boolean onPath(String tool) {
        String path = env.get("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    static void run(List<String> command, Map<String, String> environment, String what) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(environment);
        Process p = pb.start();
        byte[] output = p.getInputStream().readAllBytes();
        try {
            if (!p.waitFor(TOOL_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException(what + " did not finish within " + TOOL_TIMEOUT_MINUTES + " minutes");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException(what + " was interrupted");
        }
        if (p.exitValue() != 0) {
            String text = new String(output, StandardCharsets.UTF_8).strip();
            throw new IOException(what + " failed with exit code " + p.exitValue() + ": "
                    + (text.length() > 2000 ? text.substring(0, 2000) + "…" : text));
        }
    }

    /** A PostgreSQL URL as the client tools take it, the password apart (PGPASSWORD, never on a command line). */
    record Pg(String conninfo, String password) {
        static Pg of(String url) throws IOException {
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
                user = URLDecoder.decode(colon < 0 ? info : info.substring(0, colon), StandardCharsets.UTF_8);
                password = colon < 0 ? null : URLDecoder.decode(info.substring(colon + 1), StandardCharsets.UTF_8);
            }
            StringBuilder s = new StringBuilder("postgresql://");
            if (user != null) {
                s.append(URLEncoder.encode(user, StandardCharsets.UTF_8)).append('@');
            }
            s.append(uri.getHost() == null ? "localhost" : uri.getHost());
            if (uri.getPort() > 0) {
                s.append(':').append(uri.getPort());
            }
            s.append('/').append(uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", ""));
            return new Pg(s.toString(), password);
        }

        Map<String, String> environment(Map<String, String> base) {
            Map<String, String> e = new HashMap<>(base);
            if (password != null) {
                e.put("PGPASSWORD", password);
            }
            return e;
        }

        @Override
        public String toString() {
            return conninfo;
        }
    }
}
