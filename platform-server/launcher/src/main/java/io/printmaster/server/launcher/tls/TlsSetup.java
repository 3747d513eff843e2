package io.printmaster.server.launcher.tls;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;

/**
 * Turns the TLS options into what Felix HTTP needs to serve HTTPS on the server's port: a PKCS#12 key store
 * written for this run only ({@code <data>/tls/.https-keystore.p12}, 0600, under a random password that lives in
 * memory only, so the file is useless once the process ends), and the framework properties that switch Felix from
 * plain HTTP to HTTPS. Plain HTTP is off while TLS is on: a second, unencrypted listener would invite agents and
 * browsers to send credentials in clear.
 *
 * <p>The served chain is also written to {@value #SERVED_CHAIN} (public), whose path the framework property
 * {@value #PROP_CERTIFICATE} gives to the installers, which embed it so agents pin it.
 */
public final class TlsSetup {
    /** Framework property: absolute path of the PEM chain the server serves (set only while it serves HTTPS). */
    public static final String PROP_CERTIFICATE = "pm.tls.certificate";
    /** Framework property: the SHA-256 fingerprint of the server certificate, {@code AB:CD:…}. */
    public static final String PROP_FINGERPRINT = "pm.tls.fingerprint";
    static final String DIR = "tls";
    static final String SERVED_CHAIN = "server-certificate.pem";
    static final String KEYSTORE = ".https-keystore.p12";
    private static final String ALIAS = "server";

    private TlsSetup() {
    }

    /**
     * Prepares HTTPS for a server with data folder {@code dataDir} listening on {@code bind:port}.
     *
     * @return the framework properties to add; empty for plain HTTP
     * @throws IOException naming the option and file when the material is unusable
     */
    public static Map<String, String> prepare(TlsOptions options, Path dataDir, String bind, int port, Logger log)
            throws IOException, GeneralSecurityException {
        if (options.mode() == TlsOptions.Mode.PLAIN_HTTP) {
            return Map.of();
        }
        Path dir = dataDir.resolve(DIR);
        Files.createDirectories(dir);
        restrict(dir, "rwx------");
        List<X509Certificate> chain;
        PrivateKey key;
        String origin;
        if (options.mode() == TlsOptions.Mode.SELF_SIGNED) {
            Set<String> dns = new LinkedHashSet<>();
            Set<InetAddress> ips = new LinkedHashSet<>();
            names(bind, options.extraNames(), dns, ips);
            SelfSignedCertificate.Material m = SelfSignedCertificate.loadOrCreate(dir, dns, ips, Instant.now());
            chain = List.of(m.certificate());
            key = m.key();
            origin = "the self-signed certificate " + dir.resolve(SelfSignedCertificate.CERT_FILE) + " (" + m.what() + ")";
        } else {
            Path certFile = options.certFile().orElseThrow();
            Path keyFile = options.keyFile().orElseThrow();
            chain = PemFiles.certificates(certFile, "--tls-cert");
            key = PemFiles.privateKey(keyFile, "--tls-key");
            PemFiles.checkPair(key, chain.get(0), "--tls-key " + keyFile + " and --tls-cert " + certFile);
            origin = "the certificate " + certFile;
        }
        X509Certificate served = chain.get(0);
        Instant now = Instant.now();
        if (served.getNotAfter().toInstant().isBefore(now)) {
            log.warn("the TLS certificate {} expired at {}: clients that check dates refuse it; renew it",
                    served.getSubjectX500Principal().getName(), served.getNotAfter().toInstant());
        } else if (served.getNotBefore().toInstant().isAfter(now)) {
            log.warn("the TLS certificate {} is valid only from {}", served.getSubjectX500Principal().getName(),
                    served.getNotBefore().toInstant());
        }
        SelfSignedCertificate.writeAtomically(dir.resolve(SERVED_CHAIN), PemFiles.pem(chain), false);

        char[] password = Base64.getUrlEncoder().withoutPadding().encodeToString(random(32)).toCharArray();
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry(ALIAS, key, password, chain.toArray(Certificate[]::new));
        Path keystore = dir.resolve(KEYSTORE);
        Files.deleteIfExists(keystore);
        try (OutputStream out = Files.newOutputStream(create(keystore), StandardOpenOption.WRITE)) {
            store.store(out, password);
        }
        String fingerprint = fingerprint(served);
        log.info("serving HTTPS on port {} with {}: subject {}, valid until {}, SHA-256 fingerprint {}; plain HTTP is off",
                port, origin, served.getSubjectX500Principal().getName(), served.getNotAfter().toInstant(), fingerprint);

        Map<String, String> p = new LinkedHashMap<>();
        p.put("org.apache.felix.http.enable", "false");
        p.put("org.apache.felix.https.enable", "true");
        p.put("org.osgi.service.http.port.secure", Integer.toString(port));
        p.put("org.apache.felix.https.keystore", keystore.toString());
        p.put("org.apache.felix.https.keystore.type", "PKCS12");
        p.put("org.apache.felix.https.keystore.password", new String(password));
        p.put("org.apache.felix.https.keystore.key.password", new String(password));
        p.put("org.apache.felix.https.jetty.protocols.included", "TLSv1.3,TLSv1.2");
        p.put(PROP_CERTIFICATE, dir.resolve(SERVED_CHAIN).toString());
        p.put(PROP_FINGERPRINT, fingerprint);
        return p;
    }

    /** {@code AB:CD:…}, as {@code openssl x509 -fingerprint -sha256} prints it. */
    public static String fingerprint(X509Certificate c) throws GeneralSecurityException {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(c.getEncoded());
        return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
    }

    /**
     * The names a self-signed certificate carries: {@code localhost}, this host's name and its canonical name, the
     * loopback addresses, the listen address when it is a specific one, and the extra names.
     */
    static void names(String bind, Set<String> extra, Set<String> dns, Set<InetAddress> ips) throws UnknownHostException {
        dns.add("localhost");
        ips.add(InetAddress.getByName("127.0.0.1"));
        ips.add(InetAddress.getByName("::1"));
        try {
            InetAddress local = InetAddress.getLocalHost();
            addName(local.getHostName(), dns, ips);
            addName(local.getCanonicalHostName(), dns, ips);
        } catch (UnknownHostException e) {
            // a host without a resolvable name: the other names still serve, and --tls-names can add some
        }
        InetAddress listen = InetAddress.getByName(bind);
        if (!listen.isAnyLocalAddress()) {
            ips.add(listen);
        }
        for (String n : extra) {
            addName(n, dns, ips);
        }
    }

    private static void addName(String name, Set<String> dns, Set<InetAddress> ips) throws UnknownHostException {
        if (name == null || name.isBlank()) {
            return;
        }
        if (name.matches("[0-9.]+") || name.contains(":")) {
            ips.add(InetAddress.getByName(name)); // a literal: no lookup happens
        } else {
            dns.add(name.toLowerCase(Locale.ROOT));
        }
    }

    private static Path create(Path file) throws IOException {
        try {
            return Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            return Files.createFile(file);
        }
    }

    private static void restrict(Path dir, String mode) throws IOException {
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(mode));
        } catch (UnsupportedOperationException e) {
            // not POSIX: the data folder's ACL applies
        }
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }
}
