package io.printmaster.server.signing.api;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Canonical JSON in the style of RFC 8785 (JSON Canonicalization Scheme) for the values a manifest holds: objects
 * with members sorted by name (compared as UTF-16 code units, as RFC 8785 says), no whitespace, strings escaped
 * minimally ({@code \"}, {@code \\}, {@code \b \f \n \r \t}, other control characters as {@code \}{@code u00xx} in
 * lowercase hex, everything else as literal UTF-8), integers only (no floating point, so no number formatting
 * questions), {@code true}, {@code false}, {@code null}. Equal values always give equal bytes, so signers and
 * verifiers that rebuild a value agree on what was signed (the server's manifests and signing-key rotation
 * statements); verifiers should still check the bytes they were given, never a rebuilt value.
 */
public final class CanonicalJson {
    private CanonicalJson() {
    }

    /**
     * The canonical UTF-8 bytes of {@code value}: a {@link Map} with {@link String} keys, a {@link Collection}, a
     * {@link String}, an {@link Integer} or {@link Long}, a {@link Boolean} or null.
     *
     * @throws IllegalArgumentException for any other type (floating point in particular), a non-string key, or a
     *     string with a lone surrogate (not representable in UTF-8)
     */
    public static byte[] bytes(Object value) {
        StringBuilder out = new StringBuilder(512);
        write(out, value);
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void write(StringBuilder out, Object value) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof String s) {
            string(out, s);
        } else if (value instanceof Boolean b) {
            out.append(b.booleanValue());
        } else if (value instanceof Integer || value instanceof Long) {
            out.append(((Number) value).longValue());
        } else if (value instanceof Map<?, ?> map) {
            object(out, map);
        } else if (value instanceof Collection<?> list) {
            out.append('[');
            boolean first = true;
            for (Object item : list) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                write(out, item);
            }
            out.append(']');
        } else {
            throw new IllegalArgumentException("canonical JSON holds no " + value.getClass().getName()
                    + ": use strings, integers, booleans, lists and maps");
        }
    }

    private static void object(StringBuilder out, Map<?, ?> map) {
        List<String> keys = new ArrayList<>(map.size());
        for (Object k : map.keySet()) {
            if (!(k instanceof String s)) {
                throw new IllegalArgumentException("object member names must be strings, not " + k);
            }
            keys.add(s);
        }
        // String.compareTo compares UTF-16 code units: exactly the order RFC 8785 prescribes
        keys.sort(String::compareTo);
        out.append('{');
        for (int i = 0; i < keys.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            string(out, keys.get(i));
            out.append(':');
            write(out, map.get(keys.get(i)));
        }
        out.append('}');
    }

    private static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append("\\u00").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
                    } else if (Character.isSurrogate(c) && !(Character.isHighSurrogate(c) && i + 1 < s.length()
                            && Character.isLowSurrogate(s.charAt(i + 1)))
                            && !(Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(s.charAt(i - 1)))) {
                        throw new IllegalArgumentException("string holds a lone surrogate at index " + i + ": not valid Unicode");
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
