package io.printmaster.api.signing;

import java.security.GeneralSecurityException;

/**
 * A signing provider cannot perform an operation: a key is malformed (wrong length, not a point on the curve) or the
 * underlying cryptography failed. A signature that simply does not verify is not an exception:
 * {@link SigningProvider#verify} returns false.
 */
public class SigningException extends GeneralSecurityException {

    private static final long serialVersionUID = 1L;

    public SigningException(String message) {
        super(message);
    }

    public SigningException(String message, Throwable cause) {
        super(message, cause);
    }
}
