package io.printmaster.installer.tar.impl;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * One gzip member written with a fixed header (no time, no file name, no flags, OS "unknown"), so the same content
 * always gives the same bytes, whatever the JDK's {@code GZIPOutputStream} puts in its header.
 */
final class DeterministicGzip {
    private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 255};

    private DeterministicGzip() {
    }

    static byte[] member(byte[] content) {
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        try {
            deflater.setInput(content);
            deflater.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(content.length / 2 + 64);
            out.writeBytes(HEADER);
            byte[] buffer = new byte[16 * 1024];
            while (!deflater.finished()) {
                int n = deflater.deflate(buffer);
                out.write(buffer, 0, n);
            }
            CRC32 crc = new CRC32();
            crc.update(content);
            ByteBuffer trailer = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            trailer.putInt((int) crc.getValue()).putInt(content.length); // ISIZE: the length modulo 2^32
            out.writeBytes(trailer.array());
            return out.toByteArray();
        } finally {
            deflater.end();
        }
    }
}
