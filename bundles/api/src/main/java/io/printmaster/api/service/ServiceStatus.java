package io.printmaster.api.service;

/** The state of an installed service as the host's service system reports it. */
public enum ServiceStatus {
    /** Running. */
    RUNNING("running"),
    /** Installed and not running. */
    STOPPED("stopped"),
    /** Being started. */
    STARTING("starting"),
    /** Being stopped. */
    STOPPING("stopping"),
    /** Stopped because it failed (crashed, failed to start). */
    FAILED("failed"),
    /** No service of that name is installed. */
    NOT_INSTALLED("not_installed"),
    /** The service system answered something this manager does not understand. */
    UNKNOWN("unknown");

    private final String wireName;

    ServiceStatus(String wireName) {
        this.wireName = wireName;
    }

    /** The name used in JSON: {@code running}, {@code not_installed}, … */
    public String wireName() {
        return wireName;
    }

    @Override
    public String toString() {
        return wireName;
    }
}
