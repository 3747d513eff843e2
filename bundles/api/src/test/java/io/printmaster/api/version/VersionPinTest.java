package io.printmaster.api.version;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class VersionPinTest {

    private static SemanticVersion v(String s) {
        return SemanticVersion.parse(s);
    }

    @ParameterizedTest
    @CsvSource({"*,*", "latest,*", "LATEST,*", "x,*", "0.x,0.x", "0.X,0.x", "0.*,0.x", "v0.x,0.x", "0.x.x,0.x",
            "0.9.x,0.9.x", "0.9.*,0.9.x", "v0.9.X,0.9.x", "0.9.14,0.9.14", "v0.9.14,0.9.14", "1.0.0-rc.1,1.0.0-rc.1"})
    void parsesAndPrintsCanonically(String text, String canonical) {
        assertEquals(canonical, VersionPin.parse(text).toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "0", "0.9", "x.9", "0.x.9", "01.x", "0.09.x", "1.2.3.4", "a.b.c", "0.9.14-", "**", "0..x"})
    void rejectsMalformedPins(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VersionPin.parse(text));
        assertTrue(e.getMessage().contains("is not a version pin"), e.getMessage());
        assertTrue(e.getMessage().contains("'" + text + "'"), e.getMessage());
    }

    @Test
    void anyMatchesEverything() {
        assertTrue(VersionPin.ANY.matches(v("0.0.1")));
        assertTrue(VersionPin.ANY.matches(v("99.0.0-rc.1")));
        assertTrue(VersionPin.ANY.isAny());
    }

    @Test
    void majorLineMatchesSameMajorOnly() {
        VersionPin pin = VersionPin.parse("0.x");
        assertTrue(pin.matches(v("0.9.14")));
        assertTrue(pin.matches(v("0.10.0")));
        assertTrue(pin.matches(v("0.10.0-rc.1")), "pins look at numbers only");
        assertFalse(pin.matches(v("1.0.0")));
    }

    @Test
    void minorLineMatchesSameMinorOnly() {
        VersionPin pin = VersionPin.parse("0.9.x");
        assertTrue(pin.matches(v("0.9.0")));
        assertTrue(pin.matches(v("0.9.15")));
        assertFalse(pin.matches(v("0.10.0")));
        assertFalse(pin.matches(v("1.9.0")));
    }

    @Test
    void exactMatchesByPrecedence() {
        VersionPin pin = VersionPin.parse("0.9.14");
        assertTrue(pin.matches(v("0.9.14")));
        assertTrue(pin.matches(v("0.9.14+build.7")), "build metadata does not count");
        assertFalse(pin.matches(v("0.9.15")));
        assertFalse(pin.matches(v("0.9.14-rc.1")));
    }

    @Test
    void ofStrategy() {
        SemanticVersion current = v("0.9.14");
        assertEquals(VersionPin.parse("0.x"), VersionPin.of(PinStrategy.MAJOR, current));
        assertEquals(VersionPin.parse("0.9.x"), VersionPin.of(PinStrategy.MINOR, current));
        assertEquals(VersionPin.parse("0.9.14"), VersionPin.of(PinStrategy.PATCH, current));
        assertEquals("0.x", VersionPin.of(PinStrategy.MAJOR, current).toString());
        assertEquals("0.9.x", VersionPin.of(PinStrategy.MINOR, current).toString());
        assertEquals("0.9.14", VersionPin.of(PinStrategy.PATCH, current).toString());
    }

    @Test
    void equality() {
        assertEquals(VersionPin.parse("0.9.x"), VersionPin.minorLine(0, 9));
        assertEquals(VersionPin.parse("0.9.x").hashCode(), VersionPin.minorLine(0, 9).hashCode());
        assertEquals(VersionPin.parse("latest"), VersionPin.ANY);
        assertFalse(VersionPin.parse("0.x").equals(VersionPin.parse("0.0.x")));
    }

    @Test
    void pinStrategyWireNames() {
        assertEquals("major", PinStrategy.MAJOR.wireName());
        assertEquals("minor", PinStrategy.MINOR.wireName());
        assertEquals("patch", PinStrategy.PATCH.wireName());
        assertEquals(PinStrategy.MINOR, PinStrategy.fromWireName("minor"));
        assertEquals(PinStrategy.PATCH, PinStrategy.fromWireName("PATCH"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PinStrategy.fromWireName("exact"));
        assertEquals("unknown version pin strategy 'exact': expected one of major, minor, patch", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PinStrategy.fromWireName(null));
    }
}
