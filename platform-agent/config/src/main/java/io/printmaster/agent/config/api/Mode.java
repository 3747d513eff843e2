package io.printmaster.agent.config.api;

import java.util.Locale;
import java.util.Optional;

/** The agent's override mode ({@code mode} in {@code etc/io.printmaster.agent.cfg}). */
public enum Mode {
    /** Follow the fleet policy from the server; use the local policy while the server has not given one. */
    INHERIT,
    /** Ignore the fleet policy and follow the local policy (air-gapped or specially managed hosts). */
    LOCAL,
    /** No automatic updates at all. */
    DISABLED;

    /** The name in configuration files and on the wire: {@code inherit}, {@code local}, {@code disabled}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The mode with this wire name, ignoring case and surrounding blanks; empty for anything else. */
    public static Optional<Mode> fromWireName(String value) {
        if (value == null) {
            return Optional.empty();
        }
        String v = value.trim().toLowerCase(Locale.ROOT);
        for (Mode m : values()) {
            if (m.wireName().equals(v)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }
}
