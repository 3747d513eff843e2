package io.printmaster.server.releases.impl;

import io.printmaster.api.release.Checksum;
import io.printmaster.server.releases.api.RejectReason;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The content-addressed artifact cache: {@code <pm.data.dir>/cache/artifacts/sha256/<first 2 hex>/<hex>}. A file
 * appears under its name only after its bytes were hashed while streaming, matched the upstream checksum and were
 * flushed to disk: the name is the proof. Anything else (a mismatch, a stream over the size limit, a truncated or
 * stalled download) leaves nothing under a content name.
 *
 * <p>Downloads stream into a temporary file in the same folder as their final name, so the final step is an atomic
 * rename on the same file system. A resumable download ({@link #store(Download, Checksum, OptionalLong, String,
 * Limits, Progress)} with a resume key) keeps its bytes in {@code <hex>.<key>.partial} when it is interrupted
 * (truncated, stalled, failed while reading) and continues from there next time, if the source can open the asset
 * at an offset; bytes that proved wrong (hash mismatch, over the limit) are always deleted.
 */
@Component(service = ArtifactCache.class)
public class ArtifactCache implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ArtifactCache.class);

    /** One read, one digest update, one write: 1 MiB amortizes the per-call costs of all three. */
    static final int BUFFER_BYTES = 1 << 20;
    /** Partial downloads nobody resumed for this long are dropped at start-up. */
    static final Duration PARTIAL_MAX_AGE = Duration.ofDays(7);

    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    private static final String PARTIAL = ".partial";
    private static final String TEMP = ".tmp";

    private final Path sha256Root;
    private final ScheduledExecutorService watchdog;

    /**
     * Framework (or system) property naming the folder of the release cache ({@code artifacts/}, {@code bundles/});
     * default {@code <pm.data.dir>/cache}. Replicas of the server point it at one shared folder: the replica that
     * syncs fills it, every replica serves from it (see the admin guide's "Scaling out").
     */
    static final String CACHE_DIR_PROPERTY = "pm.cache.dir";
    /** A temporary file untouched this long belongs to nobody (a crash); younger ones may be another replica's. */
    static final Duration TEMP_MAX_AGE = Duration.ofHours(1);

    @Activate
    public ArtifactCache(BundleContext context) throws IOException {
        this(cacheFolder(context, "artifacts"));
    }

    /** {@code <pm.cache.dir>/<name>}, else {@code <pm.data.dir>/cache/<name>}. */
    static Path cacheFolder(BundleContext context, String name) {
        String shared = context.getProperty(CACHE_DIR_PROPERTY);
        if (shared != null && !shared.isBlank()) {
            return Path.of(shared.strip(), name);
        }
        return Path.of(Objects.requireNonNull(context.getProperty("pm.data.dir"), "framework property pm.data.dir"),
                "cache", name);
    }

    /** Whether a temporary file was left by a crash: on a shared folder a younger one may be another replica's. */
    static boolean abandoned(Path temp) throws IOException {
        return Files.getLastModifiedTime(temp).toInstant().isBefore(Instant.now().minus(TEMP_MAX_AGE));
    }

    /** A cache under {@code root} (tests, benchmarks); the component uses {@code <pm.data.dir>/cache/artifacts}. */
    public ArtifactCache(Path root) throws IOException {
        this.sha256Root = root.resolve("sha256");
        Files.createDirectories(sha256Root);
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pm-artifact-download-watchdog");
            t.setDaemon(true);
            return t;
        });
        removeLeftovers();
    }

    @Deactivate
    @Override
    public void close() {
        watchdog.shutdownNow();
    }

    /** Where a download comes from: from the start, or (when the source can) from an offset. */
    public interface Download {
        /** The asset's bytes from the first one. */
        InputStream open() throws IOException;

        /**
         * The asset's bytes from {@code offset} on, or empty when the source cannot start in the middle (then the
         * download starts over and the partial bytes are dropped).
         */
        default Optional<InputStream> openFrom(long offset) throws IOException {
            return Optional.empty();
        }
    }

    /**
     * @param maxBytes     the largest asset accepted; the stream is aborted as soon as it goes beyond
     * @param idleTimeout  longest wait for the next bytes
     * @param totalTimeout longest whole download
     * @param minBytesPerSecond the minimum average rate after {@code rateGrace} (0: none): at {@code t} after the
     *                     stream opened, at least {@code (t - rateGrace) * minBytesPerSecond} bytes must have arrived,
     *                     so a source that trickles (never quite stalling) is cut off at a deadline derived from the
     *                     size instead of holding the sync until {@code totalTimeout}
     * @param rateGrace    how long a download may take before the rate counts
     */
    public record Limits(long maxBytes, Duration idleTimeout, Duration totalTimeout, long minBytesPerSecond,
                         Duration rateGrace) {
        public Limits {
            if (maxBytes < 1) {
                throw new IllegalArgumentException("maxBytes must be positive");
            }
            Objects.requireNonNull(idleTimeout, "idleTimeout");
            Objects.requireNonNull(totalTimeout, "totalTimeout");
            Objects.requireNonNull(rateGrace, "rateGrace");
            if (minBytesPerSecond < 0) {
                throw new IllegalArgumentException("minBytesPerSecond must not be negative");
            }
        }

        /** Without a minimum rate. */
        public Limits(long maxBytes, Duration idleTimeout, Duration totalTimeout) {
            this(maxBytes, idleTimeout, totalTimeout, 0, Duration.ZERO);
        }

        /** Only a size limit; no timeouts. */
        public static Limits size(long maxBytes) {
            return new Limits(maxBytes, Duration.ZERO, Duration.ZERO);
        }
    }

    /** Called from the downloading thread after each buffer. */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (received, total) -> { };

        void bytes(long received, OptionalLong total);
    }

    /**
     * @param sha256        the content's SHA-256, lowercase hex: its name in the cache
     * @param sizeBytes     its size
     * @param file          where it is
     * @param alreadyCached true when the content was in the cache before and nothing was downloaded
     * @param resumedFrom   how many bytes came from an earlier interrupted download (0 when it started fresh)
     */
    public record Stored(String sha256, long sizeBytes, Path file, boolean alreadyCached, long resumedFrom) {
    }

    /**
     * Streams {@code in} into the cache while hashing, verifies it against {@code expected} and moves it into place;
     * the stream is consumed but not closed. Nothing is kept when it fails.
     *
     * @throws IntakeException {@link RejectReason#HASH_MISMATCH}, {@link RejectReason#SIZE_LIMIT} or
     *     {@link RejectReason#SOURCE_ERROR} (the stream failed while reading)
     */
    public Stored store(InputStream in, Checksum expected, long maxBytes) throws IntakeException {
        Objects.requireNonNull(in, "in");
        return store(new Download() {
            private boolean opened;

            @Override
            public InputStream open() throws IOException {
                if (opened) {
                    throw new IOException("the stream can be read once");
                }
                opened = true;
                return new NonClosingInputStream(in);
            }
        }, expected, OptionalLong.empty(), null, Limits.size(maxBytes), Progress.NONE);
    }

    /**
     * Downloads an asset into the cache unless its content is already there.
     *
     * @param expected     the upstream checksum; required (an asset without one is never trusted)
     * @param expectedSize the size the upstream announces, when known: over the limit is refused before any byte
     *                     is read, fewer bytes is {@link RejectReason#TRUNCATED}
     * @param resumeKey    identifies this download across attempts (source, asset URL and checksum); null for a
     *                     download that must not leave partial bytes behind
     * @throws IntakeException with the reason; nothing was added to the cache
     */
    public Stored store(Download download, Checksum expected, OptionalLong expectedSize, String resumeKey, Limits limits,
                        Progress progress) throws IntakeException {
        Objects.requireNonNull(download, "download");
        Objects.requireNonNull(limits, "limits");
        if (expected == null) {
            throw new IntakeException(RejectReason.NO_UPSTREAM_CHECKSUM, "the upstream publishes no SHA-256 for this asset");
        }
        String hex = expected.hex();
        Path target = pathOf(hex);
        if (Files.isRegularFile(target)) {
            return new Stored(hex, sizeOrZero(target), target, true, 0);
        }
        if (expectedSize.isPresent() && expectedSize.getAsLong() > limits.maxBytes()) {
            throw new IntakeException(RejectReason.SIZE_LIMIT, "the asset has " + expectedSize.getAsLong()
                    + " bytes, more than the limit of " + limits.maxBytes());
        }
        try {
            Files.createDirectories(target.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create cache folder " + target.getParent(), e);
        }
        Path temp = resumeKey == null
                ? target.resolveSibling(hex + "." + UUID.randomUUID() + TEMP)
                : target.resolveSibling(hex + "." + keyHash(resumeKey) + PARTIAL);
        boolean keepPartial = false;
        try {
            return download(download, expected, expectedSize, limits, progress, temp, target, resumeKey != null);
        } catch (Interrupted e) {
            // truncated, stalled or broken off: resumable bytes stay for the next attempt
            keepPartial = resumeKey != null && sizeOrZero(temp) > 0;
            throw e.cause;
        } finally {
            if (!keepPartial) {
                deleteQuietly(temp);
            }
        }
    }

    /** An interruption whose partial bytes are worth keeping. */
    private static final class Interrupted extends Exception {
        private static final long serialVersionUID = 1L;
        final IntakeException cause;

        Interrupted(IntakeException cause) {
            super(cause.getMessage(), null, false, false);
            this.cause = cause;
        }
    }

    private Stored download(Download download, Checksum expected, OptionalLong expectedSize, Limits limits,
                            Progress progress, Path temp, Path target, boolean resumable) throws IntakeException, Interrupted {
        MessageDigest digest = sha256();
        byte[] buffer = new byte[BUFFER_BYTES];
        long resumedFrom = resumable ? reusablePartialBytes(temp, expectedSize, limits) : 0;
        InputStream in = null;
        try {
            if (resumedFrom > 0) {
                Optional<InputStream> rest = download.openFrom(resumedFrom);
                if (rest.isPresent()) {
                    in = rest.get();
                    hashExisting(temp, resumedFrom, digest, buffer);
                } else {
                    LOG.debug("the source cannot resume {}; starting over", target.getFileName());
                    resumedFrom = 0;
                }
            }
            if (in == null) {
                Files.deleteIfExists(temp);
                in = download.open();
            }
        } catch (IOException e) {
            closeQuietly(in);
            throw new Interrupted(new IntakeException(RejectReason.SOURCE_ERROR, "cannot open the asset: " + describe(e), e));
        }
        Watch watch = new Watch(in, Thread.currentThread(), limits);
        long received = resumedFrom;
        try (InputStream source = in;
             FileOutputStream out = new FileOutputStream(temp.toFile(), resumedFrom > 0)) {
            watch.start(watchdog);
            while (true) {
                int n;
                try {
                    n = source.read(buffer);
                } catch (IOException e) {
                    if (watch.expired()) {
                        throw new Interrupted(watch.timeout());
                    }
                    throw new Interrupted(new IntakeException(RejectReason.SOURCE_ERROR,
                            "reading the asset failed after " + received + " bytes: " + describe(e), e));
                }
                if (n < 0) {
                    break;
                }
                if (watch.expired()) {
                    throw new Interrupted(watch.timeout());
                }
                received += n;
                if (received > limits.maxBytes()) {
                    throw new IntakeException(RejectReason.SIZE_LIMIT, "the asset is larger than the limit of "
                            + limits.maxBytes() + " bytes; download aborted");
                }
                digest.update(buffer, 0, n);
                out.write(buffer, 0, n);
                watch.progressed(n);
                progress.bytes(received, expectedSize);
            }
            if (watch.expired()) {
                throw new Interrupted(watch.timeout());
            }
            if (expectedSize.isPresent() && received < expectedSize.getAsLong()) {
                throw new Interrupted(new IntakeException(RejectReason.TRUNCATED, "the stream ended after " + received
                        + " of " + expectedSize.getAsLong() + " bytes"));
            }
            byte[] actual = digest.digest();
            if (!expected.matches(actual)) {
                throw new IntakeException(RejectReason.HASH_MISMATCH, "the " + received + " bytes received hash to sha256:"
                        + HexFormat.of().formatHex(actual) + ", the upstream publishes " + expected);
            }
            out.flush();
            out.getFD().sync();
        } catch (IOException e) {
            // writing the temporary file failed (disk full, permissions): not the source's fault, nothing kept
            throw new UncheckedIOException("cannot write " + temp, e);
        } finally {
            watch.stop();
            // the watchdog may have interrupted this thread just as the download ended
            Thread.interrupted();
        }
        moveIntoPlace(temp, target);
        return new Stored(expected.hex(), received, target, false, resumedFrom);
    }

    /** The bytes of an earlier attempt that can be continued, or 0 (and the file dropped) when none can. */
    private static long reusablePartialBytes(Path partial, OptionalLong expectedSize, Limits limits) {
        long have = sizeOrZero(partial);
        if (have <= 0) {
            return 0;
        }
        if (have > limits.maxBytes() || expectedSize.isPresent() && have >= expectedSize.getAsLong()) {
            deleteQuietly(partial);
            return 0;
        }
        return have;
    }

    /** Feeds the first {@code length} bytes of the partial file to the digest, so the final hash covers them. */
    private static void hashExisting(Path partial, long length, MessageDigest digest, byte[] buffer) throws IOException {
        try (InputStream in = Files.newInputStream(partial)) {
            long left = length;
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    throw new IOException("partial file shrank while reading it");
                }
                digest.update(buffer, 0, n);
                left -= n;
            }
        }
    }

    private static void moveIntoPlace(Path temp, Path target) {
        try {
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            syncDirectory(target.getParent());
        } catch (IOException e) {
            deleteQuietly(temp);
            throw new UncheckedIOException("cannot move the verified download into " + target, e);
        }
    }

    /** Makes the rename itself durable; only some platforms can open a directory for this. */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.trace("cannot sync directory {}: {}", dir, e.toString());
        }
    }

    /** The cached file with this SHA-256, if the cache has it. */
    public Optional<Path> file(String sha256) {
        if (sha256 == null || !SHA256_HEX.matcher(sha256).matches()) {
            return Optional.empty();
        }
        Path p = pathOf(sha256);
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    /** Removes a cached file; true when there was one. */
    public boolean delete(String sha256) {
        Optional<Path> p = file(sha256);
        if (p.isEmpty()) {
            return false;
        }
        try {
            return Files.deleteIfExists(p.get());
        } catch (IOException e) {
            LOG.warn("cannot delete cached artifact {}: {}", p.get(), e.toString());
            return false;
        }
    }

    Path pathOf(String hex) {
        return sha256Root.resolve(hex.substring(0, 2)).resolve(hex);
    }

    /**
     * Temporary files of downloads cut short by a crash (untouched for an hour: on a shared folder a younger one may
     * be another replica's download in progress), and partial downloads nobody resumed for a week.
     */
    private void removeLeftovers() throws IOException {
        Instant partialCutoff = Instant.now().minus(PARTIAL_MAX_AGE);
        try (DirectoryStream<Path> prefixes = Files.newDirectoryStream(sha256Root)) {
            for (Path prefix : prefixes) {
                if (!Files.isDirectory(prefix)) {
                    continue;
                }
                try (Stream<Path> files = Files.list(prefix)) {
                    files.forEach(f -> {
                        String name = f.getFileName().toString();
                        try {
                            if (name.endsWith(TEMP) && abandoned(f)
                                    || name.endsWith(PARTIAL) && Files.getLastModifiedTime(f).toInstant().isBefore(partialCutoff)) {
                                Files.deleteIfExists(f);
                            }
                        } catch (IOException e) {
                            LOG.warn("cannot remove leftover download {}: {}", f, e.toString());
                        }
                    });
                }
            }
        }
    }

    private static String keyHash(String resumeKey) {
        return HexFormat.of().formatHex(sha256().digest(resumeKey.getBytes(StandardCharsets.UTF_8))).substring(0, 16);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance(Checksum.SHA_256);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    private static long sizeOrZero(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0; // no such file (or unreadable): nothing to resume from
        }
    }

    private static void closeQuietly(InputStream in) {
        if (in == null) {
            return;
        }
        try {
            in.close();
        } catch (IOException e) {
            LOG.trace("closing a download stream failed: {}", e.toString());
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.warn("cannot delete {}: {}", p, e.toString());
        }
    }

    private static String describe(IOException e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * Enforces the timeouts of one download: a stalled or overlong read is broken by closing the stream and
     * interrupting the reader (HTTP client streams block in an interruptible queue, socket streams end on close).
     */
    private static final class Watch {
        private final InputStream in;
        private final Thread reader;
        private final long idleNanos;
        private final long totalNanos;
        private final long minBytesPerSecond;
        private final long rateGraceNanos;
        private final long startNanos = System.nanoTime();
        private volatile long lastProgressNanos = startNanos;
        private volatile long received;
        private volatile String expired;
        private ScheduledFuture<?> task;

        Watch(InputStream in, Thread reader, Limits limits) {
            this.in = in;
            this.reader = reader;
            this.idleNanos = limits.idleTimeout().toNanos();
            this.totalNanos = limits.totalTimeout().toNanos();
            this.minBytesPerSecond = limits.minBytesPerSecond();
            this.rateGraceNanos = limits.rateGrace().toNanos();
        }

        void start(ScheduledExecutorService scheduler) {
            if (idleNanos <= 0 && totalNanos <= 0 && minBytesPerSecond <= 0) {
                return;
            }
            long shortest = Long.MAX_VALUE;
            for (long candidate : new long[] {idleNanos, totalNanos, minBytesPerSecond > 0 ? Math.max(rateGraceNanos,
                    TimeUnit.MILLISECONDS.toNanos(80)) : 0}) {
                if (candidate > 0) {
                    shortest = Math.min(shortest, candidate);
                }
            }
            long period = Math.max(TimeUnit.MILLISECONDS.toNanos(20), Math.min(TimeUnit.SECONDS.toNanos(1), shortest / 4));
            task = scheduler.scheduleAtFixedRate(this::check, period, period, TimeUnit.NANOSECONDS);
        }

        void progressed(int bytes) {
            received += bytes;
            lastProgressNanos = System.nanoTime();
        }

        /** Why the stream is below its minimum average rate, or null. */
        private String tooSlow(long now) {
            if (minBytesPerSecond <= 0) {
                return null;
            }
            long counted = now - startNanos - rateGraceNanos;
            if (counted <= 0) {
                return null;
            }
            long needed = TimeUnit.NANOSECONDS.toMillis(counted) * minBytesPerSecond / 1000;
            long got = received;
            return got >= needed ? null : "the source is too slow: " + got + " bytes in "
                    + TimeUnit.NANOSECONDS.toSeconds(now - startNanos) + " s, below the minimum average of "
                    + minBytesPerSecond + " bytes/s after " + TimeUnit.NANOSECONDS.toSeconds(rateGraceNanos) + " s";
        }

        private synchronized void check() {
            if (expired != null || task == null) {
                return;
            }
            long now = System.nanoTime();
            String slow = tooSlow(now);
            if (idleNanos > 0 && now - lastProgressNanos > idleNanos) {
                expired = "no bytes arrived for " + Duration.ofNanos(idleNanos).toSeconds() + " s";
            } else if (slow != null) {
                expired = slow;
            } else if (totalNanos > 0 && now - startNanos > totalNanos) {
                expired = "the download took longer than " + Duration.ofNanos(totalNanos).toSeconds() + " s";
            } else {
                return;
            }
            try {
                in.close();
            } catch (IOException | RuntimeException e) {
                LOG.trace("closing a stalled download stream failed: {}", e.toString());
            }
            reader.interrupt();
        }

        boolean expired() {
            return expired != null;
        }

        IntakeException timeout() {
            return new IntakeException(RejectReason.TIMEOUT, expired);
        }

        synchronized void stop() {
            if (task != null) {
                task.cancel(false);
                task = null;
            }
        }
    }

    /** Lets the store read a caller's stream without closing it: the caller owns it. */
    private static final class NonClosingInputStream extends java.io.FilterInputStream {
        NonClosingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return in.read(b, off, len);
        }

        @Override
        public void close() {
            // the caller closes its own stream
        }
    }
}
