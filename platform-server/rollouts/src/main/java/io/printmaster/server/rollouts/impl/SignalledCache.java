package io.printmaster.server.rollouts.impl;

import java.sql.SQLException;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * A bounded in-process cache of answers read from the database, dropped when a cluster signal says their source
 * changed (never by a timeout alone).
 *
 * <p>Race safety: the cache keeps a generation that every invalidation bumps. A fill reads the generation before it
 * reads the database and stores its value only while the generation is unchanged, so a change committed while a
 * fill was reading (whose signal arrived before the fill finished) is never kept: the next lookup reads again.
 * Lookups are lock-free; fills and invalidations take one short lock.
 *
 * <p>Bounded: at {@code maxEntries} a fill first evicts an arbitrary entry, so memory stays bounded whatever the
 * number of agents or keys. With {@code maxEntries} 0 nothing is kept (every lookup loads).
 */
final class SignalledCache<K, V> {

    /** Reads the value of a key from the database. */
    @FunctionalInterface
    interface Loader<K, V> {
        V load(K key) throws SQLException;
    }

    private record Entry<V>(V value) {
    }

    private final int maxEntries;
    private final Map<K, Entry<V>> entries = new ConcurrentHashMap<>();
    private final Object lock = new Object();
    private long generation;

    SignalledCache(int maxEntries) {
        if (maxEntries < 0) {
            throw new IllegalArgumentException("maxEntries must be 0 (keep nothing) or more");
        }
        this.maxEntries = maxEntries;
    }

    /** The cached value of {@code key}, else the loader's (kept unless an invalidation raced it). Null values are kept. */
    V get(K key, Loader<K, V> loader) throws SQLException {
        Entry<V> e = entries.get(key);
        if (e != null) {
            return e.value();
        }
        long before = generation();
        V value = loader.load(key);
        synchronized (lock) {
            if (generation == before && maxEntries > 0) {
                if (entries.size() >= maxEntries && !entries.containsKey(key)) {
                    Iterator<K> any = entries.keySet().iterator();
                    if (any.hasNext()) {
                        entries.remove(any.next());
                    }
                }
                entries.put(key, new Entry<>(value));
            }
        }
        return value;
    }

    /** The cached value of {@code key} without loading it; null when there is none. */
    V peek(K key) {
        Entry<V> e = entries.get(key);
        return e == null ? null : e.value();
    }

    /** Replaces the value of {@code key} with one known to be current (written by this replica's own commit). */
    void put(K key, V value, long readAtGeneration) {
        synchronized (lock) {
            if (generation == readAtGeneration && (entries.size() < maxEntries || entries.containsKey(key))) {
                entries.put(key, new Entry<>(value));
            }
        }
    }

    void invalidate(K key) {
        synchronized (lock) {
            generation++;
            entries.remove(key);
        }
    }

    /** Drops every entry whose value matches (for keys that are not what the signal names, e.g. credential hashes). */
    void invalidateIf(Predicate<V> matches) {
        synchronized (lock) {
            generation++;
            entries.values().removeIf(e -> matches.test(e.value()));
        }
    }

    void invalidateAll() {
        synchronized (lock) {
            generation++;
            entries.clear();
        }
    }

    long generation() {
        synchronized (lock) {
            return generation;
        }
    }

    int size() {
        return entries.size();
    }
}
