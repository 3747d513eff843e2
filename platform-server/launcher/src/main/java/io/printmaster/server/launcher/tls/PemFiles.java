package io.printmaster.server.launcher.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the PEM files of {@code --tls-cert} and {@code --tls-key} with the JDK alone: a certificate chain (server
 * certificate first) and one unencrypted private key, as PKCS#8 ({@code PRIVATE KEY}: RSA, EC, Ed25519, Ed448),
 * PKCS#1 ({@code RSA PRIVATE KEY}) or SEC1 ({@code EC PRIVATE KEY}, with or without the {@code EC PARAMETERS}
 * block {@code openssl ecparam -genkey} writes before it). Every error names the option and the file.
 */
public final class PemFiles {
    static final int MAX_BYTES = 1024 * 1024;
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\r?\\n((?:[A-Za-z0-9-]+: [^\\n]*\\r?\\n)*)\\s*([A-Za-z0-9+/=\\s]*?)-----END \\1-----");
    private static final String RSA = "1.2.840.113549.1.1.1";
    private static final String RSA_PSS = "1.2.840.113549.1.1.10";
    private static final String EC = "1.2.840.10045.2.1";
    private static final String ED25519 = "1.3.101.112";
    private static final String ED448 = "1.3.101.113";

    private PemFiles() {
    }

    /** A PEM block: its label, its headers (legacy encrypted keys have some) and its bytes. */
    private record Block(String label, String headers, byte[] der) {
    }

    /**
     * The certificates of a PEM file, in file order (the server's certificate first, then its issuers).
     *
     * @param option the option that named the file, for messages ({@code --tls-cert})
     */
    public static List<X509Certificate> certificates(Path file, String option) throws IOException {
        List<X509Certificate> chain = new ArrayList<>();
        CertificateFactory x509;
        try {
            x509 = CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException("every JVM reads X.509", e);
        }
        for (Block b : blocks(file, option)) {
            if (!b.label().equals("CERTIFICATE") && !b.label().equals("TRUSTED CERTIFICATE")) {
                throw new IOException(option + " " + file + " holds a " + b.label()
                        + " block; only certificates belong in it (the private key goes to --tls-key)");
            }
            try {
                chain.add((X509Certificate) x509.generateCertificate(new ByteArrayInputStream(b.der())));
            } catch (CertificateException e) {
                throw new IOException(option + " " + file + ": certificate " + (chain.size() + 1)
                        + " does not parse: " + e.getMessage());
            }
        }
        if (chain.isEmpty()) {
            throw new IOException(option + " " + file + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }
        return List.copyOf(chain);
    }

    /**
     * The one private key of a PEM file.
     *
     * @param option the option that named the file, for messages ({@code --tls-key})
     */
    public static PrivateKey privateKey(Path file, String option) throws IOException {
        List<Block> keys = new ArrayList<>();
        for (Block b : blocks(file, option)) {
            switch (b.label()) {
                case "EC PARAMETERS" -> { } // written by openssl ecparam -genkey before the key: the key repeats them
                case "ENCRYPTED PRIVATE KEY" -> throw encrypted(file, option);
                case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY" -> {
                    if (b.headers().contains("ENCRYPTED")) {
                        throw encrypted(file, option);
                    }
                    keys.add(b);
                }
                default -> throw new IOException(option + " " + file + " holds a " + b.label()
                        + " block; it must hold one private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)");
            }
        }
        if (keys.size() != 1) {
            throw new IOException(option + " " + file + " must hold exactly one private key, not " + keys.size());
        }
        Block key = keys.get(0);
        try {
            return switch (key.label()) {
                case "RSA PRIVATE KEY" -> decode("RSA", pkcs8(Der.sequence(Der.oid(RSA), Der.nul()), key.der()));
                case "EC PRIVATE KEY" -> decode("EC", pkcs8(Der.sequence(Der.oid(EC), sec1Curve(key.der())), key.der()));
                default -> decode(algorithmOf(key.der()), key.der());
            };
        } catch (IOException | GeneralSecurityException e) {
            throw new IOException(option + " " + file + ": the " + key.label() + " cannot be read: " + e.getMessage());
        }
    }

