package io.printmaster.installer.tar.impl;

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
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * What a tail needs to know about a tar.gz base, as {@code prepareBase} returns it and {@code tail} reads it back.
 *
 * <p>Encoding (big-endian, {@link DataOutputStream}): the magic {@code PMTB}, a version byte ({@code 1}), the base's
 * length (long), the top folder (UTF), owner uid and gid (longs), user and group names (UTF), the tail entries' time
 * in milliseconds (long), the number of paths (int), then per path its kind (byte: 0 file, 1 folder, 2 link) and the
 * path relative to the top folder (UTF). A few hundred paths: a few KiB.
 *
 * @param paths every path the base holds, relative to the top folder, with its kind
 */
record TarGzBaseState(long baseLength, String topFolder, long uid, long gid, String userName, String groupName,
                      long mtimeMillis, Map<String, ArchiveIndex.Kind> paths) {
    private static final byte[] MAGIC = {'P', 'M', 'T', 'B'};
    private static final int VERSION = 1;

    byte[] encode() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.write(MAGIC);
            out.writeByte(VERSION);
            out.writeLong(baseLength);
            out.writeUTF(topFolder);
            out.writeLong(uid);
            out.writeLong(gid);
            out.writeUTF(userName == null ? "" : userName);
            out.writeUTF(groupName == null ? "" : groupName);
            out.writeLong(mtimeMillis);
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
    static TarGzBaseState decode(byte[] state) throws InstallerFormatException {
        if (state == null || state.length < MAGIC.length + 1
                || !Arrays.equals(Arrays.copyOf(state, MAGIC.length), MAGIC)) {
            throw new InstallerFormatException("the base state is not a tar.gz base state (it does not start with "
                    + "'PMTB'): it was made by another format");
        }
        if (state[MAGIC.length] != VERSION) {
            throw new InstallerFormatException("the tar.gz base state has version " + state[MAGIC.length]
                    + ", this format reads version " + VERSION + ": prepare the base again");
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(state, MAGIC.length + 1,
                state.length - MAGIC.length - 1))) {
            long baseLength = in.readLong();
            String top = in.readUTF();
            long uid = in.readLong();
            long gid = in.readLong();
            String user = in.readUTF();
            String group = in.readUTF();
            long mtime = in.readLong();
            int count = in.readInt();
            ArchiveIndex.Kind[] kinds = ArchiveIndex.Kind.values();
            Map<String, ArchiveIndex.Kind> paths = new LinkedHashMap<>();
            for (int i = 0; i < count; i++) {
                int kind = in.readUnsignedByte();
                if (kind >= kinds.length) {
                    throw new InstallerFormatException("the tar.gz base state is damaged (unknown kind " + kind + ")");
                }
                paths.put(in.readUTF(), kinds[kind]);
            }
            if (in.available() != 0) {
                throw new InstallerFormatException("the tar.gz base state is damaged (bytes after its end)");
            }
            return new TarGzBaseState(baseLength, top, uid, gid, user, group, mtime, paths);
        } catch (IOException e) {
            throw new InstallerFormatException("the tar.gz base state is damaged: " + e.getMessage(), e);
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

    /** Gives an entry the base's owner. */
    void own(TarArchiveEntry entry) {
        entry.setUserId(uid);
        entry.setGroupId(gid);
        entry.setUserName(userName);
        entry.setGroupName(groupName);
    }
}
