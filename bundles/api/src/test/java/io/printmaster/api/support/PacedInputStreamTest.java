package io.printmaster.api.support;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PacedInputStreamTest {
    @Test
    void aStreamThatKeepsThePaceReadsToTheEnd() throws Exception {
        byte[] data = new byte[100_000];
        data[99_999] = 7;
        try (InputStream in = PacedInputStream.of(new ByteArrayInputStream(data), 1000, Duration.ofSeconds(1), "feed")) {
            assertArrayEquals(data, in.readAllBytes());
        }
    }

    @Test
    void aTricklingPeerIsCutOffAfterTheGraceWithTheReaderUnblocked() throws Exception {
        PipedOutputStream peer = new PipedOutputStream();
        PipedInputStream pipe = new PipedInputStream(peer);
        peer.write(new byte[10]); // then nothing more: a read blocks
        long start = System.nanoTime();
        try (InputStream in = PacedInputStream.of(pipe, 1000, Duration.ofMillis(300), "feed http://example/feed.json")) {
            PacedInputStream.TooSlowException e = assertThrows(PacedInputStream.TooSlowException.class, in::readAllBytes);
            assertTrue(e.getMessage().startsWith("feed http://example/feed.json is too slow: 10 bytes in"), e.getMessage());
            assertTrue(e.getMessage().contains("1000 bytes/s after 0 s"), e.getMessage());
            assertThrows(PacedInputStream.TooSlowException.class, in::read, "and stays refused");
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(millis >= 300 && millis < 5000, "cut after " + millis + " ms");
        assertTrue(!Thread.currentThread().isInterrupted(), "the watch's interrupt does not leak to the caller");
    }

    @Test
    void theDeadlineFollowsFromTheSize() {
        assertEquals(Duration.ofSeconds(40), PacedInputStream.deadlineFor(40_960, 4096, Duration.ofSeconds(30)));
    }
}
