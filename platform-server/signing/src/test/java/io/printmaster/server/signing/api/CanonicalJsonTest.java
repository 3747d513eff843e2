package io.printmaster.server.signing.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Canonical bytes: sorted members, no whitespace, minimal escapes, integers only. */
class CanonicalJsonTest {

    private static String canonical(Object value) {
        return new String(CanonicalJson.bytes(value), StandardCharsets.UTF_8);
    }

    @Test
    void membersAreSortedAndNothingIsPadded() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", "0.9.14");
        m.put("bundles", List.of());
        m.put("a", Map.of("z", 1, "b", true));
        m.put("size_bytes", 12345678901L);
        m.put("published_at", null);
        assertEquals("{\"a\":{\"b\":true,\"z\":1},\"bundles\":[],\"published_at\":null,\"size_bytes\":12345678901,\"version\":\"0.9.14\"}",
                canonical(m));
    }

    @Test
    void equalValuesGiveEqualBytesWhateverTheInsertionOrder() {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("x", 1);
        a.put("y", List.of("p", "q"));
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("y", List.of("p", "q"));
        b.put("x", 1);
        assertEquals(Arrays.toString(CanonicalJson.bytes(a)), Arrays.toString(CanonicalJson.bytes(b)));
    }

    @Test
    void stringsAreEscapedAsRfc8785Says() {
        assertEquals("\"quote\\\" backslash\\\\ nl\\n tab\\t bell\\u0007 del\u007f é € 😀 /\"",
                canonical("quote\" backslash\\ nl\n tab\t bell\u0007 del\u007f é € 😀 /"));
        // non-ASCII stays literal UTF-8
        assertEquals(List.of((byte) 0x22, (byte) 0xc3, (byte) 0xa9, (byte) 0x22),
                toList(CanonicalJson.bytes("é")));
    }

    @Test
    void memberNamesSortByUtf16CodeUnits() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("\u20ac", 1); // € U+20AC
        m.put("\ud83d\ude00", 2); // 😀 surrogates D83D DE00 sort before U+20AC? no: 0xD83D > 0x20AC
        m.put("Z", 3);
        m.put("a", 4);
        assertEquals("{\"Z\":3,\"a\":4,\"\u20ac\":1,\"\ud83d\ude00\":2}", canonical(m));
    }

    @Test
    void floatingPointAndLoneSurrogatesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> CanonicalJson.bytes(Map.of("x", 1.5)));
        assertThrows(IllegalArgumentException.class, () -> CanonicalJson.bytes("\ud800"));
    }

    private static List<Byte> toList(byte[] b) {
        Byte[] boxed = new Byte[b.length];
        for (int i = 0; i < b.length; i++) {
            boxed[i] = b[i];
        }
        return List.of(boxed);
    }

    @Test
    void aFlatObjectOfStringsIsWhatJsonStringifyWritesWithSortedMembers() {
        // the shape of a signing-key rotation statement
        Map<String, String> members = new LinkedHashMap<>();
        members.put("type", "t");
        members.put("b", "2");
        members.put("a", "1");
        members.put("a_b", "3");
        assertEquals("{\"a\":\"1\",\"a_b\":\"3\",\"b\":\"2\",\"type\":\"t\"}", canonical(members));
        assertEquals("{}", canonical(Map.of()));
        assertEquals("{\"k\":\"q\\\" b\\\\ n\\n t\\t c\\u001f é €\"}", canonical(Map.of("k", "q\" b\\ n\n t\t c\u001f é €")));
        assertEquals(List.of((byte) '{', (byte) '"', (byte) 'k', (byte) '"', (byte) ':', (byte) '"', (byte) 0xc3,
                (byte) 0xa9, (byte) '"', (byte) '}'), bytesOf(CanonicalJson.bytes(Map.of("k", "é"))));
        assertEquals("{\"k\":\"\uD83D\uDE00\"}", canonical(Map.of("k", "\uD83D\uDE00")));
        assertThrows(IllegalArgumentException.class, () -> CanonicalJson.bytes(Map.of("k", "\uD83D")));
    }

    private static List<Byte> bytesOf(byte[] b) {
        List<Byte> out = new java.util.ArrayList<>();
        for (byte x : b) {
            out.add(x);
        }
        return out;
    }
}
