package io.printmaster.agent.update.api;

import java.util.Locale;

/** The states of an update run, with PrintMaster's wire names. */
public enum RunState {
    IDLE, CHECKING, PENDING, DOWNLOADING, STAGING, APPLYING, RESTARTING, SUCCEEDED, FAILED, SKIPPED, ROLLED_BACK, CANCELLED;

    /** {@code idle}, {@code checking}, …, {@code rolled_back}, {@code cancelled}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
