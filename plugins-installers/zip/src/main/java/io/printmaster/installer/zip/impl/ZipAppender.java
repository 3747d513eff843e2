package io.printmaster.installer.zip.impl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;

/**
 * The zip fast path: adds entries to a zip without touching the bytes of the entries it holds. The output is the
 * official file's bytes from 0 up to its central directory (every local header and every entry's data, copied by the
 * kernel with {@link FileChannel#transferTo}), then the new entries (local header and deflated data), then the
 * original central directory records byte for byte (their local header offsets are still right) followed by the new
 * entries' records, then a fresh end-of-central-directory record.
 *
 * <p>It applies only to a zip whose layout it can fully account for ({@link #inspect}); anything else answers
 * {@code null} and the caller rewrites the archive entry by entry instead:
 * <ul>
 * <li>no zip64 (no locator, no 0xFFFF/0xFFFFFFFF fields in the end record or any central record), one disk;</li>
 * <li>the end record lies right after the central directory and its comment ends the file (the comment is not carried
 * over: neither path keeps it);</li>
 * <li>the central directory records are exactly the entries commons-compress read and the rules checked (same raw
 * names, offsets, sizes, CRCs, methods, in the same order);</li>
 * <li>the entries tile the prefix: the first local header at byte 0, each entry (local header, data, data descriptor
 * when flagged) ending where the next starts, the last ending where the central directory starts; so no byte is
 * copied that the checks did not account for;</li>
 * <li>each local header agrees with its central record (name bytes, flags, method, and CRC and sizes unless a data
 * descriptor carries them, whose values must then agree too) and carries no Unicode-path extra field (nor a zip64
 * one beside a data descriptor): a reader going by the local headers sees the names and sizes the rules checked.</li>
 * </ul>
 */
final class ZipAppender {
    private static final int LOCAL_HEADER = 0x04034b50;
    private static final int CENTRAL_HEADER = 0x02014b50;
    private static final int END_OF_CENTRAL_DIRECTORY = 0x06054b50;
    private static final int ZIP64_LOCATOR = 0x07064b50;
    private static final int DATA_DESCRIPTOR = 0x08074b50;
    private static final int END_RECORD_SIZE = 22;
    private static final int LOCAL_HEADER_SIZE = 30;
    private static final int CENTRAL_HEADER_SIZE = 46;
    private static final int FLAG_DATA_DESCRIPTOR = 1 << 3;
    private static final int FLAG_UTF8 = 1 << 11;
    private static final int EXTRA_ZIP64 = 0x0001;
    private static final int EXTRA_UNICODE_PATH = 0x7075;
    private static final int VERSION_MADE_BY_UNIX = 3 << 8 | 20;
    private static final long MAX_32 = 0xFFFF_FFFFL;
    private static final int MAX_16 = 0xFFFF;

    private ZipAppender() {
    }

    /**
     * The layout of a zip the fast path can trust.
     *
     * @param centralDirectoryOffset where the central directory starts: the length of the prefix copied unchanged
     * @param centralDirectory       its records, byte for byte
     * @param entryCount             how many records it holds
     */
    record Layout(long centralDirectoryOffset, byte[] centralDirectory, int entryCount) {
    }

    /** A new entry: a folder (no content) or a file (deflated). */
    record NewEntry(String name, byte[] content, int unixMode) {
        boolean directory() {
            return content == null;
        }
    }

    /** One central directory record as read by hand. */
    private record Central(byte[] rawName, int flags, int method, long crc, long compressedSize, long size,
                           long localHeaderOffset) {
    }

