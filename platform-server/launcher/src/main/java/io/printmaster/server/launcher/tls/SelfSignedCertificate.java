package io.printmaster.server.launcher.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code --tls self-signed}: an EC P-256 key pair and a self-signed certificate naming this host (its host names,
 * {@code localhost}, the loopback addresses, the listen address and any {@code --tls-names}), kept in
 * {@code <data>/tls/} ({@value #KEY_FILE} mode 0600, {@value #CERT_FILE}) and reused at every start.
 *
 * <p>The key pair is made once and kept: agents pin the server's public key, so it must outlive the certificate.
 * When the certificate nears its end ({@link #RENEW_BEFORE}) or no longer names every wanted name, a new certificate
 * is issued for the <em>same</em> key, and pinned agents keep trusting the server.
 */
public final class SelfSignedCertificate {
    static final String KEY_FILE = "self-signed.key";
    static final String CERT_FILE = "self-signed.crt";
    static final Duration VALIDITY = Duration.ofDays(825);
    static final Duration RENEW_BEFORE = Duration.ofDays(60);
    private static final String ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";

    /** The key pair and certificate in use, and whether this start made or renewed them (for the log). */
    public record Material(PrivateKey key, X509Certificate certificate, String what) {
    }

    private SelfSignedCertificate() {
    }

    /**
     * The self-signed material in {@code dir}: reused when present, a certificate re-issued for the same key when
     * needed, everything made when absent.
     *
     * @param dnsNames the host names the certificate must name
     * @param addresses the IP addresses it must name
     */
    public static Material loadOrCreate(Path dir, Set<String> dnsNames, Set<InetAddress> addresses, Instant now)
            throws IOException, GeneralSecurityException {
        Path keyFile = dir.resolve(KEY_FILE);
        Path certFile = dir.resolve(CERT_FILE);
        if (Files.exists(keyFile)) {
            PrivateKey key = PemFiles.privateKey(keyFile, "--tls self-signed: the key");
            if (Files.exists(certFile)) {
                X509Certificate cert = PemFiles.certificates(certFile, "--tls self-signed: the certificate").get(0);
                PemFiles.checkPair(key, cert, "--tls self-signed: " + keyFile + " and " + certFile);
                String why = renewalReason(cert, dnsNames, addresses, now);
                if (why == null) {
                    return new Material(key, cert, "reused");
                }
                X509Certificate renewed = issue(new KeyPair(cert.getPublicKey(), key), dnsNames, addresses, now);
                writeAtomically(certFile, PemFiles.pem(List.of(renewed)), false);
                return new Material(key, renewed, "renewed for the same key (" + why + ")");
            }
            throw new IOException("--tls self-signed: " + keyFile + " exists without " + certFile
                    + "; restore the certificate, or delete the key to make a new pair (agents pinned to the old key "
                    + "then need the new certificate)");
        }
        Files.createDirectories(dir);
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = g.generateKeyPair();
        X509Certificate cert = issue(pair, dnsNames, addresses, now);
        writeAtomically(keyFile, PemFiles.pem(pair.getPrivate()), true);
        writeAtomically(certFile, PemFiles.pem(List.of(cert)), false);
        return new Material(pair.getPrivate(), cert, "made");
    }

    /** Why the certificate needs re-issuing, or null when it is still good. */
    static String renewalReason(X509Certificate cert, Set<String> dnsNames, Set<InetAddress> addresses, Instant now)
            throws GeneralSecurityException {
        if (cert.getNotAfter().toInstant().isBefore(now.plus(RENEW_BEFORE))) {
            return "it ends " + cert.getNotAfter().toInstant();
        }
        Set<String> named = new LinkedHashSet<>();
        Collection<List<?>> sans = cert.getSubjectAlternativeNames();
        if (sans != null) {
            for (List<?> san : sans) {
                Object value = san.get(1);
                if (value instanceof String s) {
                    named.add((Integer) san.get(0) == 7 ? normalizeIp(s) : s.toLowerCase(Locale.ROOT));
                }
            }
        }
        for (String n : dnsNames) {
            if (!named.contains(n.toLowerCase(Locale.ROOT))) {
                return "it does not name " + n;
            }
        }
        for (InetAddress a : addresses) {
            if (!named.contains(normalizeIp(a.getHostAddress()))) {
                return "it does not name " + a.getHostAddress();
            }
        }
        return null;
    }

    private static String normalizeIp(String text) {
        try {
            return InetAddress.getByName(text).getHostAddress();
        } catch (IOException e) {
            return text;
        }
    }

    /** A self-signed X.509 v3 certificate for {@code pair}, written with {@link Der} and signed with ECDSA P-256. */
    static X509Certificate issue(KeyPair pair, Set<String> dnsNames, Set<InetAddress> addresses, Instant now)
            throws GeneralSecurityException, IOException {
        byte[] serial = new byte[16];
        new SecureRandom().nextBytes(serial);
        serial[0] &= 0x7f; // positive
        String cn = dnsNames.stream().filter(n -> !n.equals("localhost")).findFirst().orElse("localhost");
        byte[] name = Der.sequence(
                Der.set(Der.sequence(Der.oid("2.5.4.10"), Der.utf8("PrintMaster self-signed"))),
                Der.set(Der.sequence(Der.oid("2.5.4.3"), Der.utf8(cn))));
        byte[] algorithm = Der.sequence(Der.oid(ECDSA_WITH_SHA256));
        // a little back-dated: a client whose clock runs slightly behind must not see a certificate from the future
        Instant notBefore = now.minus(Duration.ofHours(1));
        byte[] validity = Der.sequence(time(notBefore), time(now.plus(VALIDITY)));
        List<byte[]> altNames = new ArrayList<>();
        for (String d : dnsNames) {
            altNames.add(Der.implicit(2, d.getBytes(StandardCharsets.US_ASCII)));
        }
        for (InetAddress a : addresses) {
            altNames.add(Der.implicit(7, a.getAddress()));
        }
        byte[] publicKeyInfo = pair.getPublic().getEncoded();
        byte[] keyId = java.security.MessageDigest.getInstance("SHA-1").digest(publicKeyInfo);
        byte[] extensions = Der.sequence(
                extension("2.5.29.19", true, Der.sequence()), // basicConstraints: not a CA
                extension("2.5.29.15", true, Der.tlv(Der.BIT_STRING, new byte[] {7, (byte) 0x80})), // digitalSignature
                extension("2.5.29.37", false, Der.sequence(Der.oid("1.3.6.1.5.5.7.3.1"))), // serverAuth
                extension("2.5.29.14", false, Der.octets(keyId)), // subjectKeyIdentifier
                extension("2.5.29.17", false, Der.sequence(altNames.toArray(byte[][]::new))));
        byte[] tbs = Der.sequence(
                Der.explicit(0, Der.integer(BigInteger.TWO)),
                Der.integer(new BigInteger(serial)),
                algorithm, name, validity, name, publicKeyInfo,
                Der.explicit(3, extensions));
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(pair.getPrivate());
        s.update(tbs);
        byte[] der = Der.sequence(tbs, algorithm, Der.bits(s.sign()));
        X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der));
        cert.verify(pair.getPublic());
        return cert;
    }

    private static byte[] extension(String oid, boolean critical, byte[] value) {
        return critical ? Der.sequence(Der.oid(oid), Der.bool(true), Der.octets(value))
                : Der.sequence(Der.oid(oid), Der.octets(value));
    }

    private static byte[] time(Instant t) {
        // GeneralizedTime for every date: valid in X.509 (RFC 5280 asks UTCTime before 2050, which readers accept either way)
        String text = DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'").withZone(ZoneOffset.UTC).format(t);
        if (t.atZone(ZoneOffset.UTC).getYear() < 2050) {
            return Der.tlv(0x17, text.substring(2).getBytes(StandardCharsets.US_ASCII)); // UTCTime
        }
        return Der.tlv(Der.GENERALIZED_TIME, text.getBytes(StandardCharsets.US_ASCII));
    }

    /** Writes through a temporary file in the same folder; {@code secret}: owner-only from the start. */
    static void writeAtomically(Path file, String text, boolean secret) throws IOException {
        Path dir = file.getParent();
        Path tmp;
        try {
            tmp = secret
                    ? Files.createTempFile(dir, "." + file.getFileName(), ".tmp",
                            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                    : Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        } catch (UnsupportedOperationException e) {
            tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp"); // not POSIX: the folder's ACL applies
        }
        try {
            Files.writeString(tmp, text, StandardCharsets.US_ASCII);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
