package io.printmaster.security.impl;

import io.printmaster.store.Database;
import java.io.PrintStream;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.security.SecureRandom;
import java.util.function.Function;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The administrator account. On first start it gets a random password that is printed once to the console
 * (never logged); {@code PM_ADMIN_PASSWORD} sets the password instead, at every start, which is also how a lost
 * password is reset. Where no environment can be set (an in-process test framework, some automation), the framework
 * property {@value #PASSWORD_PROPERTY} does the same; the environment wins when both are set. A system property
 * shows in the process's command line to every local user, so outside tests prefer the environment. Only a slow
 * salted hash is stored.
 */
@Component(service = AdminAccounts.class)
public class AdminAccounts {
    static final String ADMIN = "admin";
    static final String PASSWORD_ENV = "PM_ADMIN_PASSWORD";
    /** Framework (or system) property read when {@value #PASSWORD_ENV} is not set; for tests and automation. */
    static final String PASSWORD_PROPERTY = "pm.admin.password";
    private static final Logger LOG = LoggerFactory.getLogger(AdminAccounts.class);

    private final Database database;
    private final PasswordHasher hasher;
    /**
     * Compared against when the user is unknown, so a wrong user name costs as much time as a wrong password.
     * Made on first need: hashing is deliberately slow and start-up should not pay for it.
     */
    private volatile String dummyHash;

    @Activate
    public AdminAccounts(@Reference Database database, BundleContext context) throws Exception {
        this(database, new PasswordHasher(), System.getenv(), context::getProperty, System.out);
    }

    AdminAccounts(Database database, PasswordHasher hasher, Map<String, String> env, PrintStream console) throws Exception {
        this(database, hasher, env, name -> null, console);
    }

    AdminAccounts(Database database, PasswordHasher hasher, Map<String, String> env,
                  Function<String, String> frameworkProperty, PrintStream console) throws Exception {
        this.database = database;
        this.hasher = hasher;
        SecuritySchema.ensure(database);
        bootstrap(presetPassword(env, frameworkProperty), console);
    }

    /** A password given from outside, and where it came from (for messages; the value is never shown). */
    private record Preset(String source, String password) {
    }

    private static Optional<Preset> presetPassword(Map<String, String> env, Function<String, String> frameworkProperty) {
        String fromEnv = env.get(PASSWORD_ENV);
        if (fromEnv != null && !fromEnv.isEmpty()) {
            return Optional.of(new Preset(PASSWORD_ENV, fromEnv));
        }
        String fromProperty = frameworkProperty.apply(PASSWORD_PROPERTY);
        if (fromProperty != null && !fromProperty.isEmpty()) {
            return Optional.of(new Preset(PASSWORD_PROPERTY, fromProperty));
        }
        return Optional.empty();
    }

    private void bootstrap(Optional<Preset> preset, PrintStream console) throws SQLException {
        Optional<String> existing = storedHash(ADMIN);
        if (preset.isPresent()) {
            String password = preset.get().password();
            if (password.length() < 8) {
                throw new IllegalArgumentException(preset.get().source() + " must have at least 8 characters");
            }
            if (existing.isEmpty() || !hasher.verify(password.toCharArray(), existing.get())) {
                setPassword(ADMIN, password.toCharArray());
                LOG.info("admin password set from {}", preset.get().source());
            }
            return;
        }
        if (existing.isEmpty()) {
            String generated = new Secrets(new SecureRandom()).password(20);
            setPassword(ADMIN, generated.toCharArray());
            // printed, not logged: the log file must never hold a secret
            console.println();
            console.println("==================================================================");
            console.println(" PrintMaster admin account created. Log in as 'admin' with:");
            console.println("   " + generated);
            console.println(" This password is shown once. Set " + PASSWORD_ENV + " to reset it.");
            console.println("==================================================================");
            console.println();
            console.flush();
            LOG.info("admin account created with a generated password (printed once on the console)");
        }
    }

    /** The user name when the password is right. */
    Optional<String> verify(String username, String password) throws SQLException {
        Optional<String> stored = storedHash(username);
        boolean ok = hasher.verify(password.toCharArray(), stored.orElseGet(this::dummyHash));
        return ok && stored.isPresent() ? Optional.of(username) : Optional.empty();
    }

    private String dummyHash() {
        String d = dummyHash;
        if (d == null) {
            d = hasher.hash("not-a-password".toCharArray());
            dummyHash = d;
        }
        return d;
    }

    void setPassword(String username, char[] password) throws SQLException {
        String hash = hasher.hash(password);
        Timestamp now = Timestamp.from(Instant.now());
        database.inTransaction(c -> {
            try (PreparedStatement up = c.prepareStatement("UPDATE PM_USER SET PASSWORD_HASH = ?, UPDATED_AT = ? WHERE USERNAME = ?")) {
                up.setString(1, hash);
                up.setTimestamp(2, now);
                up.setString(3, username);
                if (up.executeUpdate() == 1) {
                    return null;
                }
            }
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO PM_USER (USERNAME, PASSWORD_HASH, CREATED_AT, UPDATED_AT) VALUES (?, ?, ?, ?)")) {
                ins.setString(1, username);
                ins.setString(2, hash);
                ins.setTimestamp(3, now);
                ins.setTimestamp(4, now);
                ins.executeUpdate();
            }
            return null;
        });
    }

    private Optional<String> storedHash(String username) throws SQLException {
        return database.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT PASSWORD_HASH FROM PM_USER WHERE USERNAME = ?")) {
                ps.setString(1, username);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getString(1)) : Optional.<String>empty();
                }
            }
        });
    }
}
