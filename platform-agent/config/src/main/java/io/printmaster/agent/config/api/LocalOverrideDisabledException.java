package io.printmaster.agent.config.api;

/**
 * The local policy may not be changed here: {@code allow_local_override} is off in the agent's settings. Fail closed:
 * the settings file, not the page, decides.
 *
 * @since 1.2
 */
public class LocalOverrideDisabledException extends Exception {
    private static final long serialVersionUID = 1L;

    public LocalOverrideDisabledException(String message) {
        super(message);
    }
}
