package io.printmaster.core.policy;

/** Structural checks of the policy records: a missing part is an error that names its field. */
final class Structure {

    private Structure() {
    }

    static <T> T require(T value, String field) {
        if (value == null) {
            throw new IllegalArgumentException(field + " is required");
        }
        return value;
    }
}
