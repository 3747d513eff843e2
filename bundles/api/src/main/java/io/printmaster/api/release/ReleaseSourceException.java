package io.printmaster.api.release;

import java.io.IOException;

/**
 * A release source could not answer: the upstream is unreachable, refused the request, answered something
 * unusable, or limits the request rate. The message says which, for an admin to read.
 */
public class ReleaseSourceException extends IOException {

    private static final long serialVersionUID = 1L;

    private final boolean retryable;

    /**
     * @param retryable true when the same request may succeed later unchanged (network failure, rate limit,
     *                  upstream 5xx); false when something must change first (bad credentials, unknown repository)
     */
    public ReleaseSourceException(String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
    }

    public ReleaseSourceException(String message, boolean retryable) {
        this(message, retryable, null);
    }

    /** True when retrying later, unchanged, may succeed. */
    public boolean retryable() {
        return retryable;
    }
}
