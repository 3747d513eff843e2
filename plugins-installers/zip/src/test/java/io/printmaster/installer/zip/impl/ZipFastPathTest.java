package io.printmaster.installer.zip.impl;

import io.printmaster.api.support.ArchiveLimits;

import static io.printmaster.installer.zip.impl.ZipInstallerFormatTest.TOP_FOLDER;
import static io.printmaster.installer.zip.impl.ZipInstallerFormatTest.permissions;
import static io.printmaster.installer.zip.impl.ZipInstallerFormatTest.random;
import static io.printmaster.installer.zip.impl.ZipInstallerFormatTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.installer.FleetFile;
import io.printmaster.api.installer.FleetFiles;
import io.printmaster.installer.zip.impl.ZipInstallerFormatTest.E;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The zip fast path ({@link ZipAppender}): when it applies, the official bytes up to the central directory are the
 * output's first bytes, unchanged; when the layout is not one it can account for, the archive is rewritten entry by
 * entry. Either way the result passes {@code unzip -t}, keeps the modes, and commons-compress reads it.
 */
class ZipFastPathTest {
    private static final String COPIED = "(unchanged entries)";
    private static final byte[] JOIN_TOKEN = "pmj_secret\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] FLEET_JSON = "{\"fleet_id\":\"f1\"}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private final List<String> written = new ArrayList<>();
    private final ZipInstallerFormat format = new ZipInstallerFormat(ArchiveLimits.DEFAULT, written::add);

    static FleetFiles fleetFiles() {
        return FleetFiles.of(FleetFile.of("etc/fleet.json", FLEET_JSON), FleetFile.secret("etc/join-token", JOIN_TOKEN),
                FleetFile.of("etc/certs/ca-bundle.pem", "PEM\n".getBytes(StandardCharsets.UTF_8)));
    }

    /** Writes entries through {@code out}; a seekable file gets sizes in the local headers, a stream data descriptors. */
    static void write(ZipArchiveOutputStream zip, List<E> entries) throws IOException {
        for (E e : entries) {
            ZipArchiveEntry entry = new ZipArchiveEntry(e.name());
            entry.setUnixMode(e.unixMode());
            entry.setMethod(e.method());
            if (e.method() == ZipArchiveEntry.STORED) {
                byte[] content = e.content() == null ? new byte[0] : e.content();
                java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                crc.update(content);
                entry.setSize(content.length);
                entry.setCrc(crc.getValue());
            }
            zip.putArchiveEntry(entry);
            if (e.content() != null) {
                zip.write(e.content());
            }
            zip.closeArchiveEntry();
        }
    }

    Path seekableZip(String name, String comment) throws IOException {
        Path file = dir.resolve(name);
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(file)) {
            if (comment != null) {
                zip.setComment(comment);
            }
            write(zip, ZipInstallerFormatTest.official());
        }
        return file;
    }

