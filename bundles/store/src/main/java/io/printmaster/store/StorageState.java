package io.printmaster.store;

/**
 * @param up whether queries can run
 * @param kind the engine, e.g. {@code derby}
 * @param detail a human-readable reason when down, or the location when up
 */
public record StorageState(boolean up, String kind, String detail) {
}
