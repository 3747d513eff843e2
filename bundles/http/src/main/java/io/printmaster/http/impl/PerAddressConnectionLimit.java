package io.printmaster.http.impl;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.SelectableChannel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.eclipse.jetty.io.SelectorManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caps the open connections of one client address. Jetty's own {@code NetworkConnectionLimit} counts all
 * connections together (and stops accepting when the count is reached, for everyone); this listener closes only the
 * connection that goes over the cap of its own address, right after it is accepted, before any byte of it is read.
 *
 * <p>The address is the TCP peer: a connection is counted before any request says who it forwards for. A trusted
 * reverse proxy carries many clients over its connections and is not capped here (it should enforce its own
 * limits); the per-address caps on requests (event streams, login, enrollment) use the forwarded address.
 */
final class PerAddressConnectionLimit implements SelectorManager.AcceptListener {
    private static final Logger LOG = LoggerFactory.getLogger(PerAddressConnectionLimit.class);
    /** At most one refusal per address is logged in this period: a flood must not flood the log too. */
    private static final long LOG_EVERY_NANOS = 60_000_000_000L;

    private final IntSupplier maxPerAddress;
    private final Supplier<TrustedProxies> trusted;
    private final Map<InetAddress, AtomicInteger> open = new ConcurrentHashMap<>();
    /** The channels counted, so a close is uncounted exactly once whatever Jetty reports about it. */
    private final Map<SelectableChannel, InetAddress> counted = new ConcurrentHashMap<>();
    private final Map<InetAddress, AtomicLong> lastLogged = new ConcurrentHashMap<>();
    private final AtomicLong refused = new AtomicLong();

    PerAddressConnectionLimit(IntSupplier maxPerAddress, Supplier<TrustedProxies> trusted) {
        this.maxPerAddress = maxPerAddress;
        this.trusted = trusted;
    }

    @Override
    public void onAccepting(SelectableChannel channel) {
        InetAddress address = peer(channel);
        if (address == null || trusted.get().contains(address)) {
            return;
        }
        int max = maxPerAddress.getAsInt();
        AtomicInteger count = open.computeIfAbsent(address, a -> new AtomicInteger());
        if (max > 0 && count.incrementAndGet() > max) {
            count.decrementAndGet();
            refused.incrementAndGet();
            logRefusal(address, max);
            try {
                channel.close();
            } catch (IOException e) {
                // closing is all we wanted
            }
            return;
        }
        if (max <= 0) {
            count.incrementAndGet();
        }
        counted.put(channel, address);
    }

    @Override
    public void onAcceptFailed(SelectableChannel channel, Throwable cause) {
        release(channel);
    }

    @Override
    public void onClosed(SelectableChannel channel) {
        release(channel);
    }

    private void release(SelectableChannel channel) {
        InetAddress address = counted.remove(channel);
        if (address == null) {
            return;
        }
        open.computeIfPresent(address, (a, c) -> c.decrementAndGet() <= 0 ? null : c);
    }

    /** Open connections of one address, as counted. */
    int openConnections(InetAddress address) {
        AtomicInteger c = open.get(address);
        return c == null ? 0 : c.get();
    }

    long refusedConnections() {
        return refused.get();
    }

    private void logRefusal(InetAddress address, int max) {
        long now = System.nanoTime();
        AtomicLong last = lastLogged.computeIfAbsent(address, a -> new AtomicLong(now - LOG_EVERY_NANOS));
        long before = last.get();
        if (now - before >= LOG_EVERY_NANOS && last.compareAndSet(before, now)) {
            LOG.warn("{} holds {} connections, the most one address may (io.printmaster.http.connections "
                    + "max_connections_per_address); further connections from it are closed", address.getHostAddress(), max);
        }
        if (lastLogged.size() > 10_000) {
            lastLogged.clear();
        }
    }

    private static InetAddress peer(SelectableChannel channel) {
        if (!(channel instanceof java.nio.channels.SocketChannel socket)) {
            return null;
        }
        try {
            SocketAddress remote = socket.getRemoteAddress();
            return remote instanceof InetSocketAddress inet ? inet.getAddress() : null;
        } catch (IOException e) {
            return null;
        }
    }
}
