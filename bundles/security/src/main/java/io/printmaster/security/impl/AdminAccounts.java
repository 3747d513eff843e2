package io.printmaster.security.impl;

import io.printmaster.store.Database;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
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
 * The administrator account. On first start it gets a random password written to
 * {@code <pm.data.dir>/initial-admin-password} (owner-only where the file system has POSIX permissions); only that
 * file's path is printed and logged, so a service manager's journal never holds the password. {@code PM_ADMIN_PASSWORD}
 * sets the password instead, at every start, which is also how a lost password is reset; setting it deletes that file
 * and ends every console session of the admin. A preset password under {@value #MIN_PASSWORD_LENGTH} characters
 * fails this component, so health reports DOWN and nobody can log in (fail closed: a weak password is never accepted,
 * and quietly keeping the old one would leave an operator believing a reset worked). Where no environment can be set (an in-process test framework, some automation), the framework
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
    /** Where {@code pm.data.dir} is read from (the launcher sets it); the initial password file lives there. */
    static final String DATA_DIR_PROPERTY = "pm.data.dir";
    static final String INITIAL_PASSWORD_FILE = "initial-admin-password";
    static final int MIN_PASSWORD_LENGTH = 12;
    private static final String DUPLICATE_KEY = "23505";
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
        String dataDir = frameworkProperty.apply(DATA_DIR_PROPERTY);
        bootstrap(presetPassword(env, frameworkProperty),
                dataDir == null || dataDir.isBlank() ? null : Path.of(dataDir).resolve(INITIAL_PASSWORD_FILE), console);
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

    private void bootstrap(Optional<Preset> preset, Path initialPasswordFile, PrintStream console) throws SQLException, IOException {
        Optional<String> existing = storedHash(ADMIN);
        if (preset.isPresent()) {
            String password = preset.get().password();
            if (password.length() < MIN_PASSWORD_LENGTH) {
                throw new IllegalArgumentException(preset.get().source() + " must have at least " + MIN_PASSWORD_LENGTH
                        + " characters; the admin password was not changed");
            }
            if (existing.isEmpty() && create(ADMIN, password.toCharArray())) {
                LOG.info("admin account created with the password from {}", preset.get().source());
            } else if (!hasher.verify(password.toCharArray(), storedHash(ADMIN).orElseThrow())) {
                // (another replica starting at the same moment may have created it: with the same password, or
                // with a different one, which this replica's configuration then replaces as a reset would)
                setPassword(ADMIN, password.toCharArray());
                LOG.info("admin password set from {}; every admin console session was ended", preset.get().source());
            }
            // the generated password is no longer the admin's (or never was): it must not linger on disk
            if (initialPasswordFile != null && Files.deleteIfExists(initialPasswordFile)) {
                LOG.info("deleted {}: the admin password now comes from {}", initialPasswordFile, preset.get().source());
            }
            return;
        }
        if (existing.isEmpty()) {
            if (initialPasswordFile == null) {
                // fail closed: a generated password nobody can read would lock the admin out
                throw new IllegalStateException(DATA_DIR_PROPERTY + " is not set, so the generated admin password has"
                        + " nowhere to go; set " + PASSWORD_ENV + " (at least " + MIN_PASSWORD_LENGTH + " characters)");
            }
            String generated = new Secrets(new SecureRandom()).password(20);
            // the file first: if storing the hash fails, the next start generates again and overwrites it
            writeOwnerOnly(initialPasswordFile, generated + System.lineSeparator());
            if (!create(ADMIN, generated.toCharArray())) {
                // another replica on this database created the account at the same moment: its password is the
                // admin's (in that replica's data folder), this one never was
                Files.deleteIfExists(initialPasswordFile);
                LOG.info("the admin account was created by another server replica on this database at the same"
                        + " moment; its generated password is in that replica's {}", INITIAL_PASSWORD_FILE);
                return;
            }
            // only the path is printed and logged: console output ends up in journals, which must never hold a secret
            console.println();
            console.println("==================================================================");
            console.println(" PrintMaster admin account created. Log in as 'admin' with the password in:");
            console.println("   " + initialPasswordFile.toAbsolutePath());
            console.println(" The file is deleted when " + PASSWORD_ENV + " sets a new password.");
            console.println("==================================================================");
            console.println();
            console.flush();
            LOG.info("admin account created; its generated password is in {}", initialPasswordFile.toAbsolutePath());
        }
    }

    /**
     * Writes a temporary sibling created owner-only (0600, never readable by others even for a moment) and moves it
     * into place, so a crash never leaves a half-written password behind.
     */
    static void writeOwnerOnly(Path file, String content) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        FileAttribute<?>[] attributes = posix
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                : new FileAttribute<?>[0];
        Path temp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp", attributes);
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer bytes = ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining()) {
                    channel.write(bytes);
                }
                channel.force(true);
            }
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * Creates the account unless it exists: two replicas starting on an empty database at once both try, the primary
     * key lets one of them in, and the other learns that it lost (false) instead of overwriting the winner's password.
     */
    boolean create(String username, char[] password) throws SQLException {
        String hash = hasher.hash(password);
        Timestamp now = Timestamp.from(Instant.now());
        try {
            database.inTransaction(c -> {
                try (PreparedStatement ins = c.prepareStatement("INSERT INTO PM_USER (USERNAME, PASSWORD_HASH, CREATED_AT, UPDATED_AT) VALUES (?, ?, ?, ?)")) {
                    ins.setString(1, username);
                    ins.setString(2, hash);
                    ins.setTimestamp(3, now);
                    ins.setTimestamp(4, now);
                    ins.executeUpdate();
                }
                return null;
            });
            return true;
        } catch (SQLException e) {
            if (DUPLICATE_KEY.equals(e.getSQLState())) {
                return false;
            }
            throw e;
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

    /**
     * Sets the password and ends every console session of that user in the same transaction, so whoever held the
     * old password (or a session opened with it) is out the moment the new one counts.
     */
    void setPassword(String username, char[] password) throws SQLException {
        String hash = hasher.hash(password);
        Timestamp now = Timestamp.from(Instant.now());
        database.inTransaction(c -> {
            try (PreparedStatement end = c.prepareStatement("DELETE FROM PM_SESSION WHERE USERNAME = ?")) {
                end.setString(1, username);
                end.executeUpdate();
            }
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
