package io.printmaster.server.agents.impl;

import io.printmaster.http.api.ApiException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Where an agent's long poll left off ({@code GET /api/v1/agents/update/wait?cursor=}): the highest signal sequence
 * number the answering replica had seen and the time it answered. Opaque to agents (base64url of
 * {@code 1.<seq>.<epoch millis>}). A wait with a cursor first gets the push events recorded after it (see
 * {@link WaiterRegistry#wait}), so what was published while an agent reconnected is not lost within the replay window.
 */
record WaitCursor(long seq, long millis) {
    private static final String VERSION = "1";

    String encode() {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((VERSION + "." + seq + "." + millis).getBytes(StandardCharsets.US_ASCII));
    }

    /** @throws ApiException 400 naming {@code cursor} when it is not one this server handed out */
    static WaitCursor decode(String text) throws ApiException {
        if (text == null || text.isEmpty()) {
            return null;
        }
        if (text.length() > 100) {
            throw invalid();
        }
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.US_ASCII).split("\\.", -1);
            if (parts.length != 3 || !VERSION.equals(parts[0])) {
                throw invalid();
            }
            long seq = Long.parseLong(parts[1]);
            long millis = Long.parseLong(parts[2]);
            if (seq < 0 || millis < 0) {
                throw invalid();
            }
            return new WaitCursor(seq, millis);
        } catch (IllegalArgumentException e) {
            throw invalid();
        }
    }

    private static ApiException invalid() {
        return ApiException.invalid("cursor", "cursor must be a value an earlier answer of this route gave, unchanged");
    }
}
