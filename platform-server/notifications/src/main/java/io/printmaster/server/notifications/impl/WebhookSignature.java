package io.printmaster.server.notifications.impl;

import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * {@code X-PrintMaster-Signature: sha256=<hex>}: HMAC-SHA256 of the exact body bytes under the webhook's secret (its
 * UTF-8 bytes), so a receiver can check that the body came from this server unchanged.
 */
final class WebhookSignature {
    static final String HEADER = "X-PrintMaster-Signature";

    private WebhookSignature() {
    }

    static String sign(byte[] secret, byte[] body) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret, "HmacSHA256"));
        return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
    }
}
