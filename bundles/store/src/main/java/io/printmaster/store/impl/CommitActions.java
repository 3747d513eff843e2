package io.printmaster.store.impl;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The actions registered with {@link io.printmaster.store.Database#afterCommit} per open transaction, keyed by its
 * connection (identity): run after the commit, dropped on rollback.
 */
final class CommitActions {
    private static final Logger LOG = LoggerFactory.getLogger(CommitActions.class);

    private final Map<Connection, List<Runnable>> open = new ConcurrentHashMap<>();

    void begin(Connection c) {
        open.put(c, new ArrayList<>(0));
    }

    void add(Connection c, Runnable action) {
        Objects.requireNonNull(action, "action");
        List<Runnable> actions = open.get(Objects.requireNonNull(c, "connection"));
        if (actions == null) {
            throw new IllegalStateException("afterCommit needs the connection of a running transaction");
        }
        // one transaction runs on one thread; the list itself needs no lock
        actions.add(action);
    }

    void committed(Connection c) {
        List<Runnable> actions = open.remove(c);
        if (actions == null) {
            return;
        }
        for (Runnable action : actions) {
            try {
                action.run();
            } catch (RuntimeException e) {
                LOG.warn("an action after a commit failed (the commit stands): {}", e.toString(), e);
            }
        }
    }

    void discard(Connection c) {
        open.remove(c);
    }
}
