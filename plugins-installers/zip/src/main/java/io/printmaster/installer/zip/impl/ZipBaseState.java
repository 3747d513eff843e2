package io.printmaster.installer.zip.impl;

import io.printmaster.api.support.ArchiveIndex;

import io.printmaster.api.installer.FleetFile;
import io.printmaster.api.installer.FleetFiles;
import io.printmaster.api.installer.InstallerFormatException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a tail needs to know about a zip base, as {@code prepareBase} returns it and {@code tail} reads it back: the
 * central directory records of every base entry (byte copies of the official ones, the records written for the
 * public files), so that the tail can write the whole central directory after its own entries.
 *
 * <p>Encoding (big-endian, {@link DataOutputStream}): the magic {@code PMZB}, a version byte ({@code 1}), the base's
 * length (long), the top folder (UTF), the MS-DOS time of the tail's entries (long), the number of central records
 * (int), the central directory's length (int) and bytes, the number of paths (int), then per path its kind (byte: 0
 * file, 1 folder, 2 link) and the path relative to the top folder (UTF). About 100 bytes per entry.
 *
 * @param paths every path the base holds, relative to the top folder, with its kind
 */
record ZipBaseState(long baseLength, String topFolder, long dosTime, int entryCount, byte[] centralDirectory,
                    Map<String, ArchiveIndex.Kind> paths) {
    private static final byte[] MAGIC = {'P', 'M', 'Z', 'B'};
    private static final int VERSION = 1;

    ZipAppender.Base base() {
        return new ZipAppender.Base(baseLength, centralDirectory, entryCount);
    }

    byte[] encode() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(centralDirectory.length + paths.size() * 48 + 64);
            DataOutputStream out = new DataOutputStream(bytes);
            out.write(MAGIC);
            out.writeByte(VERSION);
            out.writeLong(baseLength);
            out.writeUTF(topFolder);
            out.writeLong(dosTime);
            out.writeInt(entryCount);
            out.writeInt(centralDirectory.length);
            out.write(centralDirectory);
            out.writeInt(paths.size());
            for (Map.Entry<String, ArchiveIndex.Kind> e : paths.entrySet()) {
                out.writeByte(e.getValue().ordinal());
                out.writeUTF(e.getKey());
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
    }

    /** @throws InstallerFormatException when the bytes are not a state of this format and version */
    static ZipBaseState decode(byte[] state) throws InstallerFormatException {
        if (state == null || state.length < MAGIC.length + 1
                || !Arrays.equals(Arrays.copyOf(state, MAGIC.length), MAGIC)) {
            throw new InstallerFormatException("the base state is not a zip base state (it does not start with "
                    + "'PMZB'): it was made by another format");
        }
        if (state[MAGIC.length] != VERSION) {
            throw new InstallerFormatException("the zip base state has version " + state[MAGIC.length]
                    + ", this format reads version " + VERSION + ": prepare the base again");
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(state, MAGIC.length + 1,
                state.length - MAGIC.length - 1))) {
            long baseLength = in.readLong();
            String top = in.readUTF();
            long dosTime = in.readLong();
            int entryCount = in.readInt();
            int centralLength = in.readInt();
            if (centralLength < 0 || centralLength > in.available()) {
                throw new InstallerFormatException("the zip base state is damaged (central directory of "
                        + centralLength + " bytes)");
            }
            byte[] central = in.readNBytes(centralLength);
            int count = in.readInt();
            ArchiveIndex.Kind[] kinds = ArchiveIndex.Kind.values();
            Map<String, ArchiveIndex.Kind> paths = new LinkedHashMap<>();
            for (int i = 0; i < count; i++) {
                int kind = in.readUnsignedByte();
                if (kind >= kinds.length) {
                    throw new InstallerFormatException("the zip base state is damaged (unknown kind " + kind + ")");
                }
                paths.put(in.readUTF(), kinds[kind]);
            }
            if (in.available() != 0) {
                throw new InstallerFormatException("the zip base state is damaged (bytes after its end)");
            }
            return new ZipBaseState(baseLength, top, dosTime, entryCount, central, paths);
        } catch (IOException e) {
            throw new InstallerFormatException("the zip base state is damaged: " + e.getMessage(), e);
        }
    }

    /**
     * Checks that the tail files add only new paths (ignoring case, as the archive's checks do) and fit in.
     *
     * @return the folders they need that the base lacks
     */
    List<String> checkTail(FleetFiles tailFiles) throws InstallerFormatException {
        Map<String, String> folded = new HashMap<>();
        paths.keySet().forEach(p -> folded.put(p.toLowerCase(Locale.ROOT), p));
        for (FleetFile f : tailFiles.files()) {
            String existing = folded.get(f.path().toLowerCase(Locale.ROOT));
            if (existing != null) {
                throw new InstallerFormatException("tail file '" + f.path() + "' is already in the base (as '"
                        + existing + "'): a tail only adds files");
            }
        }
        List<String> missing = ArchiveIndex.missingFolders(paths, tailFiles);
        for (String folder : missing) {
            String existing = folded.get(folder.toLowerCase(Locale.ROOT));
            if (existing != null) {
                throw new InstallerFormatException("tail file folder '" + folder + "' differs only in case from '"
                        + existing + "' of the base");
            }
        }
        return missing;
    }
}
