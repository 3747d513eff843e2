package io.printmaster.store;

/** The schema cannot be brought to the code's version: a failed step, or a database newer than the code. */
public class SchemaException extends Exception {
    private static final long serialVersionUID = 1L;

    public SchemaException(String message) {
        super(message);
    }

    public SchemaException(String message, Throwable cause) {
        super(message, cause);
    }
}
