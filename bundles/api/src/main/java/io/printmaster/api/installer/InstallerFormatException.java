package io.printmaster.api.installer;

/**
 * An installer format cannot do what was asked with this input: the official artifact is not of its format or is
 * damaged, a fleet file collides with a file of the artifact that must not be replaced, the external tool the
 * format relies on failed. The message says which, for an admin to read. Plain I/O failures (disk full, file not
 * found) are {@link java.io.IOException}s instead.
 */
public class InstallerFormatException extends Exception {

    private static final long serialVersionUID = 1L;

    /** @param message what is wrong, for an admin to read */
    public InstallerFormatException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong, for an admin to read
     * @param cause   the underlying failure
     */
    public InstallerFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
