package io.printmaster.itests;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * A small ustar writer and reader for tests: official agent archives in their layout (docs/release-feed.md; two gzip members:
 * the entries, then the end-of-archive) and the installer fixture format. Names up to 100 characters.
 */
final class TarGz {
    private static final int BLOCK = 512;
    private static final int RECORD = 10240;

    private TarGz() {
    }

    record Entry(String name, byte[] content, int mode, boolean directory) {
        static Entry file(String name, String text, int mode) {
            return new Entry(name, text.getBytes(StandardCharsets.UTF_8), mode, false);
        }

        static Entry dir(String name) {
            return new Entry(name.endsWith("/") ? name : name + "/", new byte[0], 0755, true);
        }
    }

    /** Writes the entries as a tar.gz of two gzip members, as docs/release-feed.md lays official archives out. */
    static void write(Path target, List<Entry> entries) throws IOException {
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        for (Entry e : entries) {
            tar.write(header(e));
            tar.write(e.content());
            int pad = (BLOCK - e.content().length % BLOCK) % BLOCK;
            tar.write(new byte[pad]);
        }
        long length = tar.size();
        long end = length + 2 * BLOCK;
        long padded = (end + RECORD - 1) / RECORD * RECORD;
        try (OutputStream out = Files.newOutputStream(target)) {
            out.write(gzip(tar.toByteArray()));
            out.write(gzip(new byte[(int) (padded - length)]));
        }
    }

    /**
     * A tar.gz bomb: one file entry of {@code size} zero bytes, written as the same small gzip member of 64 MiB of
     * zeros repeated (gzip readers join members), so a gigabyte-sized tree costs a few hundred kilobytes and no
     * gigabyte of work here.
     */
    static void writeBomb(Path target, String name, long size) throws IOException {
        int chunk = 64 << 20;
        if (size % chunk != 0) {
            throw new IllegalArgumentException("size must be a multiple of 64 MiB");
        }
        byte[] zeros = gzip(new byte[chunk]);
        try (OutputStream out = Files.newOutputStream(target)) {
            out.write(gzip(header(name, size, 0644, false)));
            for (long written = 0; written < size; written += chunk) {
                out.write(zeros);
            }
            out.write(gzip(new byte[RECORD]));
        }
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(data);
        }
        return bytes.toByteArray();
    }

    /** The entries of a tar.gz (any number of gzip members). */
    static List<Entry> read(InputStream in) throws IOException {
        byte[] tar = new GZIPInputStream(in).readAllBytes();
        List<Entry> out = new ArrayList<>();
        int pos = 0;
        while (pos + BLOCK <= tar.length) {
            boolean zero = true;
            for (int i = pos; i < pos + BLOCK; i++) {
                zero &= tar[i] == 0;
            }
            if (zero) {
                break;
            }
            String name = text(tar, pos, 100);
            String prefix = text(tar, pos + 345, 155);
            if (!prefix.isEmpty()) {
                name = prefix + "/" + name;
            }
            int mode = (int) octal(tar, pos + 100, 8);
            long size = octal(tar, pos + 124, 12);
            char type = (char) tar[pos + 156];
            pos += BLOCK;
            if (size < 0 || pos + size > tar.length) {
                throw new IOException("entry " + name + " runs past the end");
            }
            byte[] content = java.util.Arrays.copyOfRange(tar, pos, pos + (int) size);
            out.add(new Entry(name, content, mode, type == '5'));
            pos += (int) ((size + BLOCK - 1) / BLOCK * BLOCK);
        }
        return out;
    }

    private static byte[] header(Entry e) {
        return header(e.name(), e.directory() ? 0 : e.content().length, e.mode(), e.directory());
    }

    private static byte[] header(String entryName, long size, int mode, boolean directory) {
        byte[] h = new byte[BLOCK];
        byte[] name = entryName.getBytes(StandardCharsets.UTF_8);
        if (name.length > 100) {
            throw new IllegalArgumentException("name too long for this writer: " + entryName);
        }
        System.arraycopy(name, 0, h, 0, name.length);
        put(h, 100, String.format("%07o", mode));
        put(h, 108, "0000000");
        put(h, 116, "0000000");
        put(h, 124, String.format("%011o", size));
        put(h, 136, String.format("%011o", 1_700_000_000L));
        h[156] = (byte) (directory ? '5' : '0');
        put(h, 257, "ustar");
        h[263] = '0';
        h[264] = '0';
        put(h, 265, "root");
        put(h, 297, "root");
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        int sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, String.format("%06o", sum));
        h[154] = 0;
        h[155] = ' ';
        return h;
    }

    private static void put(byte[] h, int at, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, at, b.length);
    }

    private static String text(byte[] b, int at, int max) {
        int end = at;
        while (end < at + max && b[end] != 0) {
            end++;
        }
        return new String(b, at, end - at, StandardCharsets.UTF_8);
    }

    private static long octal(byte[] b, int at, int max) {
        String s = text(b, at, max).strip();
        return s.isEmpty() ? 0 : Long.parseLong(s, 8);
    }
}
