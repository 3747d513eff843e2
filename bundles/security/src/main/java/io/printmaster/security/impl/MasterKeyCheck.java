package io.printmaster.security.impl;

import io.printmaster.security.api.SecretBox;
import io.printmaster.store.Database;
import io.printmaster.store.SchemaException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks at start that this server's master key is the one the database's secrets are sealed with. The first server
 * to start on a database seals a known value under its key ({@code PM_MASTER_KEY_CHECK}); every later start, and
 * every other replica, opens it. A replica given a different key (another {@code PM_MASTER_KEY_FILE}, or its own
 * generated default) fails this component, so {@code /api/v1/health} reports DOWN naming it and the log says why,
 * before that replica seals anything (signing keys, webhook secrets, source tokens) the other replicas could not open.
 */
@Component(service = MasterKeyCheck.class, immediate = true)
public class MasterKeyCheck {
    private static final Logger LOG = LoggerFactory.getLogger(MasterKeyCheck.class);
    private static final String DUPLICATE_KEY = "23505";
    private static final byte[] KNOWN = "printmaster master key check v1".getBytes(StandardCharsets.UTF_8);
    private static final byte[] PURPOSE = "master-key-check".getBytes(StandardCharsets.UTF_8);

    /**
     * Framework (or system) property: {@code reset} records this server's key as the database's, for an
     * administrator who lost the old key and accepts that the secrets sealed with it stay unreadable (they are entered
     * again). Logged as a warning; remove it once the server started.
     */
    static final String RESET_PROPERTY = "pm.master.key.check";

    @Activate
    public MasterKeyCheck(@Reference Database database, @Reference SecretBox box, BundleContext context)
            throws SQLException, SchemaException {
        this(database, box, "reset".equals(context.getProperty(RESET_PROPERTY)));
    }

    MasterKeyCheck(Database database, SecretBox box) throws SQLException, SchemaException {
        this(database, box, false);
    }

    MasterKeyCheck(Database database, SecretBox box, boolean reset) throws SQLException, SchemaException {
        SecuritySchema.ensure(database);
        if (reset) {
            replace(database, seal(box));
            LOG.warn("{}=reset: this server's master key is now the database's; secrets sealed with another key stay"
                    + " unreadable until entered again (remove the setting)", RESET_PROPERTY);
            return;
        }
        Optional<String> sealed = stored(database);
        if (sealed.isEmpty()) {
            String mine = seal(box);
            if (insert(database, mine)) {
                LOG.info("master key check recorded: replicas of this server must use the same master key");
                return;
            }
            sealed = stored(database); // another replica recorded its key's check at the same moment
        }
        if (!opens(box, sealed.orElseThrow())) {
            String message = "this server's master key is not the one the database's secrets are sealed with: every "
                    + "server on one database must use the same master key (the same PM_MASTER_KEY_FILE, "
                    + "--master-key-file or PM_MASTER_KEY); nothing is sealed or opened here until that is fixed (a lost key: start once with "
                    + "-D" + RESET_PROPERTY + "=reset, see the admin guide)";
            LOG.error(message);
            throw new IllegalStateException(message);
        }
    }

    private static String seal(SecretBox box) {
        try {
            return Base64.getEncoder().encodeToString(box.seal(KNOWN, PURPOSE));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the master key cannot seal: " + e.getMessage(), e);
        }
    }

    static boolean opens(SecretBox box, String sealed) {
        try {
            return Arrays.equals(KNOWN, box.open(Base64.getDecoder().decode(sealed), PURPOSE));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    private static Optional<String> stored(Database database) throws SQLException {
        return database.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT SEALED FROM PM_MASTER_KEY_CHECK WHERE ID = 1");
                 ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.<String>empty();
            }
        });
    }

    private static void replace(Database database, String sealed) throws SQLException {
        database.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM PM_MASTER_KEY_CHECK WHERE ID = 1")) {
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO PM_MASTER_KEY_CHECK (ID, SEALED, CREATED_AT) VALUES (1, ?, ?)")) {
                ps.setString(1, sealed);
                ps.setTimestamp(2, Timestamp.from(Instant.now()));
                ps.executeUpdate();
            }
            return null;
        });
    }

    private static boolean insert(Database database, String sealed) throws SQLException {
        try {
            database.inTransaction(c -> {
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO PM_MASTER_KEY_CHECK (ID, SEALED, CREATED_AT) VALUES (1, ?, ?)")) {
                    ps.setString(1, sealed);
                    ps.setTimestamp(2, Timestamp.from(Instant.now()));
                    ps.executeUpdate();
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
}
