package io.printmaster.agent.enrollment.impl;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A trust manager of the agent's calls to its server: the agent is only ever a TLS client, so every client check is
 * refused; subclasses decide which servers to trust.
 */
abstract class ServerOnlyTrustManager extends X509ExtendedTrustManager {
    private static final String NO_CLIENTS = "the agent does not accept TLS clients";

    @Override
    public final void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        throw new CertificateException(NO_CLIENTS);
    }

    @Override
    public final void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        throw new CertificateException(NO_CLIENTS);
    }

    @Override
    public final void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException(NO_CLIENTS);
    }
}
