package io.printmaster.server.launcher.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SelfSignedCertificateTest {
    @TempDir
    Path dir;

    private final Set<String> names = new LinkedHashSet<>(java.util.List.of("localhost", "pm-host.example.test"));
    private final Set<InetAddress> ips = new LinkedHashSet<>();

    SelfSignedCertificateTest() throws Exception {
        ips.add(InetAddress.getByName("127.0.0.1"));
        ips.add(InetAddress.getByName("::1"));
    }

    @Test
    void madeOnFirstStartWithAnOwnerOnlyKeyAndReusedAfter() throws Exception {
        Instant now = Instant.now();
        SelfSignedCertificate.Material first = SelfSignedCertificate.loadOrCreate(dir, names, ips, now);
        assertEquals("made", first.what());
        assertEquals(PosixFilePermissions.fromString("rw-------"),
                Files.getPosixFilePermissions(dir.resolve(SelfSignedCertificate.KEY_FILE)));
        SelfSignedCertificate.Material again = SelfSignedCertificate.loadOrCreate(dir, names, ips, now.plusSeconds(60));
        assertEquals("reused", again.what());
        assertArrayEquals(first.certificate().getEncoded(), again.certificate().getEncoded());
        assertArrayEquals(first.key().getEncoded(), again.key().getEncoded());
    }

    @Test
    void opensslReadsItsNamesAndVerifiesItAsItsOwnAnchor() throws Exception {
        SelfSignedCertificate.loadOrCreate(dir, names, ips, Instant.now());
        String text = OpenSsl.run(dir, "x509", "-in", SelfSignedCertificate.CERT_FILE, "-noout", "-text");
        assertTrue(text.contains("DNS:localhost") && text.contains("DNS:pm-host.example.test"), text);
        assertTrue(text.contains("IP Address:127.0.0.1") && text.contains("IP Address:0:0:0:0:0:0:0:1"), text);
        assertTrue(text.contains("CA:FALSE") && text.contains("TLS Web Server Authentication"), text);
        assertTrue(text.contains("Subject: O = PrintMaster self-signed, CN = pm-host.example.test"), text);
        String verify = OpenSsl.run(dir, "verify", "-CAfile", SelfSignedCertificate.CERT_FILE, SelfSignedCertificate.CERT_FILE);
        assertTrue(verify.contains(": OK"), verify);
        String check = OpenSsl.run(dir, "x509", "-in", SelfSignedCertificate.CERT_FILE, "-noout", "-checkhost", "pm-host.example.test");
        assertTrue(check.contains("does match"), check);
        // the key file is PKCS#8 openssl reads
        String key = OpenSsl.run(dir, "pkey", "-in", SelfSignedCertificate.KEY_FILE, "-noout", "-text");
        assertTrue(key.contains("NIST CURVE: P-256") || key.contains("prime256v1"), key);
    }

    @Test
    void aNewNameOrTheNearingEndReissuesTheCertificateForTheSameKey() throws Exception {
        Instant now = Instant.now();
        SelfSignedCertificate.Material first = SelfSignedCertificate.loadOrCreate(dir, names, ips, now);
        names.add("new-name.example.test");
        SelfSignedCertificate.Material renamed = SelfSignedCertificate.loadOrCreate(dir, names, ips, now);
        assertTrue(renamed.what().startsWith("renewed for the same key (it does not name new-name.example.test"), renamed.what());
        assertNotEquals(first.certificate().getSerialNumber(), renamed.certificate().getSerialNumber());
        assertEquals(first.certificate().getPublicKey(), renamed.certificate().getPublicKey(), "agents pin the key: it stays");

        Instant late = now.plus(SelfSignedCertificate.VALIDITY).minus(Duration.ofDays(10));
        SelfSignedCertificate.Material renewed = SelfSignedCertificate.loadOrCreate(dir, names, ips, late);
        assertTrue(renewed.what().contains("it ends"), renewed.what());
        assertEquals(first.certificate().getPublicKey(), renewed.certificate().getPublicKey());
        assertTrue(renewed.certificate().getNotAfter().toInstant().isAfter(late.plus(Duration.ofDays(700))));
        assertEquals("reused", SelfSignedCertificate.loadOrCreate(dir, names, ips, late).what());
    }

    @Test
    void aKeyWithoutItsCertificateIsNotSilentlyReplaced() throws Exception {
        SelfSignedCertificate.loadOrCreate(dir, names, ips, Instant.now());
        Files.delete(dir.resolve(SelfSignedCertificate.CERT_FILE));
        IOException e = assertThrows(IOException.class, () -> SelfSignedCertificate.loadOrCreate(dir, names, ips, Instant.now()));
        assertTrue(e.getMessage().contains("exists without"), e.getMessage());
        assertFalse(Files.exists(dir.resolve(SelfSignedCertificate.CERT_FILE)));
    }
}
