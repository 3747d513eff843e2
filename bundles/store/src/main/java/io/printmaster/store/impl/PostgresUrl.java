package io.printmaster.store.impl;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PostgreSQL location as the operator writes it: {@code postgresql://user:password@host:port/database?param=value}
 * (port 5432 when left out, password optional, user name and password percent-encoded, parameters passed to the
 * driver, e.g. {@code sslmode=verify-full}). {@link #toString()} and {@link #redacted()} never show the password or
 * the parameters (which may name key files or carry a key's password).
 *
 * @param parameters the driver properties from the query, in order
 */
record PostgresUrl(String user, String password, String host, int port, String database,
                   Map<String, String> parameters) {
    static final String SCHEME = "postgresql://";
    static final String FORM = "postgresql://user:password@host:port/database";

    private static final Pattern AUTHORITY = Pattern.compile("(?:\\[([0-9A-Fa-f:.]+)]|([^:/\\[\\]]+))(?::([^/]*))?");
    private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z0-9_.\\-$]+");

    PostgresUrl {
        parameters = Map.copyOf(parameters);
    }

    /**
     * @throws IllegalArgumentException naming what is wrong (never quoting the password)
     */
    static PostgresUrl parse(String url) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("the database URL is empty; expected " + FORM);
        }
        String text = url.strip();
        if (!text.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            int colon = text.indexOf(':');
            String scheme = colon > 0 && colon < 20 && text.substring(0, colon).matches("[A-Za-z][A-Za-z0-9+.\\-]*")
                    ? "'" + text.substring(0, colon) + "'" : "missing";
            throw new IllegalArgumentException("the database URL must start with " + SCHEME + " (scheme is " + scheme
                    + "); expected " + FORM);
        }
        String rest = text.substring(SCHEME.length());
        String query = null;
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        int at = rest.lastIndexOf('@');
        if (at < 0) {
            throw new IllegalArgumentException("the database URL names no user (user@ before the host); expected " + FORM);
        }
        String userInfo = rest.substring(0, at);
        String hostAndPath = rest.substring(at + 1);
        int colon = userInfo.indexOf(':');
        String user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon), "user name");
        String password = colon < 0 ? null : decode(userInfo.substring(colon + 1), "password");
        if (user.isEmpty()) {
            throw new IllegalArgumentException("the database URL's user name is empty; expected " + FORM);
        }
        int slash = hostAndPath.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("the database URL names no database (/database after the host); expected "
                    + FORM);
        }
        Matcher authority = AUTHORITY.matcher(hostAndPath.substring(0, slash));
        if (!authority.matches()) {
            throw new IllegalArgumentException("the database URL's host is missing or malformed; expected " + FORM);
        }
        String host = authority.group(1) != null ? authority.group(1) : authority.group(2);
        int port = port(authority.group(3));
        String database = decode(hostAndPath.substring(slash + 1), "database name");
        if (database.isEmpty() || database.contains("/")) {
            throw new IllegalArgumentException("the database URL's database name is "
                    + (database.isEmpty() ? "empty" : "not one name (it holds a '/')") + "; expected " + FORM);
        }
        return new PostgresUrl(user, password, host, port, database, parameters(query));
    }

    private static int port(String text) {
        if (text == null) {
            return 5432;
        }
        if (!text.matches("[0-9]{1,5}") || Integer.parseInt(text) < 1 || Integer.parseInt(text) > 65535) {
            throw new IllegalArgumentException("the database URL's port must be a number from 1 to 65535, was '"
                    + text + "'");
        }
        return Integer.parseInt(text);
    }

    private static Map<String, String> parameters(String query) {
        Map<String, String> out = new LinkedHashMap<>();
        if (query == null || query.isEmpty()) {
            return out;
        }
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq), "parameter name");
            if (eq < 0 || !PLAIN_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("the database URL's parameter '" + (PLAIN_NAME.matcher(name).matches()
                        ? name : "?") + "' must be name=value");
            }
            out.put(name, decode(pair.substring(eq + 1), "value of parameter " + name));
        }
        return out;
    }

    /** Percent-decoding (UTF-8) of one part; the message names the part, never its text. */
    private static String decode(String part, String what) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < part.length(); i++) {
            char ch = part.charAt(i);
            if (ch == '%') {
                if (i + 2 >= part.length() || Character.digit(part.charAt(i + 1), 16) < 0
                        || Character.digit(part.charAt(i + 2), 16) < 0) {
                    throw new IllegalArgumentException("the database URL's " + what
                            + " holds a '%' not followed by two hex digits (percent-encode a literal % as %25)");
                }
                out.write(Integer.parseInt(part.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                byte[] bytes = String.valueOf(ch).getBytes(StandardCharsets.UTF_8);
                out.write(bytes, 0, bytes.length);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** {@code postgresql://user@host:port/database}: for logs and health. */
    String redacted() {
        String shownHost = host.contains(":") ? "[" + host + "]" : host;
        return SCHEME + user + "@" + shownHost + ":" + port + "/" + database;
    }

    /** The same server, another database (the tests' fresh databases). */
    PostgresUrl withDatabase(String other) {
        return new PostgresUrl(user, password, host, port, other, parameters);
    }

    @Override
    public String toString() {
        return redacted();
    }
}
