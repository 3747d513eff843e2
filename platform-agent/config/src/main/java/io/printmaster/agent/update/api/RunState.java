package io.printmaster.agent.update.api;

import java.util.Locale;

/**
 * The states of an update run, with PrintMaster's wire names. {@link #UP_TO_DATE} (since 1.4) ends a check that found
 * nothing to install; before it such a check ended {@link #SUCCEEDED} without a target version.
 */
public enum RunState {
    IDLE, CHECKING, PENDING, DOWNLOADING, STAGING, APPLYING, RESTARTING, SUCCEEDED, FAILED, SKIPPED, ROLLED_BACK, CANCELLED,
    UP_TO_DATE;

    /** {@code idle}, {@code checking}, …, {@code rolled_back}, {@code cancelled}, {@code up_to_date}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
