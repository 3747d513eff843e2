package io.printmaster.itests;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * PostgreSQL for the integration tests: when the system property {@value #PROPERTY} (or the variable
 * {@code PM_IT_DATABASE_URL}) holds an admin URL ({@code postgresql://user:password@host:port/database}, a user that
 * may create databases), every server container gets a fresh database {@code pm_it_<random>} of its own, dropped when
 * the test JVM ends. Without it the server runs on embedded Derby, as it does by default.
 */
final class ItDatabase {
    static final String PROPERTY = "pm.it.database.url";
    private static final List<String> CREATED = new CopyOnWriteArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ItDatabase::dropAll, "pm-it-drop-databases"));
    }

    private ItDatabase() {
    }

    /** The admin URL, or null when the integration tests run on Derby. */
    static String adminUrl() {
        String url = System.getProperty(PROPERTY);
        if (url == null || url.isBlank()) {
            url = System.getenv("PM_IT_DATABASE_URL");
        }
        return url == null || url.isBlank() ? null : url.strip();
    }

    /** A new, empty database on the admin URL's server, as a URL for {@code pm.database.url}; null on Derby. */
    static String fresh() {
        String admin = adminUrl();
        if (admin == null) {
            return null;
        }
        String name = "pm_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        execute(admin, "CREATE DATABASE " + name);
        CREATED.add(name);
        URI uri = URI.create(admin);
        return uri.getScheme() + "://" + uri.getRawAuthority() + "/" + name
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    }

    private static void dropAll() {
        for (String name : CREATED) {
            try {
                execute(adminUrl(), "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            } catch (RuntimeException e) {
                System.err.println("could not drop test database " + name + ": " + e.getMessage());
            }
        }
    }

    private static void execute(String url, String sql) {
        URI uri = URI.create(url);
        Properties props = new Properties();
        String userInfo = uri.getRawUserInfo();
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            props.setProperty("user", decode(colon < 0 ? userInfo : userInfo.substring(0, colon)));
            if (colon >= 0) {
                props.setProperty("password", decode(userInfo.substring(colon + 1)));
            }
        }
        String jdbc = "jdbc:postgresql://" + uri.getHost() + ":" + (uri.getPort() < 0 ? 5432 : uri.getPort())
                + uri.getRawPath();
        try {
            Class.forName("org.postgresql.Driver");
            try (Connection c = DriverManager.getConnection(jdbc, props); Statement s = c.createStatement()) {
                s.execute(sql);
            }
        } catch (SQLException | ClassNotFoundException e) {
            throw new IllegalStateException(sql + " on " + uri.getHost() + ":" + uri.getPort() + ": " + e.getMessage(), e);
        }
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
