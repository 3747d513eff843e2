package io.printmaster.api.installer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FleetFilesTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void fileIsImmutableAndHidesContentInToString() {
        byte[] token = bytes("s3cret-token");
        FleetFile f = FleetFile.secret("etc/join-token", token);
        token[0] = 'X';
        assertArrayEquals(bytes("s3cret-token"), f.content());
        f.content()[0] = 'Y';
        assertArrayEquals(bytes("s3cret-token"), f.content());
        assertEquals(0600, f.mode());
        assertEquals(12, f.size());
        assertEquals("FleetFile[etc/join-token, 12 bytes, mode 0600]", f.toString());
        assertFalse(f.toString().contains("s3cret"));
    }

    @Test
    void equalityByContent() {
        assertEquals(FleetFile.of("etc/a", bytes("x")), FleetFile.of("etc/a", bytes("x")));
        assertEquals(FleetFile.of("etc/a", bytes("x")).hashCode(), FleetFile.of("etc/a", bytes("x")).hashCode());
        assertFalse(FleetFile.of("etc/a", bytes("x")).equals(FleetFile.of("etc/a", bytes("y"))));
        assertFalse(FleetFile.of("etc/a", bytes("x")).equals(FleetFile.secret("etc/a", bytes("x"))));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "/etc/passwd", "../etc/passwd", "etc/../../x", "etc//x", "etc/./x", "etc/", "etc\\x",
            "C:/x", "c:x", "etc/x\0"})
    void rejectsUnsafePaths(String path) {
        assertThrows(IllegalArgumentException.class, () -> FleetFile.of(path, new byte[0]));
    }

    @Test
    void pathMessages() {
        assertEquals("path '../x' must not have empty, '.' or '..' segments",
                assertThrows(IllegalArgumentException.class, () -> FleetFile.of("../x", new byte[0])).getMessage());
        assertEquals("path '/x' must be relative",
                assertThrows(IllegalArgumentException.class, () -> FleetFile.of("/x", new byte[0])).getMessage());
    }

    @Test
    void rejectsBadModes() {
        assertEquals("mode of 'bin/x' must be between 0 and 0777 (octal), not 01000",
                assertThrows(IllegalArgumentException.class, () -> new FleetFile("bin/x", new byte[0], 01000)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new FleetFile("bin/x", new byte[0], -1));
        assertEquals(0755, new FleetFile("bin/x", new byte[0], FleetFile.MODE_EXECUTABLE).mode());
    }

    @Test
    void filesKeepOrderAndRejectDuplicatePathsIgnoringCase() {
        FleetFiles files = FleetFiles.of(FleetFile.of("etc/policy.json", bytes("{}")),
                FleetFile.secret("etc/join-token", bytes("t")));
        assertEquals(List.of("etc/policy.json", "etc/join-token"), files.paths());
        assertEquals(2, files.size());
        assertEquals(Optional.of(FleetFile.secret("etc/join-token", bytes("t"))), files.get("etc/join-token"));
        assertTrue(files.get("etc/other").isEmpty());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FleetFiles.of(
                FleetFile.of("etc/CA.pem", bytes("a")), FleetFile.of("etc/ca.pem", bytes("b"))));
        assertEquals("two fleet files for the same path: 'etc/CA.pem' and 'etc/ca.pem'", e.getMessage());
        assertTrue(FleetFiles.empty().isEmpty());
    }

    @Test
    void entriesValidatePaths() {
        assertEquals(OptionalInt.of(0644), new InstallerEntry("etc/a", 3, OptionalInt.of(0644)).mode());
        assertThrows(IllegalArgumentException.class, () -> new InstallerEntry("../a", 3, OptionalInt.empty()));
        assertThrows(IllegalArgumentException.class, () -> new InstallerEntry("a", -1, OptionalInt.empty()));
    }

    @Test
    void availability() {
        assertTrue(Availability.AVAILABLE.available());
        assertTrue(Availability.AVAILABLE.reason().isEmpty());
        Availability no = Availability.unavailable("wixl not found: apt install wixl");
        assertFalse(no.available());
        assertEquals(Optional.of("wixl not found: apt install wixl"), no.reason());
        assertThrows(IllegalArgumentException.class, () -> Availability.unavailable(" "));
        assertThrows(IllegalArgumentException.class, () -> new Availability(true, Optional.of("why?")));
        assertThrows(IllegalArgumentException.class, () -> new Availability(false, Optional.empty()));
    }
}
