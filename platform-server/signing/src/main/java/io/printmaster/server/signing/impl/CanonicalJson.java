package io.printmaster.server.signing.impl;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * Canonical JSON (RFC 8785, JCS) for flat objects of strings, which is all a rotation statement needs: members sorted
 * by name (UTF-16 code units, which is {@link String#compareTo}), no whitespace, strings escaped the way
 * ECMAScript's {@code JSON.stringify} does, UTF-8. Signers and verifiers that rebuild the object get the same bytes;
 * verifiers should still check the bytes they were given, never a rebuilt object.
 */
final class CanonicalJson {
    private CanonicalJson() {
    }

    /**
     * @throws IllegalArgumentException for a string with an unpaired surrogate (not representable in UTF-8)
     */
    static byte[] object(Map<String, String> members) {
        StringBuilder out = new StringBuilder("{");
        boolean first = true;
        for (Map.Entry<String, String> member : new TreeMap<>(members).entrySet()) {
            if (!first) {
                out.append(',');
            }
            first = false;
            string(out, member.getKey());
            out.append(':');
            string(out, member.getValue());
        }
        return out.append('}').toString().getBytes(StandardCharsets.UTF_8);
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
                        out.append(String.format("\\u%04x", (int) c));
                    } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                        out.append(c).append(s.charAt(++i));
                    } else if (Character.isSurrogate(c)) {
                        throw new IllegalArgumentException("unpaired surrogate at index " + i);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
