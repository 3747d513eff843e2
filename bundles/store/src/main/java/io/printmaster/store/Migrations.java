package io.printmaster.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads a module's migrations from its own class path: {@code db/<module>/V1.sql},
 * {@code V2.sql}, numbered without gaps; a leading {@code --} comment describes the step. Statements end with a
 * semicolon at the end of a line.
 */
public final class Migrations {
    private Migrations() {
    }

    /**
     * @param anchor a class of the owning bundle; its class loader finds the scripts
     * @param module the module name, also the resource folder under {@code db/}
     */
    public static List<Migration> fromClasspath(Class<?> anchor, String module) {
        List<Migration> out = new ArrayList<>();
        ClassLoader loader = anchor.getClassLoader();
        for (int v = 1; ; v++) {
            String listing = "db/" + module + "/V" + v + ".sql";
            try (InputStream in = loader.getResourceAsStream(listing)) {
                if (in == null) {
                    break;
                }
                String sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                out.add(new Migration(v, firstComment(sql, module + " v" + v), split(sql)));
            } catch (IOException e) {
                throw new IllegalStateException("cannot read " + listing, e);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalStateException("no migrations at db/" + module + "/V1.sql");
        }
        return out;
    }

    static String firstComment(String sql, String fallback) {
        for (String line : sql.split("\n")) {
            String t = line.trim();
            if (t.startsWith("--")) {
                return t.substring(2).trim();
            }
            if (!t.isEmpty()) {
                break;
            }
        }
        return fallback;
    }

    /** Splits a script at semicolons that end a line; drops comment lines. */
    static List<String> split(String sql) {
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : sql.split("\n")) {
            String t = line.strip();
            if (t.startsWith("--") || t.isEmpty()) {
                continue;
            }
            if (t.endsWith(";")) {
                current.append(t, 0, t.length() - 1);
                statements.add(current.toString().strip());
                current.setLength(0);
            } else {
                current.append(t).append('\n');
            }
        }
        if (!current.toString().isBlank()) {
            statements.add(current.toString().strip());
        }
        return statements;
    }
}
