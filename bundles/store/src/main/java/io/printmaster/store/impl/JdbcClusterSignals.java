package io.printmaster.store.impl;

import io.printmaster.store.ClusterSignals;
import io.printmaster.store.Database;
import io.printmaster.store.Migrations;
import io.printmaster.store.SchemaException;
import io.printmaster.store.Signal;
import io.printmaster.store.SignalListener;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link ClusterSignals} in table {@code PM_SIGNAL} (module {@value #MODULE}). A signal is delivered to this
 * replica's listeners after its transaction commits ({@link Database#afterCommit}); a poller reads the signals of the
 * last {@link #WINDOW_SECONDS} every {@link #POLL_MILLIS} ms and delivers those not yet delivered here, which are the
 * other replicas' (and this replica's own, when a listener registered late). Reading a window instead of "after the
 * highest sequence seen" is what keeps a signal whose transaction committed after a later-numbered one.
 */
@Component(service = ClusterSignals.class, immediate = true)
public final class JdbcClusterSignals implements ClusterSignals {
    static final String MODULE = "signals";
    private static final Logger LOG = LoggerFactory.getLogger(JdbcClusterSignals.class);
    private static final long PRUNE_EVERY_MILLIS = 30_000;

    private final Database database;
    private final Clock clock;
    private final List<Registered> listeners = new CopyOnWriteArrayList<>();
    /** Sequence numbers delivered here, with when they were published; older than the window are forgotten. */
    private final Map<Long, Instant> delivered = new LinkedHashMap<>();
    private final ScheduledExecutorService poller;
    private volatile long lastPrune;

    private record Registered(SignalListener listener, List<String> topics) {
        boolean wants(String topic) {
            for (String t : topics) {
                if (t.endsWith("*") ? topic.startsWith(t.substring(0, t.length() - 1)) : topic.equals(t)) {
                    return true;
                }
            }
            return false;
        }
    }

    @Activate
    public JdbcClusterSignals(@Reference Database database) throws SchemaException {
        this(database, Clock.systemUTC(), true);
    }

    /** @param poll whether to start the poller (tests drive {@link #poll()} themselves when false) */
    JdbcClusterSignals(Database database, Clock clock, boolean poll) throws SchemaException {
        this.database = database;
        this.clock = clock;
        database.migrate(MODULE, Migrations.fromClasspath(JdbcClusterSignals.class, MODULE));
        this.poller = poll ? Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pm-cluster-signals");
            t.setDaemon(true);
            return t;
        }) : null;
        if (poller != null) {
            poller.scheduleWithFixedDelay(this::pollQuietly, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    @Deactivate
    void stop() {
        if (poller != null) {
            poller.shutdownNow();
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addListener(SignalListener listener, Map<String, Object> properties) {
        listeners.add(new Registered(listener, topics(properties.get(SignalListener.TOPICS))));
    }

    void removeListener(SignalListener listener) {
        listeners.removeIf(r -> r.listener() == listener);
    }

    private static List<String> topics(Object property) {
        List<String> out = new ArrayList<>();
        if (property instanceof String s) {
            out.add(s);
        } else if (property instanceof String[] many) {
            out.addAll(List.of(many));
        } else if (property instanceof Iterable<?> many) {
            many.forEach(t -> out.add(String.valueOf(t)));
        }
        return out;
    }

    @Override
    public void publish(Connection connection, String topic, String scope, String payload) throws SQLException {
        require(topic, "topic", 64, true);
        require(scope, "scope", 128, false);
        require(payload, "payload", 4000, false);
        Instant now = clock.instant();
        long seq;
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO PM_SIGNAL (TOPIC, SCOPE, PAYLOAD, PUBLISHED_AT) VALUES (?, ?, ?, ?)",
                Statement.RETURN_GENERATED_KEYS)) {
            insert.setString(1, topic);
            insert.setString(2, scope);
            insert.setString(3, payload);
            insert.setTimestamp(4, Timestamp.from(now), JdbcDatabase.utc());
            insert.executeUpdate();
            try (ResultSet keys = insert.getGeneratedKeys()) {
                if (!keys.next()) {
                    throw new SQLException("the database returned no sequence number for the signal");
                }
                seq = keys.getLong(1);
            }
        }
        Signal signal = new Signal(seq, topic, scope, payload, now);
        database.afterCommit(connection, () -> deliverOnce(signal));
    }

    private static void require(String value, String field, int max, boolean required) {
        if (value == null || value.isBlank()) {
            if (required) {
                throw new IllegalArgumentException(field + " is required");
            }
            return;
        }
        if (value.length() > max) {
            throw new IllegalArgumentException(field + " is longer than " + max + " characters");
        }
    }

    private void pollQuietly() {
        try {
            poll();
        } catch (SQLException | RuntimeException e) {
            LOG.debug("reading cluster signals failed (retried in {} ms): {}", POLL_MILLIS, e.toString());
        }
    }

    /** Delivers the signals of the window not delivered here yet; prunes the table now and then. */
    void poll() throws SQLException {
        Instant now = clock.instant();
        Instant from = now.minusSeconds(WINDOW_SECONDS);
        List<Signal> seen = database.read(c -> {
            List<Signal> out = new ArrayList<>();
            try (PreparedStatement q = c.prepareStatement("SELECT SEQ, TOPIC, SCOPE, PAYLOAD, PUBLISHED_AT FROM PM_SIGNAL"
                    + " WHERE PUBLISHED_AT >= ? ORDER BY SEQ")) {
                q.setTimestamp(1, Timestamp.from(from), JdbcDatabase.utc());
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Signal(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                                rs.getTimestamp(5, JdbcDatabase.utc()).toInstant()));
                    }
                }
            }
            return out;
        });
        for (Signal s : seen) {
            deliverOnce(s);
        }
        forgetBefore(from.minusSeconds(WINDOW_SECONDS));
        if (now.toEpochMilli() - lastPrune >= PRUNE_EVERY_MILLIS) {
            lastPrune = now.toEpochMilli();
            prune(now.minusSeconds(RETENTION_SECONDS));
        }
    }

    private void prune(Instant before) throws SQLException {
        int deleted = database.inTransaction(c -> {
            try (PreparedStatement d = c.prepareStatement("DELETE FROM PM_SIGNAL WHERE PUBLISHED_AT < ?")) {
                d.setTimestamp(1, Timestamp.from(before), JdbcDatabase.utc());
                return d.executeUpdate();
            }
        });
        LOG.trace("pruned {} cluster signals", deleted);
    }

    private void deliverOnce(Signal signal) {
        synchronized (delivered) {
            if (delivered.putIfAbsent(signal.seq(), signal.publishedAt()) != null) {
                return;
            }
        }
        for (Registered r : listeners) {
            if (r.wants(signal.topic())) {
                try {
                    r.listener().signalled(signal);
                } catch (RuntimeException e) {
                    LOG.warn("signal listener {} failed on {}: {}", r.listener().getClass().getName(), signal.topic(),
                            e.toString(), e);
                }
            }
        }
    }

    private void forgetBefore(Instant cutoff) {
        synchronized (delivered) {
            Iterator<Map.Entry<Long, Instant>> it = delivered.entrySet().iterator();
            while (it.hasNext()) {
                if (it.next().getValue().isBefore(cutoff)) {
                    it.remove();
                }
            }
        }
    }
}
