package io.printmaster.agent.update.api;

import java.time.Instant;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * When the update worker checks for updates next on its own: the update worker registers it, and every check-in
 * reports it as {@code next_check_at}, so the server can tell an agent that stopped checking from one that is not due
 * yet. While it is absent (no worker) the check-in leaves {@code next_check_at} out.
 *
 * @since 1.4
 */
@ProviderType
public interface ScheduledCheck {
    /**
     * The next scheduled check; during a run, the one after it (the run's check counts as the last check). Empty when
     * no check is scheduled (updates disabled, {@code update_check_days = 0}, a window that never opens).
     */
    Optional<Instant> nextCheckAt();
}
