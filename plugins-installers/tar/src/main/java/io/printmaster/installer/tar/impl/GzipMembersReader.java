package io.printmaster.installer.tar.impl;

import io.printmaster.api.support.ArchiveLimits;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Inflates a gzip file of one or more members as one stream, fast, while measuring it: where each member starts (in
 * the file and in the inflated stream), whether a member's content is all zeros (the tar end-of-archive), and the
 * zip-bomb limits, checked on every read so that a bomb is stopped as soon as it passes them.
 *
 * <p>Why not {@code GZIPInputStream}: it copies every byte through a heap buffer before the inflater sees it; a
 * direct input buffer handed to {@link Inflater#setInput(ByteBuffer)} avoids that copy and inflated about twice as
 * fast here (200 MB: 55–150 ms against 190–200 ms). The members' CRC-32 and sizes are still checked.
 */
final class GzipMembersReader extends InputStream {
    /** Up to this many inflated bytes of a member are checked for being zeros. */
    static final int ZERO_CHECK_BYTES = 64 * 1024;

    /** A limit was passed; the message names the entry being read. */
    static final class LimitExceeded extends IOException {
        private static final long serialVersionUID = 1L;

        LimitExceeded(String message) {
            super(message);
        }
    }

    /** The gzip data is damaged or not gzip at all. */
    static final class Damaged extends IOException {
        private static final long serialVersionUID = 1L;

        Damaged(String message) {
            super(message);
        }
    }

    /**
     * One gzip member.
     *
     * @param compressedStart where its header starts in the file
     * @param inflatedStart   where its content starts in the inflated stream
     * @param inflatedSize    how many bytes it inflates to (known once it has been read to its end)
     * @param allZeros        true when it inflates to at most {@link #ZERO_CHECK_BYTES} zero bytes
     */
    record Member(long compressedStart, long inflatedStart, long inflatedSize, boolean allZeros) {
    }

    /** Writing the tee's copy failed: the output's failure (a full disk), not the archive's. */
    static final class CopyFailed extends IOException {
        private static final long serialVersionUID = 1L;

        CopyFailed(IOException cause) {
            super(cause.getMessage(), cause);
        }

        @Override
        public synchronized IOException getCause() {
            return (IOException) super.getCause();
        }
    }

    private final FileChannel channel;
    private final FileChannel copy;
    private final ArchiveLimits limits;
    private final ByteBuffer in = ByteBuffer.allocateDirect(1 << 20);
    private final Inflater inflater = new Inflater(true);
    private final CRC32 crc = new CRC32();
    private final List<Member> members = new ArrayList<>();
    private final byte[] single = new byte[1];
    /**
     * Writes the copy on its own thread, one chunk behind the inflater, so checking and copying overlap instead of
     * adding up (docs/benchmarks.md, "Installer repackaging"). Null without a copy.
     */
    private final java.util.concurrent.ExecutorService copyWriter;
    /** Two chunk buffers: the writer drains one while the next is filled. */
    private final ByteBuffer[] copyChunks;
    private int copyChunk;
    private java.util.concurrent.Future<?> pendingCopy;

    /** Bytes read from the channel so far (counted here: asking the channel costs a system call per read). */
    private long bytesRead;
    private long inflated;
    private long memberCompressedStart;
    private long memberInflatedStart;
    private boolean memberAllZeros;
    private boolean finished;
    private String entryName = "(archive header)";
    private long entryInflatedStart;
    private long entryCompressedStart;

    GzipMembersReader(FileChannel channel, ArchiveLimits limits) throws IOException {
        this(channel, limits, null);
    }

    /**
     * @param copy where every byte read from {@code channel} is also written, unchanged, as it is read (a tee: the
     *             file is read once for both the check and a copy); null for none
     */
    GzipMembersReader(FileChannel channel, ArchiveLimits limits, FileChannel copy) throws IOException {
        this.channel = channel;
        this.copy = copy;
        this.limits = limits;
        if (copy != null) {
            copyWriter = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "pm-targz-copy");
                t.setDaemon(true);
                return t;
            });
            copyChunks = new ByteBuffer[] {ByteBuffer.allocateDirect(in.capacity()), ByteBuffer.allocateDirect(in.capacity())};
        } else {
            copyWriter = null;
            copyChunks = null;
        }
        in.flip();
        if (!startMember()) {
            throw new Damaged("the file is empty, not gzip data");
        }
    }

    /** The tar entry now being read, for the limits' messages and the per-entry ratio. */
    void startEntry(String name) {
        entryName = name;
        entryInflatedStart = inflated;
        entryCompressedStart = compressedPosition();
    }

    /** Bytes inflated so far: the position in the inflated stream. */
    long inflatedPosition() {
        return inflated;
    }

    /** The members read to their end so far (all of them once this stream returned -1). */
    List<Member> members() {
        return List.copyOf(members);
    }

    /** Where the inflater is in the file. */
    private long compressedPosition() {
        return bytesRead - in.remaining();
    }

    @Override
    public int read() throws IOException {
        return read(single, 0, 1) < 0 ? -1 : single[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (!finished) {
            if (inflater.finished()) {
                endMember();
                if (!startMember()) {
                    finished = true;
                }
                continue;
            }
            if (inflater.needsInput()) {
                if (!fill()) {
                    throw new Damaged("the gzip data ends in the middle of a member (truncated file)");
                }
                inflater.setInput(in);
            }
            int n;
            try {
                n = inflater.inflate(b, off, len);
            } catch (DataFormatException e) {
                throw new Damaged("the gzip data is damaged: " + e.getMessage());
            }
            if (n > 0) {
                crc.update(b, off, n);
                long memberSoFar = inflated - memberInflatedStart;
                if (memberAllZeros) {
                    memberAllZeros = memberSoFar + n <= ZERO_CHECK_BYTES && zeros(b, off, n);
                }
                inflated += n;
                checkLimits();
                return n;
            }
            if (inflater.needsDictionary()) {
                throw new Damaged("the gzip data asks for a preset dictionary, which gzip never uses");
            }
        }
        return -1;
    }

    private static boolean zeros(byte[] b, int off, int n) {
        for (int i = off; i < off + n; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private void checkLimits() throws LimitExceeded {
        if (inflated > limits.maxUncompressedBytes()) {
            throw new LimitExceeded("the archive inflates to more than the limit of " + limits.maxUncompressedBytes()
                    + " bytes, passed in entry '" + entryName + "' (zip bomb?)");
        }
        long entryInflated = inflated - entryInflatedStart;
        long compressed = compressedPosition();
        if (limits.ratioExceeded(entryInflated, compressed - entryCompressedStart)) {
            throw new LimitExceeded("entry '" + entryName + "' inflates " + (compressed - entryCompressedStart)
                    + " compressed bytes to " + entryInflated + " or more, a compression ratio past the limit of "
                    + limits.maxRatio() + ":1 (zip bomb?)");
        }
        if (limits.ratioExceeded(inflated, compressed)) {
            throw new LimitExceeded("the archive inflates " + compressed + " bytes to " + inflated
                    + " or more, a compression ratio past the limit of " + limits.maxRatio() + ":1, passed in entry '"
                    + entryName + "' (zip bomb?)");
        }
    }

    /** Refills the input buffer, keeping what is left; false at the end of the file. */
    private boolean fill() throws IOException {
        in.compact();
        int start = in.position();
        int n;
        try {
            n = channel.read(in);
        } finally {
            in.flip();
        }
        if (n > 0) {
            bytesRead += n;
        }
        if (copy != null && n > 0) {
            ByteBuffer fresh = in.duplicate();
            fresh.position(start); // the bytes just read: [start, start + n), the buffer's limit
            awaitCopy(); // the chunk buffer about to be reused has been written
            copyChunk ^= 1;
            ByteBuffer chunk = copyChunks[copyChunk].clear();
            chunk.put(fresh).flip();
            pendingCopy = copyWriter.submit(() -> {
                while (chunk.hasRemaining()) {
                    copy.write(chunk);
                }
                return null;
            });
        }
        return n > 0 || in.hasRemaining();
    }

    private int readByte() throws IOException {
        if (!in.hasRemaining() && !fill()) {
            return -1;
        }
        return in.get() & 0xff;
    }

    private int needByte() throws IOException {
        int b = readByte();
        if (b < 0) {
            throw new Damaged("the gzip data ends in the middle of a member header or trailer (truncated file)");
        }
        return b;
    }

    /** Reads a member header; false when the file ends cleanly instead. */
    private boolean startMember() throws IOException {
        long start = compressedPosition();
        int id1 = readByte();
        if (id1 < 0) {
            return false;
        }
        if (id1 != 0x1f || needByte() != 0x8b) {
            throw new Damaged(members.isEmpty() ? "not gzip data (no gzip magic at the start)"
                    : "data that is not gzip after the gzip member ending at byte " + start);
        }
        if (needByte() != 8) {
            throw new Damaged("gzip member at byte " + start + " uses a compression method other than deflate");
        }
        int flags = needByte();
        if ((flags & 0xe0) != 0) {
            throw new Damaged("gzip member at byte " + start + " sets reserved header flags");
        }
        for (int i = 0; i < 6; i++) {
            needByte(); // mtime, extra flags, OS
        }
        if ((flags & 4) != 0) { // FEXTRA
            int length = needByte() | needByte() << 8;
            for (int i = 0; i < length; i++) {
                needByte();
            }
        }
        if ((flags & 8) != 0) { // FNAME
            while (needByte() != 0) {
                // skip the name
            }
        }
        if ((flags & 16) != 0) { // FCOMMENT
            while (needByte() != 0) {
                // skip the comment
            }
        }
        if ((flags & 2) != 0) { // FHCRC
            needByte();
            needByte();
        }
        memberCompressedStart = start;
        memberInflatedStart = inflated;
        memberAllZeros = true;
        inflater.reset();
        crc.reset();
        inflater.setInput(in);
        return true;
    }

    private void endMember() throws IOException {
        long expectedCrc = 0;
        for (int i = 0; i < 4; i++) {
            expectedCrc |= (long) needByte() << (8 * i);
        }
        long expectedSize = 0;
        for (int i = 0; i < 4; i++) {
            expectedSize |= (long) needByte() << (8 * i);
        }
        long size = inflated - memberInflatedStart;
        if (expectedCrc != crc.getValue() || expectedSize != (size & 0xffff_ffffL)) {
            throw new Damaged("the gzip member at byte " + memberCompressedStart + " fails its CRC-32 or size check: "
                    + "the file is damaged");
        }
        members.add(new Member(memberCompressedStart, memberInflatedStart, size, memberAllZeros && size > 0));
    }

    @Override
    public void close() {
        inflater.end();
        if (copyWriter != null) {
            try {
                awaitCopy();
            } catch (IOException e) {
                // closing after a failure: the caller already has its exception and deletes the copy
            }
            copyWriter.shutdownNow();
        }
    }

    /**
     * Waits until every byte read so far is in the copy. Call before using the copy.
     *
     * @throws CopyFailed when writing the copy failed
     */
    void finishCopy() throws IOException {
        awaitCopy();
    }

    private void awaitCopy() throws IOException {
        java.util.concurrent.Future<?> pending = pendingCopy;
        if (pending == null) {
            return;
        }
        pendingCopy = null;
        try {
            pending.get();
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            throw new CopyFailed(cause instanceof IOException io ? io : new IOException(cause));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CopyFailed(new java.io.InterruptedIOException("interrupted while copying"));
        }
    }
}
