package io.printmaster.api.service;

/**
 * A service operation failed: the service system refused it (access denied, unknown service), its command failed,
 * or the service did not reach the wanted state in time. The message says which and includes the service system's
 * own words, for an admin to read.
 */
public class ServiceManagerException extends Exception {

    private static final long serialVersionUID = 1L;

    public ServiceManagerException(String message) {
        super(message);
    }

    public ServiceManagerException(String message, Throwable cause) {
        super(message, cause);
    }
}
