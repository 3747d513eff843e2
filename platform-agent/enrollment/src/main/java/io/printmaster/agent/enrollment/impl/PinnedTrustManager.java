package io.printmaster.agent.enrollment.impl;

import java.net.Socket;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The trust of an agent whose installer pinned the server ({@code tls_pinned} in fleet.json): the certificates of
 * {@code etc/ca-bundle.pem} and nothing else, never the system's CAs.
 * <ul>
 *   <li>A server whose certificate carries the public key of a bundle certificate is trusted: the handshake proves it
 *   holds the private key, and the key is what was pinned. Names and dates do not matter here, so a self-signed
 *   certificate re-issued for the same key (a renewal, a new host name) keeps working.</li>
 *   <li>Otherwise the chain must lead to a bundle certificate as its anchor, with the host name checked as usual: a
 *   bundle holding the server's CA (or the next certificate beside the current one) survives a change of key.</li>
 * </ul>
 */
final class PinnedTrustManager extends ServerOnlyTrustManager {
    private final List<X509Certificate> pins;
    private final X509ExtendedTrustManager bundleAnchors;
    private final Path bundle;

    PinnedTrustManager(List<X509Certificate> pins, X509ExtendedTrustManager bundleAnchors, Path bundle) {
        this.pins = List.copyOf(pins);
        this.bundleAnchors = bundleAnchors;
        this.bundle = bundle;
    }

    private interface Check {
        void run() throws CertificateException;
    }

    private void check(X509Certificate[] chain, Check anchored) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("the server sent no certificate");
        }
        byte[] key = chain[0].getPublicKey().getEncoded();
        for (X509Certificate pin : pins) {
            if (Arrays.equals(pin.getPublicKey().getEncoded(), key)) {
                return;
            }
        }
        try {
            anchored.run();
        } catch (CertificateException e) {
            throw new CertificateException("the server's certificate (" + chain[0].getSubjectX500Principal().getName()
                    + ", SHA-256 " + fingerprint(chain[0]) + ") is not the one pinned in " + bundle
                    + " and not issued by a certificate of it (" + e.getMessage() + "); if the server's certificate "
                    + "was replaced on purpose, put the new one in " + bundle, e);
        }
    }

    static String fingerprint(X509Certificate c) {
        try {
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
        } catch (NoSuchAlgorithmException | java.security.cert.CertificateEncodingException e) {
            return "?";
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain, () -> bundleAnchors.checkServerTrusted(chain, authType, socket));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        check(chain, () -> bundleAnchors.checkServerTrusted(chain, authType, engine));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, () -> bundleAnchors.checkServerTrusted(chain, authType));
    }



    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return pins.toArray(X509Certificate[]::new);
    }
}
