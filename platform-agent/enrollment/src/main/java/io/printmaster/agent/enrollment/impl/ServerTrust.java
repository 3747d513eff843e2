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
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The TLS trust for the server: the system's trust store, plus the certificates of the fleet's CA bundle
 * ({@code etc/ca-bundle.pem}) for servers with a private CA. Host names are still verified (the HTTP client checks
 * them; this only widens which issuers count).
 */
final class ServerTrust {
    private ServerTrust() {
    }

    static SSLContext context(Path caBundle) throws IOException, GeneralSecurityException {
        X509ExtendedTrustManager system = trustManager(null);
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
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {new EitherTrustManager(List.of(trustManager(bundle), system))}, null);
        return ctx;
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
    private static final class EitherTrustManager extends X509ExtendedTrustManager {
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
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            throw new CertificateException("the agent does not accept TLS clients");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            throw new CertificateException("the agent does not accept TLS clients");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("the agent does not accept TLS clients");
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
