package io.printmaster.server.launcher;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code --database URL} / {@code PM_DATABASE_URL}: the PostgreSQL database the server keeps its state in instead of
 * the embedded Derby database ({@code postgresql://user:password@host:port/database[?param=value…]}). The flag wins
 * over the variable. The launcher checks the form, so that a typo stops the start with exit code 2 and a message
 * naming what is wrong (never the password), and passes the URL on as the framework property the store bundle reads
 * ({@code pm.database.url}), which parses it the same way.
 */
final class DatabaseOption {
    static final String FLAG = "--database";
    static final String ENV = "PM_DATABASE_URL";
    static final String PROPERTY = "pm.database.url";
    static final String FORM = "postgresql://user:password@host:port/database";
    static final String USAGE = "  --database URL       keep the server's state in PostgreSQL, " + FORM
            + "[?sslmode=…] (user and password percent-encoded; env PM_DATABASE_URL; default: embedded Derby in the"
            + " data directory)";

    private static final Pattern SHAPE = Pattern.compile(
            "postgresql://([^@/?]*)@(\\[[0-9A-Fa-f:.]+]|[^:/?\\[\\]]+)(?::([^/?]*))?/([^?]*)(?:\\?(.*))?",
            Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    private static final Pattern BAD_ESCAPE = Pattern.compile("%(?![0-9A-Fa-f]{2})");

    /** The arguments without the flag, and the URL it or the environment gave (null when neither did). */
    record Extracted(String[] rest, String value) {
    }

    /** The arguments without the flag and its value, whatever the value. */
    static String[] without(String[] args) {
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals(FLAG)) {
                i++;
            } else if (!args[i].startsWith(FLAG + "=")) {
                rest.add(args[i]);
            }
        }
        return rest.toArray(String[]::new);
    }

    static Extracted extract(String[] args, Map<String, String> env) throws IllegalArgumentException {
        List<String> rest = new ArrayList<>();
        String value = env.get(ENV);
        if (value != null && value.isBlank()) {
            value = null;
        }
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals(FLAG)) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(FLAG + " needs a value: " + FORM);
                }
                value = args[++i];
            } else if (a.startsWith(FLAG + "=")) {
                value = a.substring(FLAG.length() + 1);
            } else {
                rest.add(a);
            }
        }
        if (value != null) {
            check(value.strip());
            value = value.strip();
        }
        return new Extracted(rest.toArray(String[]::new), value);
    }

    /** @throws IllegalArgumentException naming what is wrong with the URL; never quoting the part after the user */
    static void check(String url) {
        String what = "database URL (" + FLAG + " / " + ENV + ")";
        if (url.isEmpty()) {
            throw new IllegalArgumentException("the " + what + " is empty; expected " + FORM);
        }
        if (!url.regionMatches(true, 0, "postgresql://", 0, "postgresql://".length())) {
            throw new IllegalArgumentException("the " + what + " must start with postgresql://; expected " + FORM);
        }
        Matcher m = SHAPE.matcher(url);
        if (!m.matches()) {
            String rest = url.substring("postgresql://".length());
            String problem = !rest.contains("@") ? "names no user (user@ before the host)"
                    : rest.indexOf('/', rest.lastIndexOf('@')) < 0 ? "names no database (/database after the host)"
                    : "has a malformed host";
            throw new IllegalArgumentException("the " + what + " " + problem + "; expected " + FORM);
        }
        String userInfo = m.group(1);
        int colon = userInfo.indexOf(':');
        String user = colon < 0 ? userInfo : userInfo.substring(0, colon);
        if (user.isEmpty()) {
            throw new IllegalArgumentException("the " + what + " has an empty user name; expected " + FORM);
        }
        if (BAD_ESCAPE.matcher(user).find()) {
            throw new IllegalArgumentException("the " + what + "'s user name holds a '%' not followed by two hex digits");
        }
        if (colon >= 0 && BAD_ESCAPE.matcher(userInfo.substring(colon + 1)).find()) {
            throw new IllegalArgumentException("the " + what + "'s password holds a '%' not followed by two hex digits"
                    + " (percent-encode a literal % as %25)");
        }
        String port = m.group(3);
        if (port != null && (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535)) {
            throw new IllegalArgumentException("the " + what + "'s port must be a number from 1 to 65535, was '" + port
                    + "'");
        }
        String database = m.group(4);
        if (database.isEmpty() || database.contains("/") || BAD_ESCAPE.matcher(database).find()) {
            throw new IllegalArgumentException("the " + what + "'s database name is "
                    + (database.isEmpty() ? "empty" : "malformed") + "; expected " + FORM);
        }
        String query = m.group(5);
        if (query != null && !query.isEmpty()) {
            for (String pair : query.split("&")) {
                if (!pair.isEmpty() && !pair.matches("[A-Za-z0-9_.\\-$]+=[^=]*")) {
                    throw new IllegalArgumentException("the " + what + "'s parameters must be name=value pairs joined"
                            + " by &");
                }
            }
        }
    }

    private DatabaseOption() {
    }
}
