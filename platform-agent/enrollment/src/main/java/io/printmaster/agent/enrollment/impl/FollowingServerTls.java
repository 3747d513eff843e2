package io.printmaster.agent.enrollment.impl;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Collections;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * One TLS context for every call to the server (enrollment, check-in, and through {@code Enrollment.serverTls()} the
 * update worker's downloads and telemetry), whose trust follows the fleet files: the enrollment loop sets the trust
 * of the current {@code fleet.json} and {@code ca-bundle.pem} before each round, and every handshake after that uses
 * it. Long-lived HTTP clients built with it need no rebuilding when an admin replaces the CA bundle.
 */
final class FollowingServerTls {
    private final SSLContext context;
    private volatile X509ExtendedTrustManager current;

    FollowingServerTls(X509ExtendedTrustManager initial) throws GeneralSecurityException {
        this.current = initial;
        this.context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new Delegate()}, null);
    }

    SSLContext context() {
        return context;
    }

    /**
     * From now on, trust as {@code trust} does. Cached TLS sessions are dropped: a resumed session skips the
     * certificate check, and what the old trust accepted must be judged again by the new one.
     */
    void trust(X509ExtendedTrustManager trust) {
        this.current = trust;
        SSLSessionContext sessions = context.getClientSessionContext();
        for (byte[] id : Collections.list(sessions.getIds())) {
            SSLSession s = sessions.getSession(id);
            if (s != null) {
                s.invalidate();
            }
        }
    }

    private final class Delegate extends ServerOnlyTrustManager {
        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            current.checkServerTrusted(chain, authType, socket);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            current.checkServerTrusted(chain, authType, engine);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            current.checkServerTrusted(chain, authType);
        }



        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return current.getAcceptedIssuers();
        }
    }
}