    /**
     * Reads the zip's layout by hand and checks it against the entries commons-compress read.
     *
     * @param entries the entries of {@code ZipFile.getEntries()}: central directory order
     * @return the layout, or {@code null} when the fast path does not apply
     */
    static Layout inspect(FileChannel file, List<ZipArchiveEntry> entries) throws IOException {
        long size = file.size();
        long endRecord = findEndRecord(file, size);
        if (endRecord < 0) {
            return null;
        }
        ByteBuffer end = read(file, endRecord, END_RECORD_SIZE);
        int disk = u16(end, 4);
        int centralDisk = u16(end, 6);
        int entriesHere = u16(end, 8);
        int entriesTotal = u16(end, 10);
        long centralSize = u32(end, 12);
        long centralOffset = u32(end, 16);
        int commentLength = u16(end, 20);
        if (disk != 0 || centralDisk != 0 || entriesHere != entriesTotal || entriesTotal == MAX_16
                || centralSize == MAX_32 || centralOffset == MAX_32
                || endRecord + END_RECORD_SIZE + commentLength != size
                || centralOffset + centralSize != endRecord
                || entriesTotal != entries.size()
                || centralSize > Integer.MAX_VALUE - 8) {
            return null;
        }
        if (endRecord >= 20 && read(file, endRecord - 20, 4).getInt(0) == ZIP64_LOCATOR) {
            return null;
        }
        byte[] centralDirectory = new byte[(int) centralSize];
        readFully(file, ByteBuffer.wrap(centralDirectory), centralOffset);
        List<Central> records = parseCentralDirectory(centralDirectory, entriesTotal);
        if (records == null || !sameEntries(records, entries)) {
            return null;
        }
        if (!entriesTileThePrefix(file, records, centralOffset)) {
            return null;
        }
        return new Layout(centralOffset, centralDirectory, entriesTotal);
    }

    /** The end record's position: searched backwards from the end, as readers do; -1 when there is none. */
    private static long findEndRecord(FileChannel file, long size) throws IOException {
        if (size < END_RECORD_SIZE) {
            return -1;
        }
        int window = (int) Math.min(size, END_RECORD_SIZE + MAX_16);
        ByteBuffer tail = read(file, size - window, window);
        for (int i = window - END_RECORD_SIZE; i >= 0; i--) {
            if (tail.getInt(i) == END_OF_CENTRAL_DIRECTORY) {
                return size - window + i;
            }
        }
        return -1;
    }

