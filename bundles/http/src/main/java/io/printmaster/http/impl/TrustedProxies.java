package io.printmaster.http.impl;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The addresses whose forwarded headers are believed ({@code PM_TRUSTED_PROXIES}): single addresses and CIDR blocks,
 * IPv4 and IPv6. Only literal addresses are accepted, never host names: a name would make trust depend on DNS.
 */
final class TrustedProxies {
    static final TrustedProxies NONE = new TrustedProxies(List.of(), "");

    private record Block(byte[] network, int prefixBits) {
        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = prefixBits / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefixBits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (address[full] & mask) == (network[full] & mask);
        }
    }

    private final List<Block> blocks;
    private final String text;

    private TrustedProxies(List<Block> blocks, String text) {
        this.blocks = blocks;
        this.text = text;
    }

    /**
     * Parses a comma-separated list such as {@code 10.0.0.5, 192.168.0.0/16, ::1}; blank means none.
     *
     * @throws IllegalArgumentException naming the entry that is not an address or CIDR block
     */
    static TrustedProxies parse(String list) {
        if (list == null || list.isBlank()) {
            return NONE;
        }
        List<Block> blocks = new ArrayList<>();
        for (String raw : list.split(",")) {
            String entry = raw.trim();
            if (entry.isEmpty()) {
                continue;
            }
            int slash = entry.indexOf('/');
            String addressPart = slash < 0 ? entry : entry.substring(0, slash);
            byte[] network = literal(addressPart)
                    .orElseThrow(() -> new IllegalArgumentException("'" + entry + "' is not an IP address or CIDR block"));
            int bits = network.length * 8;
            if (slash >= 0) {
                try {
                    bits = Integer.parseInt(entry.substring(slash + 1));
                } catch (NumberFormatException e) {
                    bits = -1;
                }
                if (bits < 0 || bits > network.length * 8) {
                    throw new IllegalArgumentException("'" + entry + "': the prefix length must be between 0 and "
                            + network.length * 8);
                }
            }
            blocks.add(new Block(network, bits));
        }
        return new TrustedProxies(List.copyOf(blocks), list.trim());
    }

    boolean isEmpty() {
        return blocks.isEmpty();
    }

    /** Whether the direct peer of a connection is a trusted proxy. */
    boolean contains(SocketAddress peer) {
        if (blocks.isEmpty() || !(peer instanceof InetSocketAddress inet) || inet.getAddress() == null) {
            return false;
        }
        return contains(inet.getAddress());
    }

    boolean contains(InetAddress address) {
        byte[] bytes = address.getAddress();
        for (Block b : blocks) {
            if (b.contains(bytes)) {
                return true;
            }
        }
        return false;
    }

    /** Whether a forwarded hop ({@code 203.0.113.7}, {@code [2001:db8::1]:4711}, {@code 10.0.0.1:80}) is trusted. */
    boolean containsHop(String hop) {
        return hopAddress(hop).map(this::contains).orElse(false);
    }

    /** The address of a forwarded hop, without port or brackets; empty for obfuscated or unknown hops. */
    static java.util.Optional<InetAddress> hopAddress(String hop) {
        String h = hop.trim();
        if (h.length() >= 2 && h.startsWith("\"") && h.endsWith("\"")) {
            h = h.substring(1, h.length() - 1).trim();
        }
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            if (end < 0) {
                return java.util.Optional.empty();
            }
            h = h.substring(1, end);
        } else if (h.indexOf(':') >= 0 && h.indexOf(':') == h.lastIndexOf(':')) {
            h = h.substring(0, h.indexOf(':')); // IPv4 with a port
        }
        return literal(h).map(bytes -> {
            try {
                return InetAddress.getByAddress(bytes);
            } catch (UnknownHostException e) {
                return null;
            }
        });
    }

    /** The bytes of a literal IPv4 or IPv6 address; empty for anything else (names are never looked up). */
    static java.util.Optional<byte[]> literal(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.isEmpty()) {
            return java.util.Optional.empty();
        }
        boolean v4 = t.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean v6 = !v4 && t.indexOf(':') >= 0 && t.matches("[0-9a-f:.]+");
        if (v4) {
            for (String part : t.split("\\.")) {
                if (Integer.parseInt(part) > 255) {
                    return java.util.Optional.empty();
                }
            }
        }
        if (!v4 && !v6) {
            return java.util.Optional.empty();
        }
        try {
            // a literal: InetAddress parses it without any name lookup
            return java.util.Optional.of(InetAddress.getByName(t).getAddress());
        } catch (UnknownHostException e) {
            return java.util.Optional.empty();
        }
    }

    @Override
    public String toString() {
        return text.isEmpty() ? "(none)" : text;
    }
}
