package io.printmaster.server.releases.impl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.security.api.SecretBox;
import io.printmaster.store.AuditLog;
import io.printmaster.store.Database;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.framework.InvalidSyntaxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Release sources added through the API, kept as Configuration Admin factory configurations
 * ({@code getFactoryConfiguration(factoryPid, name, "?")}, so the plugin bundle binds them) and in the database,
 * because the framework cache that holds Configuration Admin's own copy is wiped at every start: at activation every
 * stored source is applied again. Secrets (the GitHub token) are stored sealed with the server's {@link SecretBox}
 * and live in clear only in memory, inside Configuration Admin; they are never returned nor audited.
 */
@Component(service = SourceConfigurations.class)
public class SourceConfigurations {
    private static final Logger LOG = LoggerFactory.getLogger(SourceConfigurations.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() { };
    /** Location "?" (a multi-location): the configuration binds to whichever bundle registers the factory. */
    static final String ANY_LOCATION = "?";
    /**
     * Marks a configuration seeded by the server itself. A private key (leading dot): Declarative Services does not
     * copy it into the plugin's service properties.
     */
    static final String ORIGIN_KEY = ".pm.origin";
    static final String BUILT_IN = "built-in";

    /**
     * A configured source as the API shows it: {@code config} without secrets, {@code secretsSet} naming the secret
     * keys that have a value. {@code origin}: {@code api} (added through the API, stored here), {@code file}
     * (a {@code .cfg} file in {@code etc/}, read-only here) or {@code built-in} (seeded at every start by
     * {@link BuiltInReleaseSource} from the server's own distribution; read-only).
     */
    record Source(String name, String type, Map<String, Object> config, List<String> secretsSet, String origin,
                  Instant createdAt, String createdBy, String problem) {
    }

    private final ConfigurationAdmin configAdmin;
    private final Database database;
    private final SecretBox secrets;
    private final AuditLog audit;
    private final Clock clock;

    @Activate
    public SourceConfigurations(@Reference ConfigurationAdmin configAdmin, @Reference ReleaseStore store,
                                @Reference SecretBox secrets, @Reference AuditLog audit) {
        this(configAdmin, store.database(), secrets, audit, Clock.systemUTC());
    }

    SourceConfigurations(ConfigurationAdmin configAdmin, Database database, SecretBox secrets, AuditLog audit, Clock clock) {
        this.configAdmin = configAdmin;
        this.database = database;
        this.secrets = secrets;
        this.audit = audit;
        this.clock = clock;
        reapply();
    }

    /** Gives Configuration Admin every stored source again (its own store was wiped at start). */
    private void reapply() {
        List<StoredRow> rows;
        try {
            rows = database.read(SourceConfigurations::rows);
        } catch (SQLException e) {
            LOG.error("cannot read the stored release sources; none is configured: {}", e.toString());
            return;
        }
        for (StoredRow row : rows) {
            try {
                SourceType type = SourceType.fromWireName(row.type())
                        .orElseThrow(() -> new IllegalStateException("unknown source type " + row.type()));
                Map<String, Object> all = new LinkedHashMap<>(row.config());
                all.putAll(unseal(row));
                Configuration c = configAdmin.getFactoryConfiguration(type.factoryPid(), row.name(), ANY_LOCATION);
                c.updateIfDifferent(dictionary(type, row.name(), all));
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                LOG.error("release source '{}' cannot be configured: {}", row.name(), e.toString());
            }
        }
        if (!rows.isEmpty()) {
            LOG.info("{} release source configuration(s) applied", rows.size());
        }
    }

    /** Every configured source: those added through the API, then those from files, by name. */
    List<Source> list() throws SQLException {
        List<Source> out = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (StoredRow row : database.read(SourceConfigurations::rows)) {
            String problem = null;
            List<String> set = new ArrayList<>(row.sealed() == null ? List.of() : secretNames(row));
            if (row.sealed() != null && set.isEmpty()) {
                problem = "its secret cannot be decrypted with this server's master key: add the source again";
            }
            out.add(new Source(row.name(), row.type(), row.config(), set, "api", row.createdAt(), row.createdBy(), problem));
            names.add(row.name());
        }
        for (Configuration c : fileConfigurations()) {
            Dictionary<String, Object> p = c.getProperties();
            Optional<SourceType> type = SourceType.fromFactoryPid(c.getFactoryPid());
            if (p == null || type.isEmpty()) {
                continue;
            }
            String name = p.get(SourceType.NAME_KEY) instanceof String s ? s : c.getPid();
            if (names.contains(name)) {
                continue;
            }
            Map<String, Object> config = new LinkedHashMap<>();
            List<String> set = new ArrayList<>();
            for (String key : type.get().keys().keySet()) {
                boolean secret = type.get().secretKeys().contains(key);
                Object v = secret && p.get(privateKey(key)) != null ? p.get(privateKey(key)) : p.get(key);
                if (v == null) {
                    continue;
                }
                if (secret) {
                    set.add(key);
                } else {
                    config.put(key, v);
                }
            }
            out.add(new Source(name, type.get().wireName(), config, set, "file", null, null, null));
            names.add(name);
        }
        for (Configuration c : builtInConfigurations()) {
            Dictionary<String, Object> p = c.getProperties();
            Optional<SourceType> type = SourceType.fromFactoryPid(c.getFactoryPid());
            if (p == null || type.isEmpty() || !(p.get(SourceType.NAME_KEY) instanceof String name) || names.contains(name)) {
                continue;
            }
            Map<String, Object> config = new LinkedHashMap<>();
            for (String key : type.get().keys().keySet()) {
                if (p.get(key) != null && !type.get().secretKeys().contains(key)) {
                    config.put(key, p.get(key));
                }
            }
            out.add(new Source(name, type.get().wireName(), config, List.of(), BUILT_IN, null, null, null));
        }
        out.sort((a, b) -> a.name().compareTo(b.name()));
        return out;
    }

    /** What creating a source did. */
    enum Created { CREATED, NAME_TAKEN }

    /**
     * Stores and configures a source whose configuration was validated ({@link SourceType#validate}); the stored row,
     * its audit entry and the Configuration Admin update succeed or fail together.
     */
    Created create(SourceType type, String name, Map<String, Object> config, String actor) throws SQLException {
        Map<String, Object> plain = new LinkedHashMap<>();
        Map<String, Object> secret = new LinkedHashMap<>();
        config.forEach((k, v) -> (type.secretKeys().contains(k) ? secret : plain).put(k, v));
        byte[] sealed = secret.isEmpty() ? null : seal(name, secret);
        Instant now = clock.instant();
        return database.inTransaction(c -> {
            if (exists(c, name) || configuredByFile(name) || builtIn(name)) {
                return Created.NAME_TAKEN;
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO PM_RELEASE_SOURCE (NAME, TYPE, CONFIG_JSON, "
                    + "TOKEN_SEALED, CREATED_AT, CREATED_BY) VALUES (?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, name);
                ps.setString(2, type.wireName());
                ps.setString(3, json(plain));
                ps.setBytes(4, sealed); // null: no token (setNull with Types.BLOB would mean an OID on PostgreSQL)
                ps.setTimestamp(5, Timestamp.from(now));
                ps.setString(6, actor);
                ps.executeUpdate();
            }
            audit.record(c, actor, "release_source.create", "release_source:" + name, null, null,
                    auditView(type, name, plain, secret.keySet()));
            try {
                Configuration cfg = configAdmin.getFactoryConfiguration(type.factoryPid(), name, ANY_LOCATION);
                cfg.update(dictionary(type, name, config));
            } catch (IOException e) {
                throw new SQLException("Configuration Admin refused the configuration: " + e.getMessage(), e);
            }
            return Created.CREATED;
        });
    }

    /**
     * Removes a source added through the API (its configuration and its row, audited).
     *
     * @return false when there is no such source; a file-configured source is not removed here
     */
    boolean delete(String name, String actor) throws SQLException {
        return database.inTransaction(c -> {
            Optional<StoredRow> row = row(c, name);
            if (row.isEmpty()) {
                return false;
            }
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM PM_RELEASE_SOURCE WHERE NAME = ?")) {
                ps.setString(1, name);
                ps.executeUpdate();
            }
            SourceType type = SourceType.fromWireName(row.get().type()).orElse(null);
            audit.record(c, actor, "release_source.delete", "release_source:" + name, null,
                    auditView(type, name, row.get().config(), secretNames(row.get())), null);
            if (type != null) {
                try {
                    for (Configuration cfg : configurations("(" + org.osgi.framework.Constants.SERVICE_PID + "="
                            + type.factoryPid() + "~" + escape(name) + ")")) {
                        cfg.delete();
                    }
                } catch (IOException e) {
                    throw new SQLException("Configuration Admin cannot delete the configuration: " + e.getMessage(), e);
                }
            }
            return true;
        });
    }

    /** True when a file in etc/ configures a source of this name (it cannot be replaced or removed here). */
    boolean configuredByFile(String name) {
        return fileConfigurations().stream().anyMatch(c -> {
            Dictionary<String, Object> p = c.getProperties();
            return p != null && name.equals(p.get(SourceType.NAME_KEY));
        });
    }

    /** True when the server seeded a source of this name itself (it cannot be replaced or removed through the API). */
    boolean builtIn(String name) {
        return builtInConfigurations().stream().anyMatch(c -> {
            Dictionary<String, Object> p = c.getProperties();
            return p != null && name.equals(p.get(SourceType.NAME_KEY));
        });
    }

    /** What seeding a built-in source did. */
    enum Seeded { CONFIGURED, UNCHANGED, NAME_TAKEN }

    /**
     * Configures (or confirms) a built-in source: a factory configuration marked {@value #ORIGIN_KEY}, not stored in
     * the database (it is derived from the installation, so it is seeded again at every start, like every other
     * configuration after Configuration Admin's store is wiped). A source of the same name added through the API or a
     * file keeps its name: then nothing is seeded.
     */
    Seeded seedBuiltIn(SourceType type, String name, Map<String, Object> config) throws SQLException, IOException {
        boolean taken = database.read(c -> exists(c, name)) || configuredByFile(name);
        if (taken) {
            return Seeded.NAME_TAKEN;
        }
        Dictionary<String, Object> d = dictionary(type, name, config);
        d.put(ORIGIN_KEY, BUILT_IN);
        Configuration cfg = configAdmin.getFactoryConfiguration(type.factoryPid(), name, ANY_LOCATION);
        return cfg.updateIfDifferent(d) ? Seeded.CONFIGURED : Seeded.UNCHANGED;
    }

    /** Removes a built-in source seeded earlier (its folder is gone); true when there was one. */
    boolean removeBuiltIn(String name) throws IOException {
        boolean removed = false;
        for (Configuration c : builtInConfigurations()) {
            Dictionary<String, Object> p = c.getProperties();
            if (p != null && name.equals(p.get(SourceType.NAME_KEY))) {
                c.delete();
                removed = true;
            }
        }
        return removed;
    }

    private List<Configuration> builtInConfigurations() {
        return configurations("(" + ORIGIN_KEY + "=" + BUILT_IN + ")");
    }

    private List<Configuration> fileConfigurations() {
        StringBuilder filter = new StringBuilder("(&(felix.fileinstall.filename=*)(|");
        for (SourceType t : SourceType.values()) {
            filter.append("(service.factoryPid=").append(t.factoryPid()).append(')');
        }
        filter.append("))");
        return configurations(filter.toString());
    }

    private List<Configuration> configurations(String filter) {
        try {
            Configuration[] found = configAdmin.listConfigurations(filter);
            return found == null ? List.of() : List.of(found);
        } catch (IOException | InvalidSyntaxException e) {
            LOG.warn("cannot list configurations {}: {}", filter, e.toString());
            return List.of();
        }
    }

    private static Map<String, Object> auditView(SourceType type, String name, Map<String, Object> plain,
                                                 java.util.Collection<String> secretKeys) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("type", type == null ? null : type.wireName());
        m.put("config", plain);
        // secrets are never written to the audit log: only that they are set
        m.put("secrets_set", List.copyOf(secretKeys));
        return m;
    }

