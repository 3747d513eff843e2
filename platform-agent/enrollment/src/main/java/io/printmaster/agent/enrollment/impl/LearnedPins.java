package io.printmaster.agent.enrollment.impl;

import io.printmaster.agent.files.AtomicFiles;
import io.printmaster.agent.files.Digests;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Collection;
import java.util.Optional;

/**
 * The certificates a pinned server announced ({@code GET /api/v1/agents/tls/certificates}) over a connection the
 * agent already trusted, kept in {@code <data>/state/tls-pins-<server>.pem} and trusted beside
 * {@code etc/ca-bundle.pem}: how agents learn the server's next certificate before it is switched to. An announcement
 * is kept only when it holds the certificate the server presented on that very connection, so it can add the next
 * certificate but never lock the agent out of the current one. One file per server URL: moving to another server
 * starts from its installer's bundle again.
 */
final class LearnedPins {
    static final int MAX_BYTES = 256 * 1024;
    static final int MAX_CERTIFICATES = 32;

    private final Path stateDir;

    LearnedPins(Path stateDir) {
        this.stateDir = stateDir;
    }

    Path file(URI serverUrl) {
        String id = Digests.sha256Hex(serverUrl.toString().getBytes(StandardCharsets.UTF_8)).substring(0, 16);
        return stateDir.resolve("tls-pins-" + id + ".pem");
    }

    /** The learned file for {@code serverUrl}, when there is one. */
    Optional<Path> existing(URI serverUrl) {
        Path f = file(serverUrl);
        return Files.isRegularFile(f) ? Optional.of(f) : Optional.empty();
    }

    /**
     * Keeps an announcement.
     *
     * @return true when the file changed
     * @throws IOException with the reason when the announcement is refused (not certificates, too many, or without
     *     the presented certificate's key)
     */
    boolean accept(URI serverUrl, String pem, X509Certificate presented) throws IOException {
        byte[] bytes = pem.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length > MAX_BYTES) {
            throw new IOException("the announced certificates exceed " + MAX_BYTES + " bytes");
        }
        Collection<? extends Certificate> certs;
        try {
            certs = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes));
        } catch (CertificateException e) {
            throw new IOException("the announced certificates do not parse: " + e.getMessage());
        }
        if (certs.isEmpty() || certs.size() > MAX_CERTIFICATES) {
            throw new IOException("the server announced " + certs.size() + " certificates (1 to " + MAX_CERTIFICATES + " expected)");
        }
        byte[] key = presented.getPublicKey().getEncoded();
        boolean current = certs.stream().anyMatch(c -> Arrays.equals(c.getPublicKey().getEncoded(), key));
        if (!current) {
            throw new IOException("the announced certificates do not include the one the server presented ("
                    + presented.getSubjectX500Principal().getName() + "); kept the ones already trusted");
        }
        Path f = file(serverUrl);
        if (Files.isRegularFile(f) && Arrays.equals(Files.readAllBytes(f), bytes)) {
            return false;
        }
        Files.createDirectories(stateDir);
        AtomicFiles.write(f, bytes);
        return true;
    }
}