    /** Written to a plain (non-seekable) stream: deflated entries carry data descriptors. */
    Path streamedZip(String name) throws IOException {
        Path file = dir.resolve(name);
        try (OutputStream raw = new FilterOutputStream(new BufferedOutputStream(Files.newOutputStream(file))) {
            // a FilterOutputStream is not a channel: commons-compress cannot seek back
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }
        };
             ZipArchiveOutputStream zip = new ZipArchiveOutputStream(raw)) {
            write(zip, ZipInstallerFormatTest.official());
        }
        return file;
    }

    /** Offset of the central directory, from the end record (no comment, no zip64 in these tests). */
    static long centralDirectoryOffset(byte[] zip) {
        ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = zip.length - 22; i >= 0; i--) {
            if (b.getInt(i) == 0x06054b50) {
                return b.getInt(i + 16) & 0xFFFF_FFFFL;
            }
        }
        throw new IllegalStateException("no end of central directory record");
    }

    static Map<String, Long> localHeaderOffsets(Path file) throws IOException {
        Map<String, Long> out = new LinkedHashMap<>();
        try (ZipFile zip = ZipFile.builder().setPath(file).get()) {
            for (ZipArchiveEntry e : Collections.list(zip.getEntries())) {
                out.put(e.getName(), e.getLocalHeaderOffset());
            }
        }
        return out;
    }

    static Map<String, byte[]> contents(Path file) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (ZipFile zip = ZipFile.builder().setPath(file).get()) {
            for (ZipArchiveEntry e : Collections.list(zip.getEntries())) {
                try (InputStream in = zip.getInputStream(e)) {
                    out.put(e.getName(), in.readAllBytes());
                }
            }
        }
        return out;
    }

    /** The fast path's result: unzip -t, same modes, new entries readable, the official ones byte-identical. */
    private void assertAppended(Path official, Path output) throws Exception {
        assertTrue(written.contains(COPIED), "fast path taken: " + written);
        assertTrue(run(dir, "unzip", "-t", output.toString()).contains("No errors detected"));

        byte[] before = Files.readAllBytes(official);
        byte[] after = Files.readAllBytes(output);
        int prefix = (int) centralDirectoryOffset(before);
        assertArrayEquals(Arrays.copyOf(before, prefix), Arrays.copyOf(after, prefix),
                "local headers and data of every official entry unchanged");
        Map<String, Long> offsets = localHeaderOffsets(output);
        localHeaderOffsets(official).forEach((name, offset) -> assertEquals(offset, offsets.get(name), name));

        Map<String, String> modesBefore = permissions(official);
        Map<String, String> modesAfter = permissions(output);
        modesBefore.forEach((name, mode) -> assertEquals(mode, modesAfter.get(name), name));
        assertEquals("-rwxr-xr-x", modesAfter.get(TOP_FOLDER + "/bin/pm-agent"));
        assertEquals("-rw-------", modesAfter.get(TOP_FOLDER + "/etc/join-token"));
        assertEquals("-rw-r--r--", modesAfter.get(TOP_FOLDER + "/etc/fleet.json"));
        assertEquals("drwxr-xr-x", modesAfter.get(TOP_FOLDER + "/etc/certs/"));

        Map<String, byte[]> read = contents(output);
        assertArrayEquals(JOIN_TOKEN, read.get(TOP_FOLDER + "/etc/join-token"));
        assertArrayEquals(FLEET_JSON, read.get(TOP_FOLDER + "/etc/fleet.json"));
        assertArrayEquals(random(300_000, 1), read.get(TOP_FOLDER + "/lib/felix.jar"));
        assertArrayEquals(JOIN_TOKEN, format.readBack(output, "etc/join-token").orElseThrow());
        assertEquals("PEM\n", new String(format.readBack(output, "etc/certs/ca-bundle.pem").orElseThrow(),
                StandardCharsets.UTF_8));

        Path unpacked = Files.createDirectory(dir.resolve("unpacked"));
        run(unpacked, "unzip", "-q", output.toString());
        assertArrayEquals(JOIN_TOKEN, Files.readAllBytes(unpacked.resolve(TOP_FOLDER + "/etc/join-token")));
        assertTrue(Files.isExecutable(unpacked.resolve(TOP_FOLDER + "/bin/pm-agent")));
    }

    @Test
    void unchangedEntriesKeepTheirBytesAndOffsetsAndTheFleetEntriesAreAppended() throws Exception {
        Path official = seekableZip("official.zip", null);
        Path output = dir.resolve("installer.zip");

        format.repackage(official, fleetFiles(), output);

        assertAppended(official, output);
    }

    @Test
    void anArchiveCommentDoesNotStopTheFastPath() throws Exception {
        Path official = seekableZip("official.zip", "PrintMaster agent 0.1.0, built by the release pipeline");
        Path output = dir.resolve("installer.zip");

        format.repackage(official, fleetFiles(), output);

        assertAppended(official, output);
    }

    @Test
    void entriesWithDataDescriptorsAreCopiedWithTheirDescriptors() throws Exception {
        Path official = streamedZip("official.zip");
        try (ZipFile zip = ZipFile.builder().setPath(official).get()) {
            ZipArchiveEntry felix = zip.getEntry(TOP_FOLDER + "/lib/felix.jar");
            assertTrue(felix.getGeneralPurposeBit().usesDataDescriptor(), "the test archive has data descriptors");
        }
        Path output = dir.resolve("installer.zip");

        format.repackage(official, fleetFiles(), output);

        assertAppended(official, output);
    }

    @Test
    void aRepackagedInstallerIsAppendedToAgainWhenNoEntryIsReplaced() throws Exception {
        Path first = dir.resolve("first.zip");
        format.repackage(seekableZip("official.zip", null), FleetFiles.of(FleetFile.of("etc/fleet.json", FLEET_JSON)),
                first);
        written.clear();
        Path second = dir.resolve("second.zip");
        format.repackage(first, FleetFiles.of(FleetFile.secret("etc/join-token", JOIN_TOKEN)), second);

        assertTrue(written.contains(COPIED), "fast path taken: " + written);
        run(dir, "unzip", "-t", second.toString());
        assertArrayEquals(FLEET_JSON, format.readBack(second, "etc/fleet.json").orElseThrow());
        assertArrayEquals(JOIN_TOKEN, format.readBack(second, "etc/join-token").orElseThrow());
        assertEquals("-rw-------", permissions(second).get(TOP_FOLDER + "/etc/join-token"));
    }

    @Test
    void aFleetFileReplacingAnEntryRewritesTheArchive() throws Exception {
        Path official = seekableZip("official.zip", null);
        Path output = dir.resolve("installer.zip");
        byte[] logback = "<configuration debug=\"true\"/>".getBytes(StandardCharsets.UTF_8);

        format.repackage(official, FleetFiles.of(FleetFile.of("conf/logback.xml", logback),
                FleetFile.secret("etc/join-token", JOIN_TOKEN)), output);

        assertFalse(written.contains(COPIED), "no fast path: " + written);
        assertTrue(written.contains(TOP_FOLDER + "/lib/felix.jar"), "entries copied one by one: " + written);
        assertTrue(run(dir, "unzip", "-t", output.toString()).contains("No errors detected"));
        assertArrayEquals(logback, format.readBack(output, "conf/logback.xml").orElseThrow());
        assertEquals(1, format.entries(output).stream().filter(e -> e.path().equals("conf/logback.xml")).count());
        assertEquals("-rwxr-xr-x", permissions(output).get(TOP_FOLDER + "/bin/pm-agent"));
    }

    @Test
    void bytesTheCentralDirectoryDoesNotAccountForAreNotCopied() throws Exception {
        // 64 bytes slipped in before the central directory, the end record's offset moved past them: commons-compress
        // and unzip still read the archive, but no entry owns those bytes
        Path official = seekableZip("official.zip", null);
        byte[] bytes = Files.readAllBytes(official);
        int cd = (int) centralDirectoryOffset(bytes);
        byte[] junk = "JUNK".repeat(16).getBytes(StandardCharsets.US_ASCII);
        byte[] patched = new byte[bytes.length + junk.length];
        System.arraycopy(bytes, 0, patched, 0, cd);
        System.arraycopy(junk, 0, patched, cd, junk.length);
        System.arraycopy(bytes, cd, patched, cd + junk.length, bytes.length - cd);
        ByteBuffer.wrap(patched).order(ByteOrder.LITTLE_ENDIAN).putInt(patched.length - 22 + 16, cd + junk.length);
        Files.write(official, patched);
        Path output = dir.resolve("installer.zip");

        format.repackage(official, fleetFiles(), output);

        assertFalse(written.contains(COPIED), "no fast path: " + written);
        run(dir, "unzip", "-t", output.toString());
        assertFalse(new String(Files.readAllBytes(output), StandardCharsets.ISO_8859_1).contains("JUNKJUNK"));
        assertArrayEquals(JOIN_TOKEN, format.readBack(output, "etc/join-token").orElseThrow());
    }

    @Test
    void aLocalHeaderNamingAnotherFileThanItsCentralRecordIsNotCopied() throws Exception {
        // a reader going by local headers would see 'VERSIOX', a name the rules never checked
        Path official = seekableZip("official.zip", null);
        byte[] bytes = Files.readAllBytes(official);
        byte[] name = (TOP_FOLDER + "/VERSION").getBytes(StandardCharsets.UTF_8);
        int local = indexOf(bytes, name); // the local header's copy comes first
        bytes[local + name.length - 1] = 'X';
        Files.write(official, bytes);
        Path output = dir.resolve("installer.zip");

        format.repackage(official, fleetFiles(), output);

        assertFalse(written.contains(COPIED), "no fast path: " + written);
        run(dir, "unzip", "-t", output.toString());
        byte[] result = Files.readAllBytes(output);
        assertEquals(-1, indexOf(result, (TOP_FOLDER + "/VERSIOX").getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aFailureAfterTheCopyLeavesNoOutput() throws Exception {
        Path official = seekableZip("official.zip", null);
        Path output = dir.resolve("installer.zip");
        ZipInstallerFormat failing = new ZipInstallerFormat(ArchiveLimits.DEFAULT, name -> {
            written.add(name);
            if (name.endsWith("join-token")) {
                throw new IOException("No space left on device");
            }
        });

        IOException e = assertThrows(IOException.class, () -> failing.repackage(official, fleetFiles(), output));

        assertEquals("No space left on device", e.getMessage());
        assertTrue(written.contains(COPIED), "failed after the copy: " + written);
        assertFalse(Files.exists(output));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(official), files.toList(), "no temporary file left");
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
