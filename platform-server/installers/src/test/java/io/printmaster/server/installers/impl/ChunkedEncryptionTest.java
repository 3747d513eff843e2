package io.printmaster.server.installers.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChunkedEncryptionTest {
    private static final int CHUNK = 16;
    private static final byte[] PURPOSE = "printmaster-installer:test".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    private final TestSecretBox box = new TestSecretBox();

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private Path encrypt(byte[] plain, String name) throws Exception {
        Path p = dir.resolve(name + ".plain");
        Files.write(p, plain);
        Path e = dir.resolve(name + ".enc");
        ChunkedEncryption.Written w = ChunkedEncryption.encrypt(p, e, box, PURPOSE, CHUNK);
        assertEquals(plain.length, w.plaintextLength());
        assertEquals(HexFormat.of().formatHex(ChunkedEncryption.digest(plain)), w.sha256());
        return e;
    }

    private static byte[] read(ChunkedEncryption.Reader r, long offset, long count) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        r.copy(offset, count, out);
        return out.toByteArray();
    }

    @Test
    void roundTripsEverySizeAroundTheChunkBoundaries() throws Exception {
        for (int size : new int[] {0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 5}) {
            byte[] plain = bytes(size, size);
            Path e = encrypt(plain, "size" + size);
            ChunkedEncryption.Reader r = ChunkedEncryption.open(e, box, PURPOSE);
            assertEquals(size, r.length());
            assertArrayEquals(plain, read(r, 0, size), "size " + size);
            assertEquals(HexFormat.of().formatHex(ChunkedEncryption.digest(plain)), r.sha256());
            // the ciphertext is the plaintext's length plus one tag per chunk plus the header: no plaintext inside
            long chunks = ChunkedEncryption.chunkCount(size, CHUNK);
            assertTrue(Files.size(e) > size + chunks * ChunkedEncryption.TAG_BYTES);
        }
    }

    @Test
    void aClientThatGoesAwayMidDownloadLeavesNoDecryptingThreadBehind() throws Exception {
        byte[] plain = bytes(40 * CHUNK, 11);
        ChunkedEncryption.Reader r = ChunkedEncryption.open(encrypt(plain, "gone"), box, PURPOSE);
        java.io.OutputStream disconnects = new java.io.OutputStream() {
            private int written;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                written += len;
                if (written > 2 * CHUNK) {
                    throw new IOException("Broken pipe");
                }
            }
        };
        IOException e = assertThrows(IOException.class, () -> r.copy(0, plain.length, disconnects));
        assertEquals("Broken pipe", e.getMessage());
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
        while (Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("pm-installer-decrypt"))) {
            assertTrue(System.nanoTime() < deadline, "the decrypting thread ended");
            Thread.onSpinWait();
        }
    }

    @Test
    void everyRangeGivesExactlyThoseBytes() throws Exception {
        byte[] plain = bytes(3 * CHUNK + 5, 7);
        ChunkedEncryption.Reader r = ChunkedEncryption.open(encrypt(plain, "ranges"), box, PURPOSE);
        for (int offset = 0; offset <= plain.length; offset++) {
            for (int count = 0; offset + count <= plain.length; count++) {
                assertArrayEquals(Arrays.copyOfRange(plain, offset, offset + count), read(r, offset, count),
                        "range " + offset + "+" + count);
            }
        }
        assertThrows(IOException.class, () -> read(r, plain.length, 1));
        assertThrows(IOException.class, () -> read(r, -1, 1));
    }

    @Test
    void aChangedByteAnywhereInAChunkIsDetectedBeforeAnyOfItIsGivenOut() throws Exception {
        byte[] plain = bytes(3 * CHUNK + 5, 9);
        Path e = encrypt(plain, "tamper");
        byte[] original = Files.readAllBytes(e);
        long header = original.length - plain.length - 4L * ChunkedEncryption.TAG_BYTES;
        for (int chunk = 0; chunk < 4; chunk++) {
            byte[] copy = original.clone();
            int at = (int) (header + chunk * (CHUNK + ChunkedEncryption.TAG_BYTES) + 3);
            copy[at] ^= 1;
            Files.write(e, copy);
            ChunkedEncryption.Reader r = ChunkedEncryption.open(e, box, PURPOSE);
            int chunkStart = chunk * CHUNK;
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            IOException failure = assertThrows(IOException.class, () -> r.copy(0, plain.length, out));
            assertTrue(failure.getMessage().contains("integrity"), failure.getMessage());
            // what came out before the failure is exactly the intact chunks before it
            assertArrayEquals(Arrays.copyOf(plain, chunkStart), out.toByteArray());
        }
        // a changed header byte (inside the plaintext digest) fails every chunk
        byte[] copy = original.clone();
        copy[20] ^= 1;
        Files.write(e, copy);
        ChunkedEncryption.Reader r = ChunkedEncryption.open(e, box, PURPOSE);
        assertThrows(IOException.class, () -> read(r, 0, 1));
    }

    @Test
    void truncationDroppedChunksAndReorderingAreDetected() throws Exception {
        byte[] plain = bytes(4 * CHUNK, 11);
        Path e = encrypt(plain, "shape");
        byte[] original = Files.readAllBytes(e);
        int sealedChunk = CHUNK + ChunkedEncryption.TAG_BYTES;
        int header = original.length - 4 * sealedChunk;

        // cut anywhere: the length no longer matches the header
        Files.write(e, Arrays.copyOf(original, original.length - 1));
        assertThrows(GeneralSecurityException.class, () -> ChunkedEncryption.open(e, box, PURPOSE));
        // cut at a chunk boundary, with the header's length lowered to match: the new last chunk is not final
        byte[] cut = Arrays.copyOf(original, original.length - sealedChunk);
        java.nio.ByteBuffer.wrap(cut).putLong(12, 3L * CHUNK);
        Files.write(e, cut);
        assertThrows(IOException.class, () -> ChunkedEncryption.open(e, box, PURPOSE).copy(0, 3L * CHUNK,
                new ByteArrayOutputStream()), "shortened header");
        // two chunks swapped
        byte[] swapped = original.clone();
        System.arraycopy(original, header, swapped, header + sealedChunk, sealedChunk);
        System.arraycopy(original, header + sealedChunk, swapped, header, sealedChunk);
        Files.write(e, swapped);
        ChunkedEncryption.Reader r = ChunkedEncryption.open(e, box, PURPOSE);
        assertThrows(IOException.class, () -> read(r, 0, CHUNK));
        assertThrows(IOException.class, () -> read(r, CHUNK, CHUNK));
        // a chunk dropped from the middle and the last one duplicated to keep the size
        byte[] dropped = original.clone();
        System.arraycopy(original, header + 2 * sealedChunk, dropped, header + sealedChunk, 2 * sealedChunk);
        Files.write(e, dropped);
        ChunkedEncryption.Reader d = ChunkedEncryption.open(e, box, PURPOSE);
        assertThrows(IOException.class, () -> read(d, CHUNK, 3L * CHUNK));
        // intact again: reads
        Files.write(e, original);
        assertArrayEquals(plain, read(ChunkedEncryption.open(e, box, PURPOSE), 0, plain.length));
    }

    @Test
    void anotherMasterKeyOrPurposeCannotOpenIt() throws Exception {
        Path e = encrypt(bytes(100, 13), "keys");
        assertThrows(GeneralSecurityException.class, () -> ChunkedEncryption.open(e, new TestSecretBox(), PURPOSE));
        assertThrows(GeneralSecurityException.class, () -> ChunkedEncryption.open(e, box,
                "printmaster-installer:other".getBytes(StandardCharsets.US_ASCII)));
        Files.write(e, "not an installer at all".getBytes(StandardCharsets.US_ASCII));
        assertThrows(GeneralSecurityException.class, () -> ChunkedEncryption.open(e, box, PURPOSE));
    }

    @Test
    void theCiphertextDoesNotContainThePlaintext() throws Exception {
        byte[] secret = "pmj_this-is-the-join-token-text".getBytes(StandardCharsets.US_ASCII);
        byte[] plain = new byte[5 * CHUNK];
        System.arraycopy(secret, 0, plain, 7, secret.length);
        byte[] enc = Files.readAllBytes(encrypt(plain, "secret"));
        String text = new String(enc, StandardCharsets.ISO_8859_1);
        assertTrue(!text.contains("pmj_"), "the token is not in the encrypted file");
    }
}
