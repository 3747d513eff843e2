package io.printmaster.server.launcher.selfupdate;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The JSON of the self-update hand-over file, read and written on the launcher's class path, which has no JSON
 * library (Jackson is a bundle). Objects, strings, numbers, booleans and null; arrays are refused: the hand-over has
 * none. Numbers are kept as their text.
 */
final class FlatJson {
    private final String text;
    private int at;

    private FlatJson(String text) {
        this.text = text;
    }

    /** @throws IllegalArgumentException naming the offset when {@code text} is not one such JSON object */
    static Map<String, Object> parse(String text) {
        FlatJson p = new FlatJson(text);
        p.blank();
        Map<String, Object> value = p.object();
        p.blank();
        if (p.at != text.length()) {
            throw p.error("text after the object");
        }
        return value;
    }

    private Map<String, Object> object() {
        expect('{');
        Map<String, Object> out = new LinkedHashMap<>();
        blank();
        if (peek() == '}') {
            at++;
            return out;
        }
        while (true) {
            blank();
            String key = string();
            blank();
            expect(':');
            blank();
            out.put(key, value());
            blank();
            char c = next();
            if (c == '}') {
                return out;
            }
            if (c != ',') {
                throw error("',' or '}' expected");
            }
        }
    }

    private Object value() {
        char c = peek();
        if (c == '{') {
            return object();
        }
        if (c == '"') {
            return string();
        }
        for (String word : new String[] {"true", "false", "null"}) {
            if (text.startsWith(word, at)) {
                at += word.length();
                return word.equals("null") ? null : Boolean.valueOf(word);
            }
        }
        int start = at;
        while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
            at++;
        }
        if (start == at) {
            throw error("a value expected");
        }
        return text.substring(start, at);
    }

    private String string() {
        expect('"');
        StringBuilder s = new StringBuilder();
        while (true) {
            char c = next();
            if (c == '"') {
                return s.toString();
            }
            if (c != '\\') {
                s.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"', '\\', '/' -> s.append(e);
                case 'b' -> s.append('\b');
                case 'f' -> s.append('\f');
                case 'n' -> s.append('\n');
                case 'r' -> s.append('\r');
                case 't' -> s.append('\t');
                case 'u' -> {
                    if (at + 4 > text.length()) {
                        throw error("short \\u escape");
                    }
                    s.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                    at += 4;
                }
                default -> throw error("unknown escape \\" + e);
            }
        }
    }

    private void blank() {
        while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
            at++;
        }
    }

    private char peek() {
        if (at >= text.length()) {
            throw error("unexpected end");
        }
        return text.charAt(at);
    }

    private char next() {
        char c = peek();
        at++;
        return c;
    }

    private void expect(char c) {
        if (next() != c) {
            at--;
            throw error("'" + c + "' expected");
        }
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("not the JSON of a hand-over at offset " + at + ": " + what);
    }

    /** Writes {@code value} (maps, strings, numbers, booleans, null) as JSON, members in the map's order. */
    static String write(Map<String, ?> value) {
        StringBuilder out = new StringBuilder();
        write(out, value, "");
        return out.append('\n').toString();
    }

    private static void write(StringBuilder out, Object value, String indent) {
        if (value instanceof Map<?, ?> map) {
            out.append("{");
            String inner = indent + "  ";
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                out.append(first ? "\n" : ",\n").append(inner);
                quote(out, String.valueOf(e.getKey()));
                out.append(": ");
                write(out, e.getValue(), inner);
                first = false;
            }
            out.append(first ? "}" : "\n" + indent + "}");
        } else if (value == null) {
            out.append("null");
        } else if (value instanceof Boolean || value instanceof Number) {
            out.append(value);
        } else {
            quote(out, value.toString());
        }
    }

    private static void quote(StringBuilder out, String s) {
        out.append('"');
        for (char c : s.toCharArray()) {
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
}
