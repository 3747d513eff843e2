package io.printmaster.server.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The console's packed files, read once and kept in memory with a strong ETag computed from their bytes (the
 * console is a few dozen kilobytes). Only files that exist are remembered, so probing random names costs no memory.
 */
final class ConsoleAssets {
    /** Where the files sit inside the bundle. */
    static final String FOLDER = "console/";

    record Asset(String name, String contentType, byte[] bytes, String etag) {
    }

    private final Function<String, InputStream> opener;
    private final Map<String, Asset> loaded = new ConcurrentHashMap<>();

    /** @param opener opens a resource by its full name ({@code console/js/app.js}), null when absent */
    ConsoleAssets(Function<String, InputStream> opener) {
        this.opener = opener;
    }

    static ConsoleAssets fromClassLoader(ClassLoader loader) {
        return new ConsoleAssets(loader::getResourceAsStream);
    }

    Optional<Asset> find(String name) {
        Asset known = loaded.get(name);
        if (known != null) {
            return Optional.of(known);
        }
        byte[] bytes;
        try (InputStream in = opener.apply(FOLDER + name)) {
            if (in == null) {
                return Optional.empty();
            }
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read console file " + name, e);
        }
        Asset asset = new Asset(name, ContentTypes.of(name), bytes, etagOf(bytes));
        loaded.putIfAbsent(name, asset);
        return Optional.of(asset);
    }

    static String etagOf(byte[] bytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            return "\"" + HexFormat.of().formatHex(digest, 0, 16) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    /** True when an {@code If-None-Match} header names this ETag (weak comparison, as RFC 9110 asks for GET). */
    static boolean matches(String ifNoneMatch, String etag) {
        if (ifNoneMatch == null || ifNoneMatch.isBlank()) {
            return false;
        }
        for (String candidate : ifNoneMatch.split(",")) {
            String c = candidate.trim();
            if (c.equals("*")) {
                return true;
            }
            if (c.startsWith("W/")) {
                c = c.substring(2);
            }
            if (c.equals(etag)) {
                return true;
            }
        }
        return false;
    }
}
