package io.printmaster.server.launcher.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keys and certificates made by the real openssl, in every format an admin is likely to hand the server. */
class PemFilesTest {
    @TempDir
    Path dir;

    private PrivateKey keyAndCertificateMatch(String keyFile) throws Exception {
        OpenSsl.run(dir, "req", "-x509", "-key", keyFile, "-subj", "/CN=pm.example.test", "-days", "2", "-out", "cert.pem");
        PrivateKey key = PemFiles.privateKey(dir.resolve(keyFile), "--tls-key");
        List<X509Certificate> chain = PemFiles.certificates(dir.resolve("cert.pem"), "--tls-cert");
        assertEquals(1, chain.size());
        PemFiles.checkPair(key, chain.get(0), "test");
        return key;
    }

    @Test
    void rsaPkcs8() throws Exception {
        OpenSsl.run(dir, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "key.pem");
        assertTrue(Files.readString(dir.resolve("key.pem")).contains("BEGIN PRIVATE KEY"));
        assertEquals("RSA", keyAndCertificateMatch("key.pem").getAlgorithm());
    }

    @Test
    void rsaPkcs1() throws Exception {
        OpenSsl.run(dir, "genrsa", "-traditional", "-out", "key.pem", "2048");
        assertTrue(Files.readString(dir.resolve("key.pem")).contains("BEGIN RSA PRIVATE KEY"));
        assertEquals("RSA", keyAndCertificateMatch("key.pem").getAlgorithm());
    }

    @Test
    void ecSec1WithTheParametersBlockOpensslWritesBeforeIt() throws Exception {
        OpenSsl.run(dir, "ecparam", "-name", "prime256v1", "-genkey", "-out", "key.pem");
        String text = Files.readString(dir.resolve("key.pem"));
        assertTrue(text.contains("BEGIN EC PARAMETERS") && text.contains("BEGIN EC PRIVATE KEY"), text);
        assertEquals("EC", keyAndCertificateMatch("key.pem").getAlgorithm());
    }

    @Test
    void ecSec1OnP384WithoutParameters() throws Exception {
        OpenSsl.run(dir, "ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", "key.pem");
        assertEquals("EC", keyAndCertificateMatch("key.pem").getAlgorithm());
    }

    @Test
    void ecPkcs8() throws Exception {
        OpenSsl.run(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "key.pem");
        assertEquals("EC", keyAndCertificateMatch("key.pem").getAlgorithm());
    }

    @Test
    void ed25519() throws Exception {
        OpenSsl.run(dir, "genpkey", "-algorithm", "ED25519", "-out", "key.pem");
        assertTrue(keyAndCertificateMatch("key.pem").getAlgorithm().startsWith("Ed"));
    }

    @Test
    void aChainKeepsItsOrderServerCertificateFirst() throws Exception {
        OpenSsl.run(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ca.key");
        OpenSsl.run(dir, "req", "-x509", "-key", "ca.key", "-subj", "/CN=Test CA", "-days", "2", "-out", "ca.pem");
        OpenSsl.run(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "server.key");
        OpenSsl.run(dir, "req", "-new", "-key", "server.key", "-subj", "/CN=server.test", "-out", "server.csr");
        OpenSsl.run(dir, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-out", "server.pem");
        Files.writeString(dir.resolve("chain.pem"), Files.readString(dir.resolve("server.pem")) + Files.readString(dir.resolve("ca.pem")));
        List<X509Certificate> chain = PemFiles.certificates(dir.resolve("chain.pem"), "--tls-cert");
        assertEquals(List.of("CN=server.test", "CN=Test CA"), chain.stream().map(c -> c.getSubjectX500Principal().getName()).toList());
        PemFiles.checkPair(PemFiles.privateKey(dir.resolve("server.key"), "--tls-key"), chain.get(0), "test");
        IOException wrong = assertThrows(IOException.class,
                () -> PemFiles.checkPair(PemFiles.privateKey(dir.resolve("ca.key"), "--tls-key"), chain.get(0), "--tls-key k and --tls-cert c"));
        assertTrue(wrong.getMessage().contains("does not belong to the certificate CN=server.test"), wrong.getMessage());
    }

    @Test
    void aKeyOfAnotherTypeIsNamedAsNotBelonging() throws Exception {
        OpenSsl.run(dir, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.pem");
        OpenSsl.run(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ec.pem");
        OpenSsl.run(dir, "req", "-x509", "-key", "rsa.pem", "-subj", "/CN=rsa", "-days", "2", "-out", "cert.pem");
        IOException e = assertThrows(IOException.class, () -> PemFiles.checkPair(PemFiles.privateKey(dir.resolve("ec.pem"), "--tls-key"),
                PemFiles.certificates(dir.resolve("cert.pem"), "--tls-cert").get(0), "pair"));
        assertTrue(e.getMessage().contains("does not belong"), e.getMessage());
    }

    @Test
    void encryptedKeysAreRefusedWithAHowTo() throws Exception {
        OpenSsl.run(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256", "-pass", "pass:secret1234",
                "-out", "enc.pem");
        IOException e = assertThrows(IOException.class, () -> PemFiles.privateKey(dir.resolve("enc.pem"), "--tls-key"));
        assertTrue(e.getMessage().startsWith("--tls-key " + dir.resolve("enc.pem") + " holds an encrypted private key"), e.getMessage());
        assertTrue(e.getMessage().contains("openssl pkey"), e.getMessage());
    }

    @Test
    void wrongFilesAreNamedWithTheirOption() throws Exception {
        OpenSsl.run(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "key.pem");
        IOException keyAsCert = assertThrows(IOException.class, () -> PemFiles.certificates(dir.resolve("key.pem"), "--tls-cert"));
        assertTrue(keyAsCert.getMessage().contains("--tls-cert") && keyAsCert.getMessage().contains("PRIVATE KEY block"), keyAsCert.getMessage());
        OpenSsl.run(dir, "req", "-x509", "-key", "key.pem", "-subj", "/CN=x", "-days", "2", "-out", "cert.pem");
        IOException certAsKey = assertThrows(IOException.class, () -> PemFiles.privateKey(dir.resolve("cert.pem"), "--tls-key"));
        assertTrue(certAsKey.getMessage().contains("--tls-key") && certAsKey.getMessage().contains("CERTIFICATE block"), certAsKey.getMessage());
        IOException missing = assertThrows(IOException.class, () -> PemFiles.privateKey(dir.resolve("nope.pem"), "--tls-key"));
        assertEquals("--tls-key " + dir.resolve("nope.pem") + " does not exist", missing.getMessage());
        Files.writeString(dir.resolve("text.pem"), "hello");
        IOException notPem = assertThrows(IOException.class, () -> PemFiles.certificates(dir.resolve("text.pem"), "--tls-cert"));
        assertTrue(notPem.getMessage().contains("is not a PEM file"), notPem.getMessage());
        Files.writeString(dir.resolve("two.pem"), Files.readString(dir.resolve("key.pem")) + Files.readString(dir.resolve("key.pem")));
        IOException two = assertThrows(IOException.class, () -> PemFiles.privateKey(dir.resolve("two.pem"), "--tls-key"));
        assertTrue(two.getMessage().contains("exactly one private key, not 2"), two.getMessage());
    }
}