    /**
     * Fails unless {@code key} belongs to {@code certificate}: a signature made with the key verifies with the
     * certificate's public key.
     */
    public static void checkPair(PrivateKey key, X509Certificate certificate, String what) throws IOException {
        PublicKey pub = certificate.getPublicKey();
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "Ed448", "EdDSA" -> key.getAlgorithm();
            default -> null;
        };
        if (algorithm == null) {
            throw new IOException(what + ": keys of type " + key.getAlgorithm() + " are not supported; use RSA, EC or Ed25519");
        }
        if (!pub.getAlgorithm().equals(key.getAlgorithm()) && !(key.getAlgorithm().startsWith("Ed") && pub.getAlgorithm().startsWith("Ed"))) {
            throw new IOException(what + ": the private key (" + key.getAlgorithm() + ") does not belong to the certificate ("
                    + pub.getAlgorithm() + " key, " + certificate.getSubjectX500Principal().getName() + ")");
        }
        try {
            byte[] probe = "printmaster tls key check".getBytes(StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(algorithm);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(algorithm);
            v.initVerify(pub);
            v.update(probe);
            if (!v.verify(sig)) {
                throw new IOException(what + ": the private key does not belong to the certificate "
                        + certificate.getSubjectX500Principal().getName());
            }
        } catch (GeneralSecurityException e) {
            throw new IOException(what + ": the private key does not belong to the certificate "
                    + certificate.getSubjectX500Principal().getName() + " (" + e.getMessage() + ")");
        }
    }

    /** PEM text of certificates, as files and installers carry them. */
    public static String pem(List<X509Certificate> chain) {
        StringBuilder out = new StringBuilder();
        Base64.Encoder b64 = Base64.getMimeEncoder(64, new byte[] {'\n'});
        for (X509Certificate c : chain) {
            try {
                out.append("-----BEGIN CERTIFICATE-----\n").append(b64.encodeToString(c.getEncoded()))
                        .append("\n-----END CERTIFICATE-----\n");
            } catch (CertificateException e) {
                throw new IllegalStateException("a parsed certificate encodes again", e);
            }
        }
        return out.toString();
    }

    /** PEM text of a private key as PKCS#8. */
    static String pem(PrivateKey key) {
        return "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(key.getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
    }

    private static IOException encrypted(Path file, String option) {
        return new IOException(option + " " + file + " holds an encrypted private key; the server starts unattended, so "
                + "give it the key without a passphrase, readable by the server's user only "
                + "(openssl pkey -in " + file.getFileName() + " -out server.key)");
    }

    private static byte[] pkcs8(byte[] algorithm, byte[] privateKey) {
        return Der.sequence(Der.integer(BigInteger.ZERO), algorithm, Der.octets(privateKey));
    }

    /** The named curve of a SEC1 {@code ECPrivateKey}: {@code SEQUENCE {1, key, [0] curve OID, [1] public key}}. */
    private static byte[] sec1Curve(byte[] der) throws IOException {
        for (Der.Element e : Der.parse(der).children()) {
            if (e.tag() == 0xa0) {
                Der.Element curve = Der.parse(e.content());
                if (curve.tag() != Der.OID) {
                    throw new IOException("only named curves are supported (the key has explicit curve parameters)");
                }
                return curve.encoded();
            }
        }
        throw new IOException("the EC PRIVATE KEY does not name its curve");
    }

    /** The key algorithm of a PKCS#8 {@code PrivateKeyInfo}: {@code SEQUENCE {version, SEQUENCE {OID, ...}, key}}. */
    private static String algorithmOf(byte[] der) throws IOException {
        List<Der.Element> top = Der.parse(der).children();
        if (top.size() < 3 || top.get(1).tag() != Der.SEQUENCE) {
            throw new IOException("not a PKCS#8 private key");
        }
        Der.Element oid = top.get(1).children().get(0);
        String dotted = dotted(oid.content());
        return switch (dotted) {
            case RSA -> "RSA";
            case RSA_PSS -> "RSASSA-PSS";
            case EC -> "EC";
            case ED25519 -> "Ed25519";
            case ED448 -> "Ed448";
            default -> throw new IOException("unsupported key algorithm " + dotted + "; use RSA, EC or Ed25519");
        };
    }

    private static PrivateKey decode(String algorithm, byte[] pkcs8) throws GeneralSecurityException {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    }

    static String dotted(byte[] oid) {
        StringBuilder s = new StringBuilder();
        s.append((oid[0] & 0xff) / 40).append('.').append((oid[0] & 0xff) % 40);
        long v = 0;
        for (int i = 1; i < oid.length; i++) {
            v = (v << 7) | (oid[i] & 0x7f);
            if ((oid[i] & 0x80) == 0) {
                s.append('.').append(v);
                v = 0;
            }
        }
        return s.toString();
    }

    private static List<Block> blocks(Path file, String option) throws IOException {
        String text;
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw new IOException(option + " " + file + " is larger than " + MAX_BYTES + " bytes: not a PEM file");
            }
            text = new String(Files.readAllBytes(file), StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new IOException(option + " " + file + " does not exist");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new IOException(option + " " + file + " is not readable by the server's user");
        }
        List<Block> list = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            try {
                list.add(new Block(m.group(1), m.group(2), Base64.getMimeDecoder().decode(m.group(3))));
            } catch (IllegalArgumentException e) {
                throw new IOException(option + " " + file + ": the " + m.group(1) + " block is not valid base64");
            }
        }
        if (list.isEmpty()) {
            throw new IOException(option + " " + file + " is not a PEM file (no -----BEGIN ...----- block)");
        }
        return list;
    }
}
