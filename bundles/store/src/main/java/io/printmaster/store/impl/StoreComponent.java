package io.printmaster.store.impl;

import io.printmaster.store.Database;
import io.printmaster.store.Migration;
import io.printmaster.store.SchemaException;
import io.printmaster.store.StorageState;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The one {@link Database} service: PostgreSQL when the framework property {@value #URL_PROPERTY} holds a URL (the
 * launcher's {@code --database} / {@code PM_DATABASE_URL}), embedded Derby otherwise ({@link DerbyDatabase}). Every
 * call goes to the engine chosen at activation.
 *
 * <p><b>Failures are reported, not thrown, at activation.</b> When the database cannot be opened (Derby's folder not
 * writable or locked by another process, PostgreSQL unreachable, a malformed URL) the service is still registered,
 * an error naming the cause is logged, and {@link #state()} is down with that cause; {@link #migrate} then throws
 * {@link SchemaException} and the other calls {@link SQLException}. Throwing from activation instead would leave no
 * service at all, and the health endpoint could only say "no database" without the reason. Components that need
 * the store run {@code migrate} when they activate, so they fail to activate with the reason in their message.
 */
// immediate: open (or report why not) at startup, and do not close the database whenever the last user lets go
@Component(service = Database.class, configurationPid = StoreComponent.PID, immediate = true)
@Designate(ocd = StoreComponent.Config.class)
public final class StoreComponent implements Database {

    /** Configuration PID of the store. */
    public static final String PID = "io.printmaster.store";
    /** Framework property with the PostgreSQL URL; absent or empty: embedded Derby. */
    public static final String URL_PROPERTY = "pm.database.url";

    @ObjectClassDefinition(name = "PrintMaster store",
            description = "The server's database: embedded Apache Derby, or PostgreSQL when pm.database.url is set.")
    public @interface Config {
        @AttributeDefinition(name = "Database folder",
                description = "Folder of the Derby database. A relative path is resolved against the data"
                        + " directory (pm.data.dir). Empty: <data dir>/db.", required = false)
        String path() default "";

        @AttributeDefinition(name = "Pool size", description = "Connections kept open to the database (Derby or"
                + " PostgreSQL). 0: twice the processors plus four.", min = "0", max = "1000", required = false)
        int pool_size() default 0;

        @AttributeDefinition(name = "Connect wait", description = "Seconds to keep trying to reach PostgreSQL at"
                + " start before the store reports itself down.", min = "0", required = false)
        int connect_wait_seconds() default 30;
    }

    private final JdbcDatabase engine;

    @Activate
    public StoreComponent(BundleContext context, Config config) {
        String url = context.getProperty(URL_PROPERTY);
        if (url != null && !url.isBlank()) {
            engine = postgres(url, config);
        } else {
            String dataDir = context.getProperty(DerbyDatabase.DATA_DIR_PROPERTY);
            engine = new DerbyDatabase(DerbyDatabase.Location.of(dataDir, config.path()),
                    DerbyDatabase.derbyLog(dataDir), config.pool_size());
        }
    }

    private static JdbcDatabase postgres(String url, Config config) {
        PostgresUrl parsed;
        try {
            parsed = PostgresUrl.parse(url);
        } catch (IllegalArgumentException e) {
            // the launcher refuses a malformed URL; set by other means it still must not start a Derby instead
            return new JdbcDatabase.Down("postgresql", "framework property " + URL_PROPERTY + ": "
                    + e.getMessage());
        }
        return new PostgresDatabase(parsed, config.pool_size(), Math.max(0, config.connect_wait_seconds()));
    }

    @Deactivate
    void close() {
        engine.close();
    }

    @Override
    public void migrate(String module, List<Migration> migrations) throws SchemaException {
        engine.migrate(module, migrations);
    }

    @Override
    public <T> T inTransaction(SqlWork<T> work) throws SQLException {
        return engine.inTransaction(work);
    }

    @Override
    public <T> T inRetryingTransaction(SqlWork<T> work) throws SQLException {
        return engine.inRetryingTransaction(work);
    }

    @Override
    public void afterCommit(Connection connection, Runnable action) {
        engine.afterCommit(connection, action);
    }

    @Override
    public <T> T read(SqlWork<T> work) throws SQLException {
        return engine.read(work);
    }

    @Override
    public StorageState state() {
        return engine.state();
    }
}
