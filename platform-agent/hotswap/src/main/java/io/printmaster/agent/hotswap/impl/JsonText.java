package io.printmaster.agent.hotswap.impl;

import io.printmaster.agent.files.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes the engine's small JSON files (nested maps of strings) by hand and atomically. Deliberately no Jackson:
 * these files are written in the middle of a swap, when Jackson's bundle may be the one being replaced and classes
 * it has not loaded yet could no longer be loaded.
 */
final class JsonText {
    private JsonText() {
    }

    /** {@code value} is a String, a Map of String to such values, or null. */
    static String of(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value, "");
        return out.append('\n').toString();
    }

    private static void write(StringBuilder out, Object value, String indent) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof Map<?, ?> map) {
            if (map.isEmpty()) {
                out.append("{}");
                return;
            }
            out.append("{\n");
            String inner = indent + "  ";
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!first) {
                    out.append(",\n");
                }
                first = false;
                out.append(inner);
                string(out, String.valueOf(e.getKey()));
                out.append(": ");
                write(out, e.getValue(), inner);
            }
            out.append('\n').append(indent).append('}');
        } else {
            string(out, value.toString());
        }
    }

    private static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** Writes {@code file} whole and forced to disk ({@link AtomicFiles}): readers see the old or the new content. */
    static void writeAtomically(Path file, Object value) throws IOException {
        AtomicFiles.write(file, of(value).getBytes(StandardCharsets.UTF_8));
    }
}
