package io.printmaster.server.releases.impl;

import io.printmaster.server.releases.api.RejectReason;

/**
 * An asset was not taken into the cache, with the reason an admin reads in the sync status and the console. Nothing
 * of it entered the cache; see {@link ArtifactCache} for what is kept to resume an interrupted download.
 */
final class IntakeException extends Exception {
    private static final long serialVersionUID = 1L;

    private final RejectReason reason;

    IntakeException(RejectReason reason, String message) {
        this(reason, message, null);
    }

    IntakeException(RejectReason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    RejectReason reason() {
        return reason;
    }
}
