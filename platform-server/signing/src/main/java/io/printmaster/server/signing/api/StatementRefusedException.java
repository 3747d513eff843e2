package io.printmaster.server.signing.api;

/**
 * A posted trust statement that the server does not accept; {@link #field()} names what does not verify or is
 * missing ({@code signature}, {@code statement_base64}, {@code key_id}, {@code expires_at}, {@code root_public_key}, …).
 *
 * @since 1.2
 */
public class StatementRefusedException extends Exception {
    private static final long serialVersionUID = 1L;
    private final String field;
    private final boolean conflict;

    public StatementRefusedException(String field, String message) {
        this(field, message, false);
    }

    /**
     * @param conflict true when the statement is well formed and verifies but contradicts the server's state (another
     *                 root than the configured one, a key already revoked): a 409 rather than a 400
     */
    public StatementRefusedException(String field, String message, boolean conflict) {
        super(message);
        this.field = field;
        this.conflict = conflict;
    }

    public String field() {
        return field;
    }

    public boolean conflict() {
        return conflict;
    }
}
