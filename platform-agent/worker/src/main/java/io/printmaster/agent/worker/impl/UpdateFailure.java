package io.printmaster.agent.worker.impl;

import java.util.Objects;

/**
 * A step of an update run failed with one of PrintMaster's error codes ({@code MANIFEST_ERROR}, {@code HASH_MISMATCH},
 * …, docs/api.md, the telemetry route), which telemetry and the status page carry as they are, and a sentence for the operator.
 */
public final class UpdateFailure extends Exception {
    private static final long serialVersionUID = 1L;

    private final String code;

    public UpdateFailure(String code, String message) {
        super(message);
        this.code = Objects.requireNonNull(code, "code");
    }

    public UpdateFailure(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    /** The error code, such as {@code MANIFEST_ERROR}. */
    public String code() {
        return code;
    }
}
