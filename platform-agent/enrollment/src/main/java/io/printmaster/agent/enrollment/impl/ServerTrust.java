package io.printmaster.agent.enrollment.impl;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The TLS trust for the server: without a CA bundle the system's trust store; with one
 * ({@code etc/ca-bundle.pem}), the system's trust store plus its certificates (servers with a private CA, host names
 * still verified), or, when the installer pinned the server ({@code tls_pinned}), its certificates only
 * ({@link PinnedTrustManager}).
 */
final class ServerTrust {
    private ServerTrust() {
    }

    /** The system's trust store alone. */
    static X509ExtendedTrustManager system() throws GeneralSecurityException {
        return trustManager(null);
    }

    /** The trust for a fleet source's CA bundle: empty means the system's; {@code pinned}: the bundle only. */
    static X509ExtendedTrustManager forBundle(Optional<Path> caBundle, boolean pinned)
            throws IOException, GeneralSecurityException {
        return forBundle(caBundle, pinned, Optional.empty());
    }

    /**
     * As {@link #forBundle(Optional, boolean)}; a pinned agent also trusts the certificates its server announced
     * ({@code learned}, {@link LearnedPins}).
     */
    static X509ExtendedTrustManager forBundle(Optional<Path> caBundle, boolean pinned, Optional<Path> learned)
            throws IOException, GeneralSecurityException {
        if (caBundle.isEmpty()) {
            if (pinned) {
                throw new CertificateException("tls_pinned needs the server's certificate in a ca_bundle");
            }
            return system();
        }
        KeyStore bundle = bundleStore(caBundle.get());
        if (pinned && learned.isPresent()) {
            KeyStore more = bundleStore(learned.get());
            for (String alias : java.util.Collections.list(more.aliases())) {
                bundle.setCertificateEntry("learned-" + alias, more.getCertificate(alias));
            }
        }
        if (pinned) {
            List<X509Certificate> pins = new ArrayList<>();
            for (String alias : java.util.Collections.list(bundle.aliases())) {
                pins.add((X509Certificate) bundle.getCertificate(alias));
            }
            return new PinnedTrustManager(pins, trustManager(bundle), caBundle.get());
        }
        return new EitherTrustManager(List.of(trustManager(bundle), system()));
    }

    static SSLContext context(Path caBundle) throws IOException, GeneralSecurityException {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {forBundle(Optional.of(caBundle), false)}, null);
        return ctx;
    }

    private static KeyStore bundleStore(Path caBundle) throws IOException, GeneralSecurityException {
        KeyStore bundle = KeyStore.getInstance(KeyStore.getDefaultType());
        bundle.load(null, null);
        Collection<? extends Certificate> certs;
        try (InputStream in = Files.newInputStream(caBundle)) {
            certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
        }
        if (certs.isEmpty()) {
            throw new CertificateException(caBundle + " holds no PEM certificate");
        }
        int i = 0;
        for (Certificate c : certs) {
            bundle.setCertificateEntry("ca-bundle-" + i++, c);
        }
        return bundle;
    }

    private static X509ExtendedTrustManager trustManager(KeyStore store) throws GeneralSecurityException {
        TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        f.init(store);
        for (TrustManager tm : f.getTrustManagers()) {
            if (tm instanceof X509ExtendedTrustManager x) {
                return x;
            }
        }
        throw new GeneralSecurityException("no X.509 trust manager available");
    }

    /** Trusts a server chain when any of its trust managers does; the agent never acts as a TLS server. */
    private static final class EitherTrustManager extends ServerOnlyTrustManager {
        private final List<X509ExtendedTrustManager> managers;

        EitherTrustManager(List<X509ExtendedTrustManager> managers) {
            this.managers = managers;
        }

        private interface Check {
            void run(X509ExtendedTrustManager tm) throws CertificateException;
        }

        private void any(Check check) throws CertificateException {
            CertificateException first = null;
            for (X509ExtendedTrustManager tm : managers) {
                try {
                    check.run(tm);
                    return;
                } catch (CertificateException e) {
                    if (first == null) {
                        first = e;
                    }
                }
            }
            throw first;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            any(tm -> tm.checkServerTrusted(chain, authType, socket));
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            any(tm -> tm.checkServerTrusted(chain, authType, engine));
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            any(tm -> tm.checkServerTrusted(chain, authType));
        }



        @Override
        public X509Certificate[] getAcceptedIssuers() {
            List<X509Certificate> all = new ArrayList<>();
            for (X509ExtendedTrustManager tm : managers) {
                all.addAll(List.of(tm.getAcceptedIssuers()));
            }
            return all.toArray(new X509Certificate[0]);
        }
    }
}
