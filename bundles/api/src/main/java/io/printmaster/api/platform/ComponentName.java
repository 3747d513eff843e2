package io.printmaster.api.platform;

import java.util.Objects;

/**
 * The name of a piece of software that is released and updated on its own: {@link #AGENT}, {@link #SERVER}, or a
 * vendor's component. Names are 1 to 64 characters of lowercase letters, digits and hyphens, starting and ending
 * with a letter or digit ({@code agent}, {@code label-printer-driver}), so they are safe in file names, URLs and
 * service properties.
 */
public record ComponentName(String value) {

    /** The PrintMaster agent. */
    public static final ComponentName AGENT = new ComponentName("agent");
    /** The PrintMaster server. */
    public static final ComponentName SERVER = new ComponentName("server");

    /** Longest name accepted. */
    public static final int MAX_LENGTH = 64;

    /**
     * @throws IllegalArgumentException naming what is wrong with {@code value}
     */
    public ComponentName {
        Objects.requireNonNull(value, "component name");
        if (value.isEmpty() || value.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("component name '" + value + "' must be 1 to " + MAX_LENGTH
                    + " characters long");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-')) {
                throw new IllegalArgumentException("component name '" + value
                        + "' may only contain lowercase letters, digits and '-' (found '" + c + "')");
            }
        }
        if (value.startsWith("-") || value.endsWith("-")) {
            throw new IllegalArgumentException("component name '" + value + "' must not start or end with '-'");
        }
    }

    /** Same as the constructor. */
    public static ComponentName of(String value) {
        return new ComponentName(value);
    }

    @Override
    public String toString() {
        return value;
    }
}
