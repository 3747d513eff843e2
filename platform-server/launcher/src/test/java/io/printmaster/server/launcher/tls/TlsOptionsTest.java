package io.printmaster.server.launcher.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.launcher.LaunchOptions.UsageException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TlsOptionsTest {
    @Test
    void noTlsFlagsIsPlainHttpAndLeavesTheArgumentsAlone() throws Exception {
        TlsOptions.Split s = TlsOptions.split(new String[] {"--port", "9000"}, Map.of());
        assertEquals(TlsOptions.Mode.PLAIN_HTTP, s.tls().mode());
        assertArrayEquals(new String[] {"--port", "9000"}, s.rest());
    }

    @Test
    void certAndKeyFromFlagsOrEnvironmentFlagsWinning() throws Exception {
        TlsOptions.Split s = TlsOptions.split(new String[] {"--tls-cert", "c.pem", "--port", "1", "--tls-key=k.pem"}, Map.of());
        assertEquals(TlsOptions.Mode.FILES, s.tls().mode());
        assertEquals(Path.of("c.pem").toAbsolutePath(), s.tls().certFile().orElseThrow());
        assertEquals(Path.of("k.pem").toAbsolutePath(), s.tls().keyFile().orElseThrow());
        assertArrayEquals(new String[] {"--port", "1"}, s.rest());
        TlsOptions env = TlsOptions.split(new String[] {"--tls-key", "/flag.key"},
                Map.of("PM_TLS_CERT", "/env.crt", "PM_TLS_KEY", "/env.key")).tls();
        assertEquals(Path.of("/env.crt"), env.certFile().orElseThrow());
        assertEquals(Path.of("/flag.key"), env.keyFile().orElseThrow());
    }

    @Test
    void selfSignedWithExtraNames() throws Exception {
        TlsOptions t = TlsOptions.split(new String[] {"--tls", "self-signed", "--tls-names", "pm.lan, 10.1.2.3"}, Map.of()).tls();
        assertEquals(TlsOptions.Mode.SELF_SIGNED, t.mode());
        assertEquals(Set.of("pm.lan", "10.1.2.3"), t.extraNames());
        assertEquals(TlsOptions.Mode.SELF_SIGNED, TlsOptions.split(new String[0], Map.of("PM_TLS", "self-signed")).tls().mode());
    }

    @Test
    void unusableCombinationsNameTheFlag() {
        assertEquals("--tls-cert needs --tls-key FILE (env PM_TLS_KEY): the private key of the certificate",
                message("--tls-cert", "c.pem"));
        assertEquals("--tls-key needs --tls-cert FILE (env PM_TLS_CERT): the certificate of the key", message("--tls-key", "k.pem"));
        assertTrue(message("--tls", "on").startsWith("--tls: 'on' is not a TLS mode"));
        assertTrue(message("--tls", "self-signed", "--tls-cert", "c").contains("exclude each other"));
        assertTrue(message("--tls-names", "a.b").contains("only used with --tls self-signed"));
        assertTrue(message("--tls-names", "a b;rm", "--tls", "self-signed").contains("is not a host name"));
        assertEquals("--tls needs a value", message("--tls"));
    }

    @Test
    void helpAndVersionIgnoreTheFlagsValues() {
        assertArrayEquals(new String[] {"--version", "--home", "h"},
                TlsOptions.withoutTlsFlags(new String[] {"--tls", "nonsense", "--version", "--tls-cert=x", "--home", "h"}));
    }

    private static String message(String... args) {
        return assertThrows(UsageException.class, () -> TlsOptions.split(args, Map.of())).getMessage();
    }
}
