package io.printmaster.installer.msi.impl;

import io.printmaster.api.installer.FleetFile;
import io.printmaster.api.installer.InstallerFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * The files an MSI installs, relative to the install folder: the official Windows zip's content (without its
 * top-level folder) plus the fleet's files. Each file's bytes are kept in a work folder under a generated name
 * ({@code 17.bin}), so no name from the archive ever becomes a path on this host: an entry cannot escape the work
 * folder, and long or odd names (spaces, {@code &}, {@code $}) only ever appear in the generated WiX source.
 *
 * <p>Paths are compared ignoring case, as Windows does: two entries that differ only in case are duplicates, and a
 * fleet file replaces the artifact's file with the same path in any case.
 */
final class Payload {

    /** Limits that keep a hostile archive (a zip bomb) from filling the disk. */
    record Limits(int maxEntries, long maxTotalBytes, int maxRatio, long ratioCheckedAbove) {
        /**
         * 100 000 entries; 2 GiB in all (a cabinet cannot hold more, wixl would fail anyway); an entry of more than
         * 1 MiB may be at most 100 times its compressed size (jars and executables compress far less).
         */
        static final Limits DEFAULT = new Limits(100_000, 2L << 30, 100, 1L << 20);
    }

    /** A file of the package: its path relative to the install folder and where its bytes are. */
    record File(String path, Path content, long size) {
    }

    private final Path contentDir;
    /** by lower-case path */
    private final NavigableMap<String, File> files = new TreeMap<>();
    /** folders that the archive lists, by lower-case path; each maps to its path as spelled first */
    private final NavigableMap<String, String> folders = new TreeMap<>();
    private int nextContentId;

    private Payload(Path contentDir) {
        this.contentDir = contentDir;
    }

    /**
     * Reads and checks the official Windows zip into {@code workDir}.
     *
     * @throws InstallerFormatException when it is not a zip, has no single top-level folder, or has an unsafe,
     *                                  duplicate or (on Windows) impossible entry, or is past the {@code limits}
     */
    static Payload unpack(Path zip, Path workDir, Limits limits) throws IOException, InstallerFormatException {
        Payload payload = new Payload(Files.createDirectory(workDir.resolve("payload")));
        ZipFile zipFile;
        try {
            zipFile = new ZipFile(zip.toFile());
        } catch (ZipException e) {
            throw new InstallerFormatException("the official Windows artifact is not a readable zip archive: "
                    + e.getMessage(), e);
        }
        try (zipFile) {
            payload.readEntries(zipFile, limits);
        } catch (ZipException e) {
            throw new InstallerFormatException("the official Windows artifact is a damaged zip archive: "
                    + e.getMessage(), e);
        }
        return payload;
    }

    private void readEntries(ZipFile zip, Limits limits) throws IOException, InstallerFormatException {
        String topFolder = null;
        int count = 0;
        long total = 0;
        Enumeration<? extends ZipEntry> entries = zip.entries();
        while (entries.hasMoreElements()) {
            ZipEntry entry = entries.nextElement();
            if (++count > limits.maxEntries()) {
                throw new InstallerFormatException("the official Windows artifact has more than " + limits.maxEntries()
                        + " entries: refused as a possible zip bomb");
            }
            String name = entry.getName();
            checkEntryName(name);
            boolean folder = name.endsWith("/");
            String trimmed = folder ? name.substring(0, name.length() - 1) : name;
            int slash = trimmed.indexOf('/');
            String top = slash < 0 ? trimmed : trimmed.substring(0, slash);
            if (slash < 0 && !folder) {
                throw new InstallerFormatException("the official Windows artifact has the file '" + name
                        + "' outside a top-level folder; it must hold exactly one folder (printmaster-agent-<version>/)");
            }
            if (topFolder == null) {
                topFolder = top;
            } else if (!topFolder.equals(top)) {
                throw new InstallerFormatException("the official Windows artifact has more than one top-level folder: '"
                        + topFolder + "/' and '" + top + "/'; it must hold exactly one");
            }
            if (slash < 0) {
                continue; // the top-level folder itself
            }
            String path = trimmed.substring(slash + 1);
            checkWindowsName(path, "entry '" + name + "' of the official Windows artifact");
            if (folder) {
                addFolder(path, name);
                continue;
            }
            String key = key(path);
            if (files.containsKey(key) || folders.containsKey(key)) {
                throw new InstallerFormatException("the official Windows artifact has a duplicate entry '" + name
                        + "' (Windows does not tell names apart by case)");
            }
            long remaining = limits.maxTotalBytes() - total;
            Path content = newContentFile();
            long size = copy(zip, entry, content, remaining, limits);
            total += size;
            files.put(key, new File(path, content, size));
        }
        if (topFolder == null) {
            throw new InstallerFormatException("the official Windows artifact is an empty zip archive");
        }
        checkNoFileIsAFolder();
    }

    private void addFolder(String path, String entryName) throws InstallerFormatException {
        String key = key(path);
        if (folders.putIfAbsent(key, path) != null || files.containsKey(key)) {
            throw new InstallerFormatException("the official Windows artifact has a duplicate entry '" + entryName
                    + "' (Windows does not tell names apart by case)");
        }
    }

