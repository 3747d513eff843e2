package io.printmaster.server.selfupdate.impl;

/** Thrown by every step that fails: code from the run error codes (UPPER_SNAKE), a message an admin can act on. */
public final class SelfUpdateFailure extends Exception {
    private static final long serialVersionUID = 1L;

    private final String code;

    public SelfUpdateFailure(String code, String message) {
        super(message);
        this.code = code;
    }

    public SelfUpdateFailure(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
