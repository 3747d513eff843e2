package io.printmaster.api.installer;

import java.util.Objects;
import java.util.Optional;

/**
 * Whether a plugin can work on this host, and why not: an MSI format needs {@code wixl} installed, for example.
 * The console shows the reason to the admin.
 *
 * @param available true when the plugin can serve requests now
 * @param reason    why it cannot, for an admin to act on; empty when available
 */
public record Availability(boolean available, Optional<String> reason) {

    /** Ready to work. */
    public static final Availability AVAILABLE = new Availability(true, Optional.empty());

    /**
     * @throws IllegalArgumentException when an unavailable plugin gives no reason, or an available one does
     */
    public Availability {
        Objects.requireNonNull(reason, "reason");
        if (available == reason.isPresent()) {
            throw new IllegalArgumentException(available ? "an available plugin has no reason to give"
                    : "an unavailable plugin must say why");
        }
        if (reason.isPresent() && reason.get().isBlank()) {
            throw new IllegalArgumentException("the reason must not be blank");
        }
    }

    /** Not usable, with the reason and what to do about it, such as {@code "wixl not found: apt install wixl"}. */
    public static Availability unavailable(String reason) {
        return new Availability(false, Optional.of(reason));
    }
}
