package io.printmaster.server.installers.impl;

import io.printmaster.security.api.SecretBox;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * An installer encrypted at rest, readable at any offset: the plaintext is cut into chunks of
 * {@value #CHUNK_BYTES} bytes, each sealed on its own with AES-256-GCM under a random per-file data key; the data key
 * itself is sealed with the server's {@link SecretBox} (the master key) in the file's header. Layout:
 * <pre>
 * header:  "PMINST01" | u32 chunk size | u64 plaintext length | 32 bytes SHA-256 of the plaintext
 *          | 4 bytes nonce prefix | u32 sealed key length | sealed data key
 * chunks:  ciphertext + 16-byte tag, chunk size plaintext bytes each; the last one holds the rest (maybe 0 bytes)
 * </pre>
 * Chunk {@code i} is sealed with nonce {@code prefix | u64 i} and associated data {@code SHA-256(header) | u64 i |
 * final flag}, so a chunk moved to another position, a chunk dropped or the file cut after a chunk boundary fails
 * to open, and so does any change to the header (length, digest, key): the header digest is in every chunk's
 * associated data and the sealed key is bound to the file's purpose ({@code purpose} below). A reader checks each
 * chunk's tag before it gives out a single byte of it.
 */
final class ChunkedEncryption {
    static final int CHUNK_BYTES = 64 * 1024;
    /** Ranges up to this size are decrypted on the calling thread; longer ones by a thread decrypting ahead. */
    static final int INLINE_BYTES = 1024 * 1024;
    static final int TAG_BYTES = 16;
    private static final byte[] MAGIC = "PMINST01".getBytes(StandardCharsets.US_ASCII);
    private static final int NONCE_PREFIX_BYTES = 4;
    private static final int MAX_SEALED_KEY_BYTES = 1024;
    private static final SecureRandom RANDOM = new SecureRandom();

    private ChunkedEncryption() {
    }

    /** What {@link #encrypt} wrote: the plaintext's length and SHA-256 (lowercase hex). */
    record Written(long plaintextLength, String sha256) {
    }

    /**
     * Encrypts {@code plaintext} into {@code target} (created or replaced), forced to disk.
     *
     * @param purpose binds the sealed data key to what the file is (the cache key): a file copied under another
     *                cache key does not open
     */
    static Written encrypt(Path plaintext, Path target, SecretBox box, byte[] purpose, int chunkBytes)
            throws IOException, GeneralSecurityException {
        long length = Files.size(plaintext);
        String sha256 = sha256Hex(plaintext);
        byte[] dataKey = new byte[32];
        RANDOM.nextBytes(dataKey);
        byte[] prefix = new byte[NONCE_PREFIX_BYTES];
        RANDOM.nextBytes(prefix);
        try {
            byte[] sealedKey = box.seal(dataKey, purpose);
            byte[] header = header(chunkBytes, length, HexFormat.of().parseHex(sha256), prefix, sealedKey);
            byte[] headerDigest = digest(header);
            SecretKeySpec key = new SecretKeySpec(dataKey, "AES");
            long chunks = chunkCount(length, chunkBytes);
            try (InputStream in = Files.newInputStream(plaintext);
                 FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                         StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(out, ByteBuffer.wrap(header));
                byte[] plain = new byte[chunkBytes];
                byte[] sealed = new byte[chunkBytes + TAG_BYTES];
                Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
                for (long i = 0; i < chunks; i++) {
                    int n = (int) Math.min(chunkBytes, length - i * chunkBytes);
                    int read = in.readNBytes(plain, 0, n);
                    if (read != n) {
                        throw new IOException("the plaintext changed while it was encrypted: " + plaintext);
                    }
                    cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BYTES * 8, nonce(prefix, i)));
                    cipher.updateAAD(chunkAad(headerDigest, i, i == chunks - 1));
                    int m = cipher.doFinal(plain, 0, n, sealed, 0);
                    writeFully(out, ByteBuffer.wrap(sealed, 0, m));
                }
                if (in.read() != -1) {
                    throw new IOException("the plaintext grew while it was encrypted: " + plaintext);
                }
                out.force(true);
            }
            return new Written(length, sha256);
        } finally {
            Arrays.fill(dataKey, (byte) 0);
        }
    }

    /**
     * Opens an encrypted file: reads and checks the header and unseals the data key.
     *
     * @throws GeneralSecurityException when the file is not one of ours, was altered, belongs to another purpose or
     *                                  was sealed under another master key
     */
    static Reader open(Path file, SecretBox box, byte[] purpose) throws IOException, GeneralSecurityException {
        long fileSize = Files.size(file);
        try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
            byte[] magic = in.readNBytes(MAGIC.length);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new GeneralSecurityException("not an encrypted installer: " + file.getFileName());
            }
            int chunkBytes = in.readInt();
            long length = in.readLong();
            byte[] sha256 = in.readNBytes(32);
            byte[] prefix = in.readNBytes(NONCE_PREFIX_BYTES);
            int sealedLength = in.readInt();
            if (chunkBytes < 1 || length < 0 || sealedLength < 1 || sealedLength > MAX_SEALED_KEY_BYTES
                    || sha256.length != 32 || prefix.length != NONCE_PREFIX_BYTES) {
                throw new GeneralSecurityException("damaged header: " + file.getFileName());
            }
            byte[] sealedKey = in.readNBytes(sealedLength);
            if (sealedKey.length != sealedLength) {
                throw new GeneralSecurityException("damaged header: " + file.getFileName());
            }
            byte[] header = header(chunkBytes, length, sha256, prefix, sealedKey);
            long chunks = chunkCount(length, chunkBytes);
            long expected = header.length + length + chunks * TAG_BYTES;
            if (fileSize != expected) {
                throw new GeneralSecurityException("the encrypted installer " + file.getFileName() + " has " + fileSize
                        + " bytes instead of " + expected + ": truncated or extended");
            }
            byte[] dataKey = box.open(sealedKey, purpose);
            try {
                return new Reader(file, new SecretKeySpec(dataKey, "AES"), header.length, digest(header), prefix,
                        chunkBytes, length, HexFormat.of().formatHex(sha256));
            } finally {
                Arrays.fill(dataKey, (byte) 0);
            }
        } catch (java.io.EOFException e) {
            throw new GeneralSecurityException("damaged header: " + file.getFileName(), e);
        }
    }

    /** Decrypts ranges of one encrypted file; each call opens the file on its own, so one reader serves many requests. */
    static final class Reader {
        private final Path file;
        private final SecretKeySpec key;
        private final long dataStart;
        private final byte[] headerDigest;
        private final byte[] prefix;
        private final int chunkBytes;
        private final long length;
        private final String sha256;
        private final long chunks;

        private Reader(Path file, SecretKeySpec key, long dataStart, byte[] headerDigest, byte[] prefix, int chunkBytes,
                       long length, String sha256) {
            this.file = file;
            this.key = key;
            this.dataStart = dataStart;
            this.headerDigest = headerDigest;
            this.prefix = prefix;
            this.chunkBytes = chunkBytes;
            this.length = length;
            this.sha256 = sha256;
            this.chunks = chunkCount(length, chunkBytes);
        }

        /** The plaintext's length. */
        long length() {
            return length;
        }

        /** The plaintext's SHA-256, lowercase hex (authenticated with the header). */
        String sha256() {
            return sha256;
        }

        /**
         * Writes {@code count} plaintext bytes from {@code offset} to {@code out}, decrypting only the chunks that
         * hold them.
         *
         * @throws IOException when the range is outside the plaintext, or a chunk fails its authentication (then
         *                     nothing of that chunk has been written)
         */
        void copy(long offset, long count, OutputStream out) throws IOException {
            if (offset < 0 || count < 0 || offset + count > length) {
                throw new IOException("range " + offset + "+" + count + " is outside the " + length + " bytes");
            }
            if (count == 0) {
                return;
            }
            long first = offset / chunkBytes;
            long last = (offset + count - 1) / chunkBytes;
            // a download asks for one piece of at most 1 MiB at a time (Downloads.serve writes without blocking):
            // decrypted inline, no thread of its own
            if (last - first < 2 || count <= INLINE_BYTES) {
                copyChunks(first, last, offset, count, out::write);
                return;
            }
            // Long ranges: one thread decrypts ahead while the request thread writes, so the time is that of the
            // slower of the two instead of their sum (measured in docs/benchmarks.md, "Serving a cached installer").
            java.util.concurrent.BlockingQueue<Object> ready = new java.util.concurrent.ArrayBlockingQueue<>(4);
            Object end = new Object();
            Thread decryptor = new Thread(() -> {
                try {
                    copyChunks(first, last, offset, count, (bytes, from, len) ->
                            putInterruptibly(ready, java.util.Arrays.copyOfRange(bytes, from, from + len)));
                    putInterruptibly(ready, end);
                } catch (IOException e) {
                    try {
                        putInterruptibly(ready, e);
                    } catch (IOException interrupted) {
                        // the writer is gone: nobody to tell
                    }
                }
            }, "pm-installer-decrypt");
            decryptor.setDaemon(true);
            decryptor.start();
            try {
                while (true) {
                    Object next = ready.take();
                    if (next == end) {
                        return;
                    }
                    if (next instanceof IOException e) {
                        throw new IOException(e.getMessage(), e);
                    }
                    out.write((byte[]) next);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while serving " + file.getFileName());
            } finally {
                decryptor.interrupt(); // a client that went away must not leave the decryptor blocked
            }
        }

        /** Where decrypted bytes go, in order. */
        @FunctionalInterface
        private interface Sink {
            void write(byte[] bytes, int from, int length) throws IOException;
        }

        private static void putInterruptibly(java.util.concurrent.BlockingQueue<Object> queue, Object item)
                throws IOException {
            try {
                queue.put(item);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("stopped");
            }
        }

        /** Decrypts chunks {@code first..last}, checking each tag, and hands on the bytes of the range. */
        private void copyChunks(long first, long last, long offset, long count, Sink out) throws IOException {
            try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
                Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
                ByteBuffer sealed = ByteBuffer.allocate(chunkBytes + TAG_BYTES);
                byte[] plain = new byte[chunkBytes];
                for (long i = first; i <= last; i++) {
                    int n = plainSize(i);
                    sealed.clear().limit(n + TAG_BYTES);
                    long position = dataStart + i * (long) (chunkBytes + TAG_BYTES);
                    while (sealed.hasRemaining()) {
                        if (in.read(sealed, position + sealed.position()) < 0) {
                            throw new IOException("the encrypted installer " + file.getFileName() + " ends early");
                        }
                    }
                    cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BYTES * 8, nonce(prefix, i)));
                    cipher.updateAAD(chunkAad(headerDigest, i, i == chunks - 1));
                    int m = cipher.doFinal(sealed.array(), 0, n + TAG_BYTES, plain, 0);
                    long chunkStart = i * (long) chunkBytes;
                    int from = (int) Math.max(0, offset - chunkStart);
                    int to = (int) Math.min(m, offset + count - chunkStart);
                    out.write(plain, from, to - from);
                }
            } catch (java.nio.channels.ClosedByInterruptException e) {
                throw new java.io.InterruptedIOException("stopped");
            } catch (GeneralSecurityException e) {
                throw new IOException("the encrypted installer " + file.getFileName() + " failed its integrity check", e);
            }
        }

        private int plainSize(long chunk) {
            return (int) Math.min(chunkBytes, length - chunk * chunkBytes);
        }
    }

    static long chunkCount(long length, int chunkBytes) {
        // an empty plaintext still has one (empty) final chunk, so even it is authenticated
        return Math.max(1, (length + chunkBytes - 1) / chunkBytes);
    }

    private static byte[] header(int chunkBytes, long length, byte[] sha256, byte[] prefix, byte[] sealedKey)
            throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(MAGIC);
        out.writeInt(chunkBytes);
        out.writeLong(length);
        out.write(sha256);
        out.write(prefix);
        out.writeInt(sealedKey.length);
        out.write(sealedKey);
        out.flush();
        return bytes.toByteArray();
    }

    private static byte[] nonce(byte[] prefix, long chunk) {
        return ByteBuffer.allocate(12).put(prefix).putLong(chunk).array();
    }

    private static byte[] chunkAad(byte[] headerDigest, long chunk, boolean last) {
        return ByteBuffer.allocate(headerDigest.length + 9).put(headerDigest).putLong(chunk).put((byte) (last ? 1 : 0))
                .array();
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    static byte[] digest(byte[] bytes) {
        return sha256().digest(bytes);
    }

    static String sha256Hex(Path file) throws IOException {
        MessageDigest md = sha256();
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                md.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