    /**
     * The Configuration Admin properties: secrets under their private spelling ({@code .token}), which Declarative
     * Services does not copy into the plugin's service properties, so no bundle can read them from the registry.
     */
    private static Dictionary<String, Object> dictionary(SourceType type, String name, Map<String, Object> config) {
        Hashtable<String, Object> d = new Hashtable<>();
        config.forEach((k, v) -> d.put(type.secretKeys().contains(k) ? privateKey(k) : k, v));
        d.put(SourceType.NAME_KEY, name);
        return d;
    }

    static String privateKey(String key) {
        return "." + key;
    }

    // ---- rows -------------------------------------------------------------------------------------------------

    private record StoredRow(String name, String type, Map<String, Object> config, byte[] sealed, Instant createdAt,
                             String createdBy) {
    }

    private static List<StoredRow> rows(Connection c) throws SQLException {
        List<StoredRow> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(SELECT + " ORDER BY NAME"); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(row(rs));
            }
        }
        return out;
    }

    private static Optional<StoredRow> row(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SELECT + " WHERE NAME = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
        }
    }

    private static boolean exists(Connection c, String name) throws SQLException {
        return row(c, name).isPresent();
    }

    private static final String SELECT = "SELECT NAME, TYPE, CONFIG_JSON, TOKEN_SEALED, CREATED_AT, CREATED_BY FROM PM_RELEASE_SOURCE";

    private static StoredRow row(ResultSet rs) throws SQLException {
        Map<String, Object> config;
        try {
            config = JSON.readValue(rs.getString(3), MAP);
        } catch (JsonProcessingException e) {
            throw new SQLException("stored release source '" + rs.getString(1) + "' is unreadable", e);
        }
        return new StoredRow(rs.getString(1), rs.getString(2), Collections.unmodifiableMap(config), rs.getBytes(4),
                rs.getTimestamp(5).toInstant(), rs.getString(6));
    }

    private byte[] seal(String name, Map<String, Object> secret) {
        try {
            return secrets.seal(json(secret).getBytes(StandardCharsets.UTF_8), associatedData(name));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot encrypt the source's secret: " + e.getMessage(), e);
        }
    }

    private Map<String, Object> unseal(StoredRow row) throws GeneralSecurityException, IOException {
        if (row.sealed() == null) {
            return Map.of();
        }
        return JSON.readValue(secrets.open(row.sealed(), associatedData(row.name())), MAP);
    }

    private List<String> secretNames(StoredRow row) {
        try {
            return List.copyOf(unseal(row).keySet());
        } catch (GeneralSecurityException | IOException e) {
            return List.of();
        }
    }

    /** Binds the sealed secret to its source: it cannot be moved to another row. */
    private static byte[] associatedData(String name) {
        return ("release-source-secret:" + name).getBytes(StandardCharsets.UTF_8);
    }

    private static String json(Map<String, Object> m) {
        try {
            return JSON.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Escapes a value for an LDAP filter (RFC 4515). */
    static String escape(String value) {
        StringBuilder sb = new StringBuilder();
        for (char ch : value.toCharArray()) {
            switch (ch) {
                case '\\', '*', '(', ')' -> sb.append('\\').append(ch);
                default -> sb.append(ch);
            }
        }
        return sb.toString();
    }
}
