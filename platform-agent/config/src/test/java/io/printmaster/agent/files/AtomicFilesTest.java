package io.printmaster.agent.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    @Test
    void replacesTheFileWholeAndLeavesNoTemporaryFile() throws IOException {
        Path file = dir.resolve("state/state.json");
        AtomicFiles.write(file, "old".getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(file, "new content".getBytes(StandardCharsets.UTF_8));
        assertEquals("new content", Files.readString(file));
        assertEquals(List.of(file), list(file.getParent()), "only the target is in its folder");
    }

    @Test
    void aWriteThatCannotReplaceTheTargetLeavesItAndNoTemporaryFile() throws IOException {
        Path target = dir.resolve("busy");
        Files.createDirectories(target.resolve("child")); // a non-empty folder cannot be replaced by a file
        assertThrows(IOException.class, () -> AtomicFiles.write(target, new byte[] {1, 2, 3}));
        assertTrue(Files.isDirectory(target.resolve("child")));
        assertEquals(List.of(target), list(dir));
    }

    @Test
    void ownerOnlyFilesAreNotReadableByOthers() throws IOException {
        assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"));
        Path file = dir.resolve("credential");
        AtomicFiles.writeOwnerOnly(file, "secret".getBytes(StandardCharsets.UTF_8));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        AtomicFiles.write(file, "x".getBytes(StandardCharsets.UTF_8), null, PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }

    @Test
    void aPlainWriteGetsTheModeAPlainFileWouldGetNotOwnerOnly() throws IOException {
        assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"));
        Path plain = Files.write(dir.resolve("plain"), new byte[] {1}); // the process's default: 0666 less the umask
        Path file = dir.resolve("versions-current");
        AtomicFiles.write(file, "1.2.0\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(PosixFilePermissions.toString(Files.getPosixFilePermissions(plain)),
                PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }

    @Test
    void theTemporaryFileCanLiveOutsideAWatchedFolder() throws IOException {
        Path watched = dir.resolve("plugins");
        Path outside = dir.resolve("tmp");
        AtomicFiles.write(watched.resolve("a.jar"), new byte[] {9}, outside, null);
        assertArrayEquals(new byte[] {9}, Files.readAllBytes(watched.resolve("a.jar")));
        assertEquals(List.of(watched.resolve("a.jar")), list(watched));
        assertEquals(List.of(), list(outside));
    }

    @Test
    void aMoveReplacesTheTargetAndForcesItsFolder() throws IOException {
        Path source = Files.writeString(dir.resolve("a.partial"), "bytes");
        Path target = Files.writeString(dir.resolve("a"), "older");
        AtomicFiles.move(source, target);
        assertEquals("bytes", Files.readString(target));
        assertEquals(List.of(target), list(dir));
        assumeTrue(!System.getProperty("os.name").toLowerCase().contains("win"));
        assertTrue(AtomicFiles.syncDirectory(dir), "a folder can be forced on this OS");
    }

    @Test
    void digestsAreTheKnownSha256InLowerCaseHex() throws IOException {
        String abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        byte[] bytes = "abc".getBytes(StandardCharsets.US_ASCII);
        assertEquals(abc, Digests.sha256Hex(bytes));
        assertEquals(abc, Digests.sha256Hex(new ByteArrayInputStream(bytes)));
        assertEquals(abc, Digests.sha256Hex(Files.write(dir.resolve("abc"), bytes)));
        byte[] large = new byte[(1 << 16) * 3 + 7]; // more than one read buffer
        large[large.length - 1] = 1;
        assertEquals(Digests.sha256Hex(large), Digests.sha256Hex(Files.write(dir.resolve("large"), large)));
    }

    private static List<Path> list(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(folder)) {
            return s.sorted().toList();
        }
    }
}
