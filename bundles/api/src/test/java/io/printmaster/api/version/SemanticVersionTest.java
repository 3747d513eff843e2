package io.printmaster.api.version;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SemanticVersionTest {

    @Test
    void parsesPlainVersion() {
        SemanticVersion v = SemanticVersion.parse("1.2.3");
        assertEquals(1, v.major());
        assertEquals(2, v.minor());
        assertEquals(3, v.patch());
        assertTrue(v.preRelease().isEmpty());
        assertTrue(v.build().isEmpty());
        assertFalse(v.isPreRelease());
        assertEquals("1.2.3", v.toString());
    }

    @Test
    void dropsLeadingV() {
        assertEquals(SemanticVersion.of(1, 2, 3), SemanticVersion.parse("v1.2.3"));
        assertEquals("1.2.3", SemanticVersion.parse("V1.2.3").toString());
    }

    @Test
    void parsesPreReleaseAndBuild() {
        SemanticVersion v = SemanticVersion.parse("1.2.3-rc.1+build.5");
        assertEquals(List.of("rc", "1"), v.preRelease());
        assertEquals(List.of("build", "5"), v.build());
        assertTrue(v.isPreRelease());
        assertEquals("1.2.3-rc.1+build.5", v.toString());
    }

    @Test
    void buildMayContainHyphensAndLeadingZeros() {
        SemanticVersion v = SemanticVersion.parse("1.0.0+exp.sha-5114f85.007");
        assertEquals(List.of("exp", "sha-5114f85", "007"), v.build());
        assertFalse(v.isPreRelease());
    }

    @Test
    void preReleaseMayContainHyphens() {
        SemanticVersion v = SemanticVersion.parse("1.0.0-x-y-z.--");
        assertEquals(List.of("x-y-z", "--"), v.preRelease());
    }

    @Test
    void minorLine() {
        assertEquals("0.9", SemanticVersion.parse("0.9.14").minorLine());
        assertEquals("10.20", SemanticVersion.parse("10.20.30-rc.1").minorLine());
    }

    @Test
    void semverOrgPrecedenceChain() {
        List<String> chain = List.of("1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0");
        for (int i = 0; i + 1 < chain.size(); i++) {
            SemanticVersion lower = SemanticVersion.parse(chain.get(i));
            SemanticVersion higher = SemanticVersion.parse(chain.get(i + 1));
            assertTrue(lower.compareTo(higher) < 0, lower + " < " + higher);
            assertTrue(higher.compareTo(lower) > 0, higher + " > " + lower);
        }
        List<SemanticVersion> shuffled = new ArrayList<>(chain.stream().map(SemanticVersion::parse).toList());
        Collections.shuffle(shuffled, new Random(42));
        Collections.sort(shuffled);
        assertEquals(chain, shuffled.stream().map(SemanticVersion::toString).toList());
    }

    @Test
    void coreNumbersCompareNumerically() {
        List<String> chain = List.of("1.0.0", "2.0.0", "2.1.0", "2.1.1", "2.10.0", "10.0.0");
        for (int i = 0; i + 1 < chain.size(); i++) {
            assertTrue(SemanticVersion.parse(chain.get(i)).compareTo(SemanticVersion.parse(chain.get(i + 1))) < 0,
                    chain.get(i) + " < " + chain.get(i + 1));
        }
    }

    @Test
    void preReleaseBeforeReleaseButAfterLowerRelease() {
        assertTrue(SemanticVersion.parse("1.0.0-rc.1").compareTo(SemanticVersion.parse("1.0.0")) < 0);
        assertTrue(SemanticVersion.parse("1.0.0-rc.1").compareTo(SemanticVersion.parse("0.9.99")) > 0);
    }

    @Test
    void numericIdentifiersOfAnySizeCompareNumerically() {
        SemanticVersion small = SemanticVersion.parse("1.0.0-99999999999999999999");
        SemanticVersion big = SemanticVersion.parse("1.0.0-100000000000000000000");
        assertTrue(small.compareTo(big) < 0);
        assertTrue(SemanticVersion.parse("1.0.0-2").compareTo(SemanticVersion.parse("1.0.0-10")) < 0);
    }

    @Test
    void numericIdentifierBeforeAlphanumeric() {
        assertTrue(SemanticVersion.parse("1.0.0-999").compareTo(SemanticVersion.parse("1.0.0-a")) < 0);
        // "1a" is alphanumeric, not numeric
        assertTrue(SemanticVersion.parse("1.0.0-9").compareTo(SemanticVersion.parse("1.0.0-1a")) < 0);
    }

    @Test
    void alphanumericIdentifiersCompareInAsciiOrder() {
        assertTrue(SemanticVersion.parse("1.0.0-Beta").compareTo(SemanticVersion.parse("1.0.0-alpha")) < 0,
                "uppercase sorts before lowercase in ASCII");
    }

    @Test
    void buildMetadataIgnoredForPrecedenceAndEquality() {
        SemanticVersion a = SemanticVersion.parse("1.0.0+build.1");
        SemanticVersion b = SemanticVersion.parse("1.0.0+build.2");
        SemanticVersion plain = SemanticVersion.parse("1.0.0");
        assertEquals(0, a.compareTo(b));
        assertEquals(a, b);
        assertEquals(a, plain);
        assertEquals(a.hashCode(), b.hashCode());
        assertEquals(a.hashCode(), plain.hashCode());
        assertEquals("1.0.0+build.1", a.toString(), "toString keeps what was parsed");
    }

    @Test
    void differentPreReleasesAreNotEqual() {
        assertNotEquals(SemanticVersion.parse("1.0.0-rc.1"), SemanticVersion.parse("1.0.0-rc.2"));
        assertNotEquals(SemanticVersion.parse("1.0.0-rc.1"), SemanticVersion.parse("1.0.0"));
    }

    @Test
    void sameCore() {
        assertTrue(SemanticVersion.parse("1.0.0-rc.1").sameCoreAs(SemanticVersion.parse("1.0.0")));
        assertFalse(SemanticVersion.parse("1.0.0-rc.1").sameCoreAs(SemanticVersion.parse("1.0.1-rc.1")));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "''|empty version",
            "v|empty version",
            "1|expected MAJOR.MINOR.PATCH",
            "1.2|expected MAJOR.MINOR.PATCH",
            "1.2.3.4|expected MAJOR.MINOR.PATCH",
            "1..3|minor version '' is not a number",
            "1.a.3|minor version 'a' is not a number",
            "01.2.3|major version '01' must not have leading zeros",
            "1.02.3|minor version '02' must not have leading zeros",
            "1.2.03|patch version '03' must not have leading zeros",
            "-1.2.3|expected MAJOR.MINOR.PATCH",
            "1.2.3-|empty pre-release identifier",
            "1.2.3-rc..1|empty pre-release identifier",
            "1.2.3-01|numeric pre-release identifier '01' must not have leading zeros",
            "1.2.3-rc_1|pre-release identifier 'rc_1' may only contain [0-9A-Za-z-]",
            "1.2.3+|empty build metadata identifier",
            "1.2.3+a+b|build metadata identifier 'a+b' may only contain",
            "' 1.2.3'|major version ' 1' is not a number",
            "'1.2.3 '|patch version '3 ' is not a number",
            "99999999999.0.0|major version 99999999999 is too large",
            "vv1.2.3|major version 'v1' is not a number",
    })
    void rejectsInvalidWithClearMessage(String text, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SemanticVersion.parse(text));
        assertTrue(e.getMessage().contains(expected), () -> "message '" + e.getMessage() + "' should contain '" + expected + "'");
        assertTrue(e.getMessage().contains("'" + text + "'") || text.isEmpty() || text.equals("v"),
                () -> "message names the input: " + e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0", "0.0.4", "1.2.3", "10.20.30", "1.1.2-prerelease+meta", "1.1.2+meta",
            "1.1.2+meta-valid", "1.0.0-alpha", "1.0.0-beta", "1.0.0-alpha.beta", "1.0.0-alpha.beta.1",
            "1.0.0-alpha.1", "1.0.0-alpha0.valid", "1.0.0-alpha.0valid", "1.0.0-alpha-a.b-c-somethinglong+build.1-aef.1-its-okay",
            "1.0.0-rc.1+build.1", "2.0.0-rc.1+build.123", "1.2.3-beta", "10.2.3-DEV-SNAPSHOT", "1.2.3-SNAPSHOT-123",
            "2.0.0+build.1848", "2.0.1-alpha.1227", "1.0.0-0A.is.legal"})
    void acceptsSemverOrgValidExamples(String text) {
        assertEquals(text, SemanticVersion.parse(text).toString());
    }

    @Test
    void tryParse() {
        assertTrue(SemanticVersion.tryParse("1.2.3").isPresent());
        assertTrue(SemanticVersion.tryParse("1.2").isEmpty());
        assertTrue(SemanticVersion.tryParse(null).isEmpty());
    }

    @Test
    void ofRejectsNegatives() {
        assertThrows(IllegalArgumentException.class, () -> SemanticVersion.of(-1, 0, 0));
    }

    @Test
    void nullIsRejected() {
        assertThrows(NullPointerException.class, () -> SemanticVersion.parse(null));
    }
}
