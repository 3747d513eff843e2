package io.printmaster.api.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PlatformTest {

    @ParameterizedTest
    @CsvSource({"linux-amd64,LINUX,AMD64", "linux-arm64,LINUX,ARM64", "windows-amd64,WINDOWS,AMD64",
            "darwin-arm64,DARWIN,ARM64", "Linux-AMD64,LINUX,AMD64"})
    void parses(String text, Os os, Arch arch) {
        Platform p = Platform.parse(text);
        assertEquals(new Platform(os, arch), p);
        assertEquals(text.toLowerCase(), p.toString());
    }

    @Test
    void rejectsMalformed() {
        assertEquals("'linux' is not a platform: expected os-arch such as linux-amd64",
                assertThrows(IllegalArgumentException.class, () -> Platform.parse("linux")).getMessage());
        assertEquals("'linux-amd64-v2' is not a platform: expected os-arch such as linux-amd64",
                assertThrows(IllegalArgumentException.class, () -> Platform.parse("linux-amd64-v2")).getMessage());
        assertEquals("'solaris-amd64' is not a platform: unknown operating system 'solaris': expected one of linux, windows, darwin",
                assertThrows(IllegalArgumentException.class, () -> Platform.parse("solaris-amd64")).getMessage());
        assertEquals("'linux-x86' is not a platform: unknown architecture 'x86': expected one of amd64, arm64",
                assertThrows(IllegalArgumentException.class, () -> Platform.parse("linux-x86")).getMessage());
    }

    @Test
    void javaSystemPropertyNames() {
        assertEquals(Optional.of(Os.LINUX), Os.fromJavaOsName("Linux"));
        assertEquals(Optional.of(Os.WINDOWS), Os.fromJavaOsName("Windows Server 2022"));
        assertEquals(Optional.of(Os.DARWIN), Os.fromJavaOsName("Mac OS X"));
        assertEquals(Optional.empty(), Os.fromJavaOsName("FreeBSD"));
        assertEquals(Optional.of(Arch.AMD64), Arch.fromJavaArch("amd64"));
        assertEquals(Optional.of(Arch.AMD64), Arch.fromJavaArch("x86_64"));
        assertEquals(Optional.of(Arch.ARM64), Arch.fromJavaArch("aarch64"));
        assertEquals(Optional.empty(), Arch.fromJavaArch("ppc64le"));
    }

    @Test
    void currentPlatformIsKnownOnTheBuildHost() {
        // the build runs on Linux, Windows or macOS on amd64/arm64
        assertTrue(Platform.current().isPresent());
    }

    @ParameterizedTest
    @ValueSource(strings = {"agent", "server", "a", "label-printer-driver", "x1", "0", "a234567890123456789012345678901234567890123456789012345678901234"})
    void validComponentNames(String name) {
        assertEquals(name, ComponentName.of(name).toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "''|must be 1 to 64 characters long",
            "a2345678901234567890123456789012345678901234567890123456789012345|must be 1 to 64 characters long",
            "Agent|may only contain lowercase letters, digits and '-' (found 'A')",
            "my_agent|may only contain lowercase letters, digits and '-' (found '_')",
            "a.b|(found '.')",
            "-agent|must not start or end with '-'",
            "agent-|must not start or end with '-'"})
    void invalidComponentNames(String name, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ComponentName.of(name));
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertTrue(e.getMessage().startsWith("component name '" + name + "'"), e.getMessage());
    }

    @Test
    void wellKnownComponents() {
        assertEquals("agent", ComponentName.AGENT.value());
        assertEquals(ComponentName.SERVER, ComponentName.of("server"));
    }
}
