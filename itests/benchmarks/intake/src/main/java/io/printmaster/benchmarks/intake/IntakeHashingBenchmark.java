package io.printmaster.benchmarks.intake;

import io.printmaster.api.release.Checksum;
import io.printmaster.server.releases.impl.ArtifactCache;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Intake hashing and caching throughput as a ratio to {@code sha256sum} on the same file: {@link ArtifactCache#store}
 * reads the file as a stream, hashes it, writes it into a fresh cache, verifies the checksum, fsyncs and moves it into
 * place; {@code sha256sum} only reads and hashes. Both read the same file from the page cache (one untimed run of
 * each first). The median of several runs is reported.
 *
 * <p>Usage: {@code java -jar intake-benchmark.jar [work-dir] [size-MiB] [runs]} (defaults: the system temporary
 * folder, 200, 5). The work folder should be on the disk the server's data directory uses.
 */
public final class IntakeHashingBenchmark {
    private IntakeHashingBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path work = Files.createTempDirectory(args.length > 0 ? Path.of(args[0]) : Path.of(System.getProperty("java.io.tmpdir")),
                "pm-intake-bench");
        int mib = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        try {
            Path file = work.resolve("artifact.bin");
            Checksum expected = writeRandomFile(file, (long) mib << 20);
            System.out.printf("file: %s (%d MiB), SHA-256 %s%n", file, mib, expected.hex());
            System.out.printf("JVM: %s %s; CPUs: %d%n", System.getProperty("java.vm.name"), System.getProperty("java.version"),
                    Runtime.getRuntime().availableProcessors());

            // warm the page cache and the JIT: one untimed run of each
            sha256sum(file, expected);
            store(work, file, expected, 0);

            List<Long> tool = new ArrayList<>();
            List<Long> cache = new ArrayList<>();
            for (int i = 1; i <= runs; i++) {
                // alternate, so a background load spike hurts both alike
                tool.add(sha256sum(file, expected));
                cache.add(store(work, file, expected, i));
            }
            long toolMedian = median(tool);
            long cacheMedian = median(cache);
            double mb = (double) ((long) mib << 20) / 1_000_000.0;
            System.out.printf("sha256sum:           median %7.1f ms  %7.1f MB/s  (runs: %s ms)%n", ms(toolMedian),
                    mb / (toolMedian / 1e9), ms(tool));
            System.out.printf("ArtifactCache.store: median %7.1f ms  %7.1f MB/s  (runs: %s ms)%n", ms(cacheMedian),
                    mb / (cacheMedian / 1e9), ms(cache));
            System.out.printf("throughput ratio store / sha256sum: %.2f (target >= 0.8)%n", (double) toolMedian / cacheMedian);
        } finally {
            deleteTree(work);
        }
    }

    private static Checksum writeRandomFile(Path file, long size) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        Random random = new Random(42);
        byte[] buffer = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = size; left > 0; left -= buffer.length) {
                random.nextBytes(buffer);
                int n = (int) Math.min(buffer.length, left);
                digest.update(buffer, 0, n);
                out.write(buffer, 0, n);
            }
        }
        return Checksum.sha256(digest.digest());
    }

    /** Wall time of {@code sha256sum <file>}, checking it printed the expected digest. */
    private static long sha256sum(Path file, Checksum expected) throws Exception {
        long start = System.nanoTime();
        Process p = new ProcessBuilder("sha256sum", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0 || !out.startsWith(expected.hex())) {
            throw new IllegalStateException("sha256sum failed: " + out);
        }
        return System.nanoTime() - start;
    }

    /** Wall time of one store into a fresh cache folder (so it really downloads, hashes, writes and syncs). */
    private static long store(Path work, Path file, Checksum expected, int run) throws IOException {
        Path root = work.resolve("cache-" + run);
        try (ArtifactCache cache = new ArtifactCache(root); InputStream in = Files.newInputStream(file)) {
            long start = System.nanoTime();
            ArtifactCache.Stored stored;
            try {
                stored = cache.store(in, expected, Long.MAX_VALUE);
            } catch (Exception e) {
                throw new IllegalStateException("store failed", e);
            }
            long elapsed = System.nanoTime() - start;
            if (stored.alreadyCached() || stored.sizeBytes() != Files.size(file)) {
                throw new IllegalStateException("unexpected store result " + stored);
            }
            return elapsed;
        } finally {
            deleteTree(root);
        }
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    private static String ms(List<Long> values) {
        return values.stream().map(v -> String.format("%.0f", ms(v))).reduce((a, b) -> a + ", " + b).orElse("");
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