    private static List<Central> parseCentralDirectory(byte[] bytes, int count) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        List<Central> records = new ArrayList<>(count);
        int at = 0;
        for (int i = 0; i < count; i++) {
            if (at + CENTRAL_HEADER_SIZE > bytes.length || b.getInt(at) != CENTRAL_HEADER) {
                return null;
            }
            int flags = u16(b, at + 8);
            int method = u16(b, at + 10);
            long crc = u32(b, at + 16);
            long compressed = u32(b, at + 20);
            long size = u32(b, at + 24);
            int nameLength = u16(b, at + 28);
            int extraLength = u16(b, at + 30);
            int commentLength = u16(b, at + 32);
            int diskStart = u16(b, at + 34);
            long offset = u32(b, at + 42);
            if (compressed == MAX_32 || size == MAX_32 || offset == MAX_32 || diskStart != 0) {
                return null; // zip64 or multi-disk: the slow path handles it
            }
            int next = at + CENTRAL_HEADER_SIZE + nameLength + extraLength + commentLength;
            if (next > bytes.length) {
                return null;
            }
            byte[] name = Arrays.copyOfRange(bytes, at + CENTRAL_HEADER_SIZE, at + CENTRAL_HEADER_SIZE + nameLength);
            records.add(new Central(name, flags, method, crc, compressed, size, offset));
            at = next;
        }
        return at == bytes.length ? records : null;
    }

    /** The records are the entries commons-compress read and the rules checked, in the same order. */
    private static boolean sameEntries(List<Central> records, List<ZipArchiveEntry> entries) {
        for (int i = 0; i < records.size(); i++) {
            Central r = records.get(i);
            ZipArchiveEntry e = entries.get(i);
            if (!Arrays.equals(r.rawName(), e.getRawName()) || r.localHeaderOffset() != e.getLocalHeaderOffset()
                    || r.compressedSize() != e.getCompressedSize() || r.size() != e.getSize()
                    || r.crc() != e.getCrc() || r.method() != e.getMethod()) {
                return false;
            }
        }
        return true;
    }

    /** Every byte before the central directory belongs to exactly one entry, whose local header agrees with it. */
    private static boolean entriesTileThePrefix(FileChannel file, List<Central> records, long centralOffset)
            throws IOException {
        List<Central> physical = new ArrayList<>(records);
        physical.sort(Comparator.comparingLong(Central::localHeaderOffset));
        long expected = 0;
        for (Central r : physical) {
            if (r.localHeaderOffset() != expected || expected + LOCAL_HEADER_SIZE > centralOffset) {
                return false;
            }
            ByteBuffer local = read(file, expected, LOCAL_HEADER_SIZE);
            if (local.getInt(0) != LOCAL_HEADER) {
                return false;
            }
            int flags = u16(local, 6);
            int method = u16(local, 8);
            long crc = u32(local, 14);
            long compressed = u32(local, 18);
            long size = u32(local, 22);
            int nameLength = u16(local, 26);
            int extraLength = u16(local, 28);
            boolean descriptor = (flags & FLAG_DATA_DESCRIPTOR) != 0;
            if (flags != r.flags() || method != r.method() || nameLength != r.rawName().length) {
                return false;
            }
            boolean localValuesAgree = crc == r.crc() && compressed == r.compressedSize() && size == r.size();
            boolean localValuesDeferred = crc == 0 && compressed == 0 && size == 0;
            if (!localValuesAgree && !(descriptor && localValuesDeferred)) {
                return false;
            }
            long dataStart = expected + LOCAL_HEADER_SIZE + nameLength + extraLength;
            if (dataStart > centralOffset) {
                return false;
            }
            ByteBuffer nameAndExtra = read(file, expected + LOCAL_HEADER_SIZE, nameLength + extraLength);
            byte[] name = new byte[nameLength];
            nameAndExtra.get(0, name);
            if (!Arrays.equals(name, r.rawName()) || hasRiskyExtra(nameAndExtra, nameLength, extraLength, descriptor)) {
                return false;
            }
            long dataEnd = dataStart + r.compressedSize();
            if (dataEnd > centralOffset) {
                return false;
            }
            long next = descriptor ? descriptorEnd(file, r, dataEnd, centralOffset) : dataEnd;
            if (next < 0) {
                return false;
            }
            expected = next;
        }
        return expected == centralOffset;
    }

    /**
     * Where the data descriptor after {@code dataEnd} ends: with or without its optional signature, its CRC and
     * sizes agreeing with the central record; -1 when none fits.
     */
    private static long descriptorEnd(FileChannel file, Central r, long dataEnd, long centralOffset)
            throws IOException {
        int available = (int) Math.min(16, centralOffset - dataEnd);
        if (available < 12) {
            return -1;
        }
        ByteBuffer d = read(file, dataEnd, available);
        if (available >= 16 && d.getInt(0) == DATA_DESCRIPTOR && descriptorAgrees(d, 4, r)) {
            return dataEnd + 16;
        }
        if (descriptorAgrees(d, 0, r)) {
            return dataEnd + 12;
        }
        return -1; // a zip64 descriptor (8-byte sizes) or one that disagrees
    }

    private static boolean descriptorAgrees(ByteBuffer d, int at, Central r) {
        return u32(d, at) == r.crc() && u32(d, at + 4) == r.compressedSize() && u32(d, at + 8) == r.size();
    }

    /**
     * A local extra field that could make a reader of the local headers see another name (Unicode path), or read a
     * data descriptor with other sizes (a zip64 field beside a data descriptor means 8-byte sizes in it). A zip64 field
     * without a data descriptor is harmless here: its values count only where a size field says 0xFFFFFFFF, and the
     * local sizes were found equal to the central record's (commons-compress writes such a field in every local header
     * of a seekable file).
     */
    private static boolean hasRiskyExtra(ByteBuffer nameAndExtra, int extraStart, int extraLength,
                                         boolean dataDescriptor) {
        int at = extraStart;
        int end = extraStart + extraLength;
        while (at + 4 <= end) {
            int id = u16(nameAndExtra, at);
            int length = u16(nameAndExtra, at + 2);
            if (id == EXTRA_UNICODE_PATH || (id == EXTRA_ZIP64 && dataDescriptor)) {
                return true;
            }
            at += 4 + length;
        }
        return false; // a trailing fragment shorter than a field header is padding, as readers treat it
    }

    /**
     * Writes the output: the prefix copied, the new entries, the central directory, the end record.
     *
     * @param probe called after the prefix is copied and after each new entry is written
     * @return false, with nothing written, when the output would need zip64 (then the caller takes the slow path)
     */
    static boolean write(FileChannel in, Layout layout, List<NewEntry> newEntries, long timeMillis, FileChannel out,
                         ZipInstallerFormat.WriteProbe probe) throws IOException {
        Base base = writeEntries(in, layout, newEntries, dosTime(timeMillis), out, probe);
        if (base == null) {
            return false;
        }
        writeFully(out, ByteBuffer.wrap(base.centralDirectory()));
        writeFully(out, ByteBuffer.wrap(endRecord(base.entryCount(), base.centralDirectory().length, base.length())));
        return true;
    }

    /**
     * A zip without its central directory and end record, as {@link #writeEntries} leaves it.
     *
     * @param length           its size: where the central directory (or a tail's first entry) starts
     * @param centralDirectory the central directory records of all its entries, in order
     * @param entryCount       how many records that is
     */
    record Base(long length, byte[] centralDirectory, int entryCount) {
    }

    /**
     * Writes the entries only: the prefix copied, then the new entries; no central directory, no end record.
     *
     * @return the records a central directory needs, or {@code null}, with nothing written, when the whole would
     *         need zip64
     */
    static Base writeEntries(FileChannel in, Layout layout, List<NewEntry> newEntries, long dosTime, FileChannel out,
                             ZipInstallerFormat.WriteProbe probe) throws IOException {
        List<byte[]> locals = new ArrayList<>();
        java.io.ByteArrayOutputStream central = new java.io.ByteArrayOutputStream();
        central.writeBytes(layout.centralDirectory());
        long offset = layout.centralDirectoryOffset();
        for (NewEntry e : newEntries) {
            byte[][] records = records(e, offset, dosTime);
            locals.add(records[0]);
            central.writeBytes(records[1]);
            offset += records[0].length;
        }
        int count = layout.entryCount() + newEntries.size();
        if (count >= MAX_16 || offset >= MAX_32 || offset + central.size() >= MAX_32) {
            return null;
        }
        copy(in, layout.centralDirectoryOffset(), out);
        probe.entryWritten("(unchanged entries)");
        for (int i = 0; i < locals.size(); i++) {
            writeFully(out, ByteBuffer.wrap(locals.get(i)));
            probe.entryWritten(newEntries.get(i).name());
        }
        return new Base(offset, central.toByteArray(), count);
    }

    /**
     * What completes a {@link Base}: the new entries (local header and data) from the base's end, then the central
     * directory of the base's entries and theirs, then the end record. Deterministic: the same input gives the same
     * bytes.
     *
     * @return the bytes, or {@code null} when the whole would need zip64
     */
    static byte[] complete(Base base, List<NewEntry> newEntries, long dosTime) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream central = new java.io.ByteArrayOutputStream();
        central.writeBytes(base.centralDirectory());
        long offset = base.length();
        for (NewEntry e : newEntries) {
            byte[][] records = records(e, offset, dosTime);
            out.writeBytes(records[0]);
            central.writeBytes(records[1]);
            offset += records[0].length;
        }
        int count = base.entryCount() + newEntries.size();
        if (count >= MAX_16 || offset >= MAX_32 || offset + central.size() >= MAX_32) {
            return null;
        }
        out.writeBytes(central.toByteArray());
        out.writeBytes(endRecord(count, central.size(), offset));
        return out.toByteArray();
    }

    private static byte[] endRecord(int count, long centralSize, long centralOffset) {
        ByteBuffer end = ByteBuffer.allocate(END_RECORD_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        end.putInt(END_OF_CENTRAL_DIRECTORY).putShort((short) 0).putShort((short) 0)
                .putShort((short) count).putShort((short) count)
                .putInt((int) centralSize).putInt((int) centralOffset).putShort((short) 0);
        return end.array();
    }

    /** The local header with the data, and the central record, of a new entry at {@code offset}. */
    private static byte[][] records(NewEntry e, long offset, long dosTime) {
        byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
        byte[] data;
        long crc = 0;
        long size = 0;
        int method;
        if (e.directory()) {
            data = new byte[0];
            method = ZipArchiveEntry.STORED;
        } else {
            CRC32 crc32 = new CRC32();
            crc32.update(e.content());
            crc = crc32.getValue();
            size = e.content().length;
            data = deflate(e.content());
            method = ZipArchiveEntry.DEFLATED;
        }
        int versionNeeded = e.directory() ? 10 : 20;
        ByteBuffer local = ByteBuffer.allocate(LOCAL_HEADER_SIZE + name.length + data.length)
                .order(ByteOrder.LITTLE_ENDIAN);
        local.putInt(LOCAL_HEADER).putShort((short) versionNeeded).putShort((short) FLAG_UTF8)
                .putShort((short) method).putInt((int) dosTime).putInt((int) crc).putInt(data.length)
                .putInt((int) size).putShort((short) name.length).putShort((short) 0).put(name).put(data);
        // as commons-compress sets them: unix mode high, MS-DOS read-only and directory bits low
        int external = e.unixMode() << 16 | ((e.unixMode() & 0200) == 0 ? 1 : 0) | (e.directory() ? 0x10 : 0);
        ByteBuffer central = ByteBuffer.allocate(CENTRAL_HEADER_SIZE + name.length).order(ByteOrder.LITTLE_ENDIAN);
        central.putInt(CENTRAL_HEADER).putShort((short) VERSION_MADE_BY_UNIX).putShort((short) versionNeeded)
                .putShort((short) FLAG_UTF8).putShort((short) method).putInt((int) dosTime).putInt((int) crc)
                .putInt(data.length).putInt((int) size).putShort((short) name.length).putShort((short) 0)
                .putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(external).putInt((int) offset)
                .put(name);
        return new byte[][] {local.array(), central.array()};
    }

    private static byte[] deflate(byte[] content) {
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        try {
            deflater.setInput(content);
            deflater.finish();
            byte[] buffer = new byte[content.length + 64];
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(content.length / 2 + 64);
            while (!deflater.finished()) {
                int n = deflater.deflate(buffer);
                out.write(buffer, 0, n);
            }
            return out.toByteArray();
        } finally {
            deflater.end();
        }
    }

    /** MS-DOS date (high 16 bits) and time (low 16 bits) in the local time zone, as zip tools write them. */
    static long dosTime(long millis) {
        LocalDateTime t = LocalDateTime.ofInstant(Instant.ofEpochMilli(millis), ZoneId.systemDefault());
        if (t.getYear() < 1980) {
            return (1 << 21) | (1 << 16); // 1980-01-01 00:00:00, the earliest DOS time
        }
        int year = Math.min(t.getYear(), 2107) - 1980;
        long date = year << 9 | t.getMonthValue() << 5 | t.getDayOfMonth();
        long time = t.getHour() << 11 | t.getMinute() << 5 | t.getSecond() >> 1;
        return date << 16 | time;
    }

    private static void copy(FileChannel in, long length, FileChannel out) throws IOException {
        long done = 0;
        while (done < length) {
            long n = in.transferTo(done, length - done, out);
            if (n <= 0) {
                throw new IOException("could not copy the zip's entries past byte " + done);
            }
            done += n;
        }
    }

    private static ByteBuffer read(FileChannel file, long position, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        readFully(file, b, position);
        return b.flip();
    }

    private static void readFully(FileChannel file, ByteBuffer b, long position) throws IOException {
        long at = position;
        while (b.hasRemaining()) {
            int n = file.read(b, at);
            if (n < 0) {
                throw new java.io.EOFException("the zip ends at byte " + at + ", inside a record");
            }
            at += n;
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            out.write(b);
        }
    }

    private static int u16(ByteBuffer b, int at) {
        return b.order(ByteOrder.LITTLE_ENDIAN).getShort(at) & 0xFFFF;
    }

    private static long u32(ByteBuffer b, int at) {
        return b.order(ByteOrder.LITTLE_ENDIAN).getInt(at) & MAX_32;
    }
}
