package io.printmaster.agent.update.api;

/** The worker will not start a run now; the message tells the operator why. Nothing was started. */
public class TriggerRefusedException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String code;

    /**
     * @param code a stable snake_case reason such as {@code run_in_progress}, {@code updates_disabled} or
     *     {@code not_configured}, sent to API clients as the error code
     * @param message a sentence for the operator
     */
    public TriggerRefusedException(String code, String message) {
        super(message);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
