package io.printmaster.server.signing.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CanonicalJsonTest {

    private static String json(Map<String, String> members) {
        return new String(CanonicalJson.object(members), StandardCharsets.UTF_8);
    }

    @Test
    void sortsMembersAndWritesNoWhitespace() {
        Map<String, String> members = new LinkedHashMap<>();
        members.put("type", "t");
        members.put("b", "2");
        members.put("a", "1");
        members.put("a_b", "3");
        assertEquals("{\"a\":\"1\",\"a_b\":\"3\",\"b\":\"2\",\"type\":\"t\"}", json(members));
        assertEquals("{}", json(Map.of()));
    }

    @Test
    void escapesLikeJsonStringifyAndKeepsOtherCharactersAsUtf8() {
        assertEquals("{\"k\":\"q\\\" b\\\\ n\\n t\\t c\\u001f é €\"}", json(Map.of("k", "q\" b\\ n\n t\t c\u001f é €")));
        assertArrayEquals(new byte[] {'{', '"', 'k', '"', ':', '"', (byte) 0xc3, (byte) 0xa9, '"', '}'},
                CanonicalJson.object(Map.of("k", "é")));
        assertEquals("{\"k\":\"\uD83D\uDE00\"}", json(Map.of("k", "\uD83D\uDE00")));
    }

    @Test
    void sortsByUtf16CodeUnitsAsRfc8785Says() {
        // RFC 8785 3.2.3: "\u20ac" (euro) sorts before "\uD83D\uDE00" (an emoji, a surrogate pair) by code units
        Map<String, String> members = new LinkedHashMap<>();
        members.put("\uD83D\uDE00", "emoji");
        members.put("\u20ac", "euro");
        members.put("\r", "cr");
        assertEquals("{\"\\r\":\"cr\",\"\u20ac\":\"euro\",\"\uD83D\uDE00\":\"emoji\"}", json(members));
    }

    @Test
    void refusesUnpairedSurrogates() {
        assertThrows(IllegalArgumentException.class, () -> CanonicalJson.object(Map.of("k", "\uD83D")));
    }
}
