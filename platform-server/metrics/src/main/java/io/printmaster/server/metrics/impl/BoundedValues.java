package io.printmaster.server.metrics.impl;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Keeps a label's values few: a value must look like what the label holds, and only the first {@code max} distinct
 * ones are kept as they are; anything else is {@link #OTHER}. Every distinct label value is a time series Prometheus
 * stores for good, so a value a client chose (an odd version string, a flood of them) must never become one.
 */
final class BoundedValues {
    static final String OTHER = "other";

    private final Pattern shape;
    private final int max;
    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    BoundedValues(Pattern shape, int max) {
        this.shape = shape;
        this.max = max;
    }

    /** The value to use as a label: the value itself, {@code absent} when it is null or empty, else {@link #OTHER}. */
    String bound(String value, String absent) {
        if (value == null || value.isEmpty()) {
            return absent;
        }
        if (!shape.matcher(value).matches()) {
            return OTHER;
        }
        if (seen.contains(value)) {
            return value;
        }
        if (seen.size() >= max) {
            return OTHER;
        }
        seen.add(value);
        return value;
    }
}
