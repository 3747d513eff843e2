package io.printmaster.api.support;

import io.printmaster.api.installer.FleetFile;
import io.printmaster.api.installer.FleetFiles;
import io.printmaster.api.installer.InstallerFormatException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The entries of an official artifact as the safety rules see them: every name normalised and checked (no {@code ..},
 * no absolute paths or drive letters, no duplicates, also ignoring case, because the Windows and macOS file systems
 * the archive is unpacked on do), all of them inside one top-level folder, links resolving inside that folder.
 * Fed one entry at a time while the archive is read; each rule breach is an {@link InstallerFormatException} naming
 * the entry.
 *
 * <p>Shared by the archive formats (zip, tar.gz, a vendor's own), so every format refuses the same things. Not
 * thread-safe: one instance per archive read.
 *
 * @since 1.0
 */
public final class ArchiveIndex {
    /** What an entry is, as far as replacing it with a fleet file goes. */
    public enum Kind { FILE, DIRECTORY, LINK }

    private static final Pattern DRIVE_LETTER = Pattern.compile("^[A-Za-z]:.*");

    private String topFolder;
    private String firstTopName;
    /** Relative path (to the top folder) → kind; the top folder itself is not in it. */
    private final Map<String, Kind> byRelativePath = new LinkedHashMap<>();
    /** Lower-cased normalised name → the entry name as written, to name both sides of a duplicate. */
    private final Map<String, String> folded = new HashMap<>();

    /**
     * Checks and records one entry.
     *
     * @param rawName the name as stored in the archive
     * @return the path relative to the top folder; empty for the top folder itself
     */
    public String add(String rawName, Kind kind) throws InstallerFormatException {
        String normalised = normalise(rawName);
        int slash = normalised.indexOf('/');
        String top = slash < 0 ? normalised : normalised.substring(0, slash);
        String relative = slash < 0 ? "" : normalised.substring(slash + 1);
        if (relative.isEmpty() && kind != Kind.DIRECTORY) {
            throw new InstallerFormatException("entry '" + rawName + "' lies outside the top-level folder: an official "
                    + "artifact holds exactly one top-level folder and nothing beside it");
        }
        if (topFolder == null) {
            topFolder = top;
            firstTopName = rawName;
        } else if (!topFolder.equals(top)) {
            throw new InstallerFormatException("more than one top-level folder: entry '" + rawName + "' is not inside '"
                    + topFolder + "/' (first seen in entry '" + firstTopName + "'); an official artifact holds exactly one");
        }
        String previous = folded.putIfAbsent(normalised.toLowerCase(Locale.ROOT), rawName);
        if (previous != null) {
            throw new InstallerFormatException("duplicate entry '" + rawName + "': the archive also holds '" + previous
                    + "', the same path once normalised (and ignoring case)");
        }
        if (!relative.isEmpty()) {
            byRelativePath.put(relative, kind);
        }
        return relative;
    }

    /**
     * Checks a link entry's target: a symbolic link's target is relative to the link's folder, a hard link's to the
     * archive root; either must stay inside the top-level folder.
     */
    public void checkLinkTarget(String rawName, String target, boolean hardLink) throws InstallerFormatException {
        if (target == null || target.isEmpty()) {
            throw new InstallerFormatException("link entry '" + rawName + "' has no target");
        }
        if (target.startsWith("/") || target.indexOf('\\') >= 0 || DRIVE_LETTER.matcher(target).matches()
                || target.indexOf('\0') >= 0) {
            throw new InstallerFormatException("link entry '" + rawName + "' points to '" + target
                    + "', an absolute path outside the installation");
        }
        List<String> resolved = new ArrayList<>();
        if (!hardLink) {
            String[] own = normalise(rawName).split("/");
            for (int i = 0; i < own.length - 1; i++) {
                resolved.add(own[i]);
            }
        }
        for (String segment : target.split("/")) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                if (resolved.isEmpty()) {
                    throw escapes(rawName, target);
                }
                resolved.remove(resolved.size() - 1);
            } else {
                resolved.add(segment);
            }
        }
        if (resolved.isEmpty() || topFolder == null || !resolved.get(0).equals(topFolder)) {
            throw escapes(rawName, target);
        }
    }

    private InstallerFormatException escapes(String rawName, String target) {
        return new InstallerFormatException("link entry '" + rawName + "' points to '" + target
                + "', which escapes the top-level folder '" + topFolder + "/'");
    }

    /**
     * The normalised form of an entry name: {@code /}-separated segments without empty or {@code .} segments and
     * without a trailing {@code /}.
     *
     * @throws InstallerFormatException for an absolute path, a drive letter, a backslash, a {@code ..} segment, a NUL
     */
    public static String normalise(String rawName) throws InstallerFormatException {
        if (rawName == null || rawName.isEmpty()) {
            throw new InstallerFormatException("an entry has an empty name");
        }
        if (rawName.indexOf('\0') >= 0) {
            throw new InstallerFormatException("entry '" + rawName.replace('\0', '?') + "' has a NUL in its name");
        }
        if (rawName.startsWith("/")) {
            throw new InstallerFormatException("entry '" + rawName + "' has an absolute path");
        }
        if (DRIVE_LETTER.matcher(rawName).matches()) {
            throw new InstallerFormatException("entry '" + rawName + "' starts with a drive letter");
        }
        if (rawName.indexOf('\\') >= 0) {
            throw new InstallerFormatException("entry '" + rawName + "' uses '\\' in its name (a Windows path, which "
                    + "would unpack outside its folder on Windows)");
        }
        StringBuilder out = new StringBuilder(rawName.length());
        for (String segment : rawName.split("/")) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                throw new InstallerFormatException("entry '" + rawName + "' has a '..' segment (path traversal)");
            }
            if (out.length() > 0) {
                out.append('/');
            }
            out.append(segment);
        }
        if (out.length() == 0) {
            throw new InstallerFormatException("entry '" + rawName + "' names no file");
        }
        return out.toString();
    }

    /** The single top-level folder. */
    public String topFolder() throws InstallerFormatException {
        if (topFolder == null) {
            throw new InstallerFormatException("the archive is empty: an official artifact holds one top-level folder");
        }
        return topFolder;
    }

    /** Relative path → kind of every entry but the top folder, in archive order. */
    public Map<String, Kind> entries() {
        return byRelativePath;
    }

    /**
     * Checks that the fleet files fit in: none replaces a folder, none lies under a file.
     *
     * @return the folders (relative paths, parents first) that the fleet files need and the archive lacks
     */
    public static List<String> missingFolders(Map<String, Kind> entries, FleetFiles fleetFiles) throws InstallerFormatException {
        List<String> missing = new ArrayList<>();
        for (FleetFile f : fleetFiles.files()) {
            Kind existing = entries.get(f.path());
            if (existing == Kind.DIRECTORY) {
                throw new InstallerFormatException("fleet file '" + f.path() + "' would replace the folder '" + f.path()
                        + "/' of the official artifact");
            }
            String[] segments = f.path().split("/");
            StringBuilder parent = new StringBuilder();
            for (int i = 0; i < segments.length - 1; i++) {
                if (i > 0) {
                    parent.append('/');
                }
                parent.append(segments[i]);
                String p = parent.toString();
                Kind kind = entries.get(p);
                if (kind == null) {
                    if (!missing.contains(p)) {
                        missing.add(p);
                    }
                } else if (kind != Kind.DIRECTORY) {
                    throw new InstallerFormatException("fleet file '" + f.path() + "' lies under '" + p
                            + "', which is a file of the official artifact, not a folder");
                }
            }
        }
        return missing;
    }
}
