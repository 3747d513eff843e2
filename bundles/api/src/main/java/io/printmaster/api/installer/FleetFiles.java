package io.printmaster.api.installer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The files a fleet's installer carries on top of the official artifact, at most one per path, in the order added.
 * Immutable.
 */
public final class FleetFiles {

    private static final FleetFiles EMPTY = new FleetFiles(new LinkedHashMap<>());

    private final Map<String, FleetFile> byPath;

    private FleetFiles(LinkedHashMap<String, FleetFile> byPath) {
        this.byPath = byPath;
    }

    /** No files. */
    public static FleetFiles empty() {
        return EMPTY;
    }

    /**
     * These files.
     *
     * @throws IllegalArgumentException when two files have the same path (ignoring case, because Windows and
     *                                  macOS file systems do)
     */
    public static FleetFiles of(Collection<FleetFile> files) {
        LinkedHashMap<String, FleetFile> map = new LinkedHashMap<>();
        Map<String, String> folded = new LinkedHashMap<>();
        for (FleetFile f : files) {
            String previous = folded.putIfAbsent(f.path().toLowerCase(Locale.ROOT), f.path());
            if (previous != null) {
                throw new IllegalArgumentException("two fleet files for the same path: '" + previous + "' and '"
                        + f.path() + "'");
            }
            map.put(f.path(), f);
        }
        return new FleetFiles(map);
    }

    /** These files; see {@link #of(Collection)}. */
    public static FleetFiles of(FleetFile... files) {
        return of(List.of(files));
    }

    /** The files, in the order given. */
    public List<FleetFile> files() {
        return List.copyOf(byPath.values());
    }

    /** The file at {@code path} (exact case), if any. */
    public Optional<FleetFile> get(String path) {
        return Optional.ofNullable(byPath.get(path));
    }

    /** The paths, in the order given. */
    public List<String> paths() {
        return new ArrayList<>(byPath.keySet());
    }

    /** The number of files. */
    public int size() {
        return byPath.size();
    }

    /** True when there are no files. */
    public boolean isEmpty() {
        return byPath.isEmpty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FleetFiles f && byPath.equals(f.byPath);
    }

    @Override
    public int hashCode() {
        return byPath.hashCode();
    }

    @Override
    public String toString() {
        return "FleetFiles" + byPath.values();
    }
}