    /** Copies one entry to a new content file, counting the bytes really inflated (headers can lie). */
    private static long copy(ZipFile zip, ZipEntry entry, Path target, long remaining, Limits limits)
            throws IOException, InstallerFormatException {
        long compressed = Math.max(entry.getCompressedSize(), 1);
        long written = 0;
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = zip.getInputStream(entry); OutputStream out = Files.newOutputStream(target)) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                written += n;
                if (written > remaining) {
                    throw new InstallerFormatException("the official Windows artifact unpacks to more than "
                            + limits.maxTotalBytes() + " bytes: refused as a possible zip bomb");
                }
                if (written > limits.ratioCheckedAbove() && written > compressed * limits.maxRatio()) {
                    throw new InstallerFormatException("entry '" + entry.getName() + "' of the official Windows "
                            + "artifact unpacks to more than " + limits.maxRatio() + " times its compressed size: "
                            + "refused as a possible zip bomb");
                }
                out.write(buffer, 0, n);
            }
        }
        return written;
    }

    /** A path is either a file or a folder, never both: {@code etc} cannot be a file when {@code etc/x} exists. */
    private void checkNoFileIsAFolder() throws InstallerFormatException {
        for (String key : files.keySet()) {
            if (folders.containsKey(key)) {
                throw new InstallerFormatException("'" + files.get(key).path() + "' is both a file and a folder "
                        + "in the package");
            }
            String prefix = key + "/";
            String next = files.ceilingKey(prefix);
            String nextFolder = folders.ceilingKey(prefix);
            if ((next != null && next.startsWith(prefix)) || (nextFolder != null && nextFolder.startsWith(prefix))) {
                throw new InstallerFormatException("'" + files.get(key).path() + "' is both a file and a folder "
                        + "in the package");
            }
            for (int slash = key.indexOf('/'); slash >= 0; slash = key.indexOf('/', slash + 1)) {
                if (files.containsKey(key.substring(0, slash))) {
                    throw new InstallerFormatException("'" + key.substring(0, slash) + "' is both a file and a "
                            + "folder in the package");
                }
            }
        }
    }

    /**
     * Adds the fleet's files; each replaces the artifact's file with the same path (ignoring case).
     *
     * @throws InstallerFormatException when a fleet file's name cannot exist on Windows or would replace a folder
     */
    void add(List<FleetFile> fleetFiles) throws IOException, InstallerFormatException {
        for (FleetFile f : fleetFiles) {
            checkWindowsName(f.path(), "fleet file '" + f.path() + "'");
            Path target = newContentFile();
            Files.write(target, f.content());
            files.put(key(f.path()), new File(f.path(), target, f.size()));
        }
        checkNoFileIsAFolder();
    }

    /** The file at {@code path}, ignoring case. */
    Optional<File> file(String path) {
        return Optional.ofNullable(files.get(key(path)));
    }

    /** Every file, ordered by path ignoring case. */
    List<File> files() {
        return new ArrayList<>(files.values());
    }

    /**
     * The folders the archive lists that hold no file (such as {@code etc/} when the fleet adds nothing there): the
     * MSI creates them empty.
     */
    List<String> emptyFolders() {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> folder : folders.entrySet()) {
            String prefix = folder.getKey() + "/";
            String next = files.ceilingKey(prefix);
            String nextFolder = folders.higherKey(folder.getKey());
            boolean hasFile = next != null && next.startsWith(prefix);
            boolean hasSubFolder = nextFolder != null && nextFolder.startsWith(prefix);
            if (!hasFile && !hasSubFolder) {
                out.add(folder.getValue());
            }
        }
        return out;
    }

    private Path newContentFile() {
        return contentDir.resolve((nextContentId++) + ".bin");
    }

    static String key(String path) {
        return path.toLowerCase(Locale.ROOT);
    }

    /** Refuses names that would escape the install folder. */
    private static void checkEntryName(String name) throws InstallerFormatException {
        String why = null;
        if (name.isEmpty()) {
            why = "is empty";
        } else if (name.indexOf('\\') >= 0) {
            why = "uses '\\' separators";
        } else if (name.startsWith("/") || (name.length() >= 2 && name.charAt(1) == ':')) {
            why = "is an absolute path";
        } else {
            String trimmed = name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
            for (String segment : trimmed.split("/", -1)) {
                if (segment.equals("..")) {
                    why = "reaches outside the archive with '..'";
                    break;
                }
                if (segment.isEmpty() || segment.equals(".")) {
                    why = "has an empty or '.' path segment";
                    break;
                }
            }
        }
        if (why != null) {
            throw new InstallerFormatException("the official Windows artifact's entry '" + name + "' " + why
                    + ": refused");
        }
    }

    /**
     * Refuses names Windows cannot create, and names outside printable ASCII: the MSI tables wixl writes carry no
     * code page, so Windows Installer would read other characters in the installing host's code page, garbled.
     */
    static void checkWindowsName(String path, String what) throws InstallerFormatException {
        for (String segment : path.split("/", -1)) {
            for (int i = 0; i < segment.length(); i++) {
                char c = segment.charAt(i);
                if (c < 0x20 || c > 0x7e) {
                    throw new InstallerFormatException(what + " has a character outside printable ASCII, which an "
                            + "MSI cannot carry reliably: refused");
                }
                if ("<>:\"|?*\\".indexOf(c) >= 0) {
                    throw new InstallerFormatException(what + " has the character '" + c + "', which Windows file "
                            + "names cannot hold: refused");
                }
            }
            if (segment.endsWith(".") || segment.endsWith(" ")) {
                throw new InstallerFormatException(what + " has a name ending in a dot or a space, which Windows "
                        + "drops: refused");
            }
            String base = segment.contains(".") ? segment.substring(0, segment.indexOf('.')) : segment;
            if (base.toUpperCase(Locale.ROOT).matches("CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9]")) {
                throw new InstallerFormatException(what + " uses the reserved Windows device name '" + base
                        + "': refused");
            }
        }
    }
}
