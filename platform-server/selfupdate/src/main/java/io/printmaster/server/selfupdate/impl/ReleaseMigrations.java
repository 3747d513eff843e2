package io.printmaster.server.selfupdate.impl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Enumeration;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The schema a release brings and the one the database has: each bundle's migrations are resources
 * {@code db/<module>/V<n>.sql} (the store's {@code Migrations}), and {@code PM_SCHEMA_VERSION} holds the version
 * each module's database is at. A release whose bundles hold a step beyond the applied one migrates the database.
 */
final class ReleaseMigrations {
    private static final Pattern STEP = Pattern.compile("db/([^/]+)/V([0-9]{1,9})\\.sql");

    private ReleaseMigrations() {
    }

    /** Module → the newest migration step found in the jars of {@code bundleFolder}. */
    static Map<String, Integer> newestSteps(Path bundleFolder) throws IOException {
        Map<String, Integer> newest = new TreeMap<>();
        try (Stream<Path> jars = Files.list(bundleFolder)) {
            for (Path jar : jars.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList()) {
                try (ZipFile zip = new ZipFile(jar.toFile())) {
                    Enumeration<? extends ZipEntry> entries = zip.entries();
                    while (entries.hasMoreElements()) {
                        Matcher m = STEP.matcher(entries.nextElement().getName());
                        if (m.matches()) {
                            newest.merge(m.group(1), Integer.parseInt(m.group(2)), Math::max);
                        }
                    }
                }
            }
        }
        return newest;
    }

    /** Module → applied version, as recorded in {@code PM_SCHEMA_VERSION}. */
    static Map<String, Integer> applied(Connection c) throws SQLException {
        Map<String, Integer> applied = new TreeMap<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT MODULE, VERSION FROM PM_SCHEMA_VERSION")) {
            while (rs.next()) {
                applied.put(rs.getString(1), rs.getInt(2));
            }
        }
        return applied;
    }

    /** The modules whose release step is beyond the applied one ({@code module: applied → release}); empty: none. */
    static Map<String, String> pending(Map<String, Integer> release, Map<String, Integer> applied) {
        Map<String, String> pending = new TreeMap<>();
        release.forEach((module, step) -> {
            int at = applied.getOrDefault(module, 0);
            if (step > at) {
                pending.put(module, at + " → " + step);
            }
        });
        return pending;
    }
}
