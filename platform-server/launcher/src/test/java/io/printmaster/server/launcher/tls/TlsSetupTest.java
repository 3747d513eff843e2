package io.printmaster.server.launcher.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class TlsSetupTest {
    @TempDir
    Path data;

    @Test
    void selfSignedTurnsFelixToHttpsOnlyWithAKeyStoreOfThisRun() throws Exception {
        TlsOptions tls = TlsOptions.split(new String[] {"--tls", "self-signed"}, Map.of()).tls();
        Map<String, String> p = TlsSetup.prepare(tls, data, "127.0.0.1", 8443, LoggerFactory.getLogger("test"));
        assertEquals("false", p.get("org.apache.felix.http.enable"), "plain HTTP is off beside HTTPS");
        assertEquals("true", p.get("org.apache.felix.https.enable"));
        assertEquals("8443", p.get("org.osgi.service.http.port.secure"));
        Path keystore = Path.of(p.get("org.apache.felix.https.keystore"));
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(keystore));
        assertEquals(PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(data.resolve("tls")));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, p.get("org.apache.felix.https.keystore.password").toCharArray());
        }
        assertTrue(ks.isKeyEntry("server"));
        String fromOpenssl = OpenSsl.run(data, "x509", "-in", p.get(TlsSetup.PROP_CERTIFICATE), "-noout", "-fingerprint", "-sha256");
        assertEquals("sha256 Fingerprint=" + p.get(TlsSetup.PROP_FINGERPRINT), fromOpenssl.strip().replace("SHA256", "sha256"));

        // a second start: same certificate, new key store password
        Map<String, String> again = TlsSetup.prepare(tls, data, "127.0.0.1", 8443, LoggerFactory.getLogger("test"));
        assertEquals(p.get(TlsSetup.PROP_FINGERPRINT), again.get(TlsSetup.PROP_FINGERPRINT));
        assertFalse(p.get("org.apache.felix.https.keystore.password").equals(again.get("org.apache.felix.https.keystore.password")));
    }

    @Test
    void ownFilesAreServedAsGivenAndAMismatchStopsTheStart() throws Exception {
        OpenSsl.run(data, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "a.key");
        OpenSsl.run(data, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "b.key");
        OpenSsl.run(data, "req", "-x509", "-key", "a.key", "-subj", "/CN=a.test", "-days", "2", "-out", "a.pem");
        TlsOptions good = TlsOptions.split(new String[] {"--tls-cert", data.resolve("a.pem").toString(), "--tls-key",
                data.resolve("a.key").toString()}, Map.of()).tls();
        Map<String, String> p = TlsSetup.prepare(good, data, "0.0.0.0", 443, LoggerFactory.getLogger("test"));
        assertEquals(Files.readString(data.resolve("a.pem")).replace("\r", ""), Files.readString(Path.of(p.get(TlsSetup.PROP_CERTIFICATE))));
        TlsOptions bad = TlsOptions.split(new String[] {"--tls-cert", data.resolve("a.pem").toString(), "--tls-key",
                data.resolve("b.key").toString()}, Map.of()).tls();
        IOException e = assertThrows(IOException.class, () -> TlsSetup.prepare(bad, data, "0.0.0.0", 443, LoggerFactory.getLogger("test")));
        assertTrue(e.getMessage().startsWith("--tls-key " + data.resolve("b.key") + " and --tls-cert " + data.resolve("a.pem")), e.getMessage());
    }

    @Test
    void plainHttpAddsNothing() throws Exception {
        assertTrue(TlsSetup.prepare(TlsOptions.split(new String[0], Map.of()).tls(), data, "127.0.0.1", 8080,
                LoggerFactory.getLogger("test")).isEmpty());
        assertFalse(Files.exists(data.resolve("tls")));
    }
}
