package io.printmaster.server.installers.impl;

import io.printmaster.security.api.SecretBox;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Built installers, in two kinds of files under {@code <root>/<slot>/}: the slot is one fleet, platform and format
 * (a digest of them), the file name the digest of the whole {@link Key}.
 * <ul>
 *   <li>{@code <key>.pmi}: a whole installer (it carries the join token), encrypted at rest
 *   ({@link ChunkedEncryption}); for formats that cannot append (MSI).</li>
 *   <li>{@code <key>.pmb}: the secret-free base of an {@link io.printmaster.api.installer.AppendableInstallerFormat},
 *   in plain text, followed by the format's base state and a trailer ({@link Base}); the key's configuration hash
 *   covers only the public fleet files, so every join token of the fleet shares it.</li>
 * </ul>
 * Whatever else is in a slot belongs to an older key (a rotated token, a new version, another plugin, the other
 * kind) and is deleted when a build for the slot succeeds. Concurrent requests for the same key build once: the
 * first builds, the others wait for it. Builds write to {@code <root>/tmp/} (owner-only) and are moved into place
 * atomically (one file per entry, so a crash leaves either the whole entry or none); a failed build leaves nothing.
 * The cache is bounded: after each build the least recently used files go until the total fits.
 */
final class InstallerCache {
    private static final Logger LOG = LoggerFactory.getLogger(InstallerCache.class);
    static final String SUFFIX = ".pmi";
    static final String BASE_SUFFIX = ".pmb";
    /** The most state a format may keep beside its base (the limit of {@code AppendableInstallerFormat}). */
    static final int MAX_STATE_BYTES = 16 * 1024 * 1024;
    private static final byte[] BASE_MAGIC = "PMBASE01".getBytes(StandardCharsets.US_ASCII);
    /** sha256 of the base (32) | u64 base length | u32 state length | magic (8). */
    private static final int TRAILER_BYTES = 32 + 8 + 4 + 8;
    /** Reads of the base: large, so that serving costs few system calls (measured: docs/architecture.md, Installers). */
    static final int COPY_BUFFER_BYTES = 1 << 20;

    private final Path root;
    private final Path tmp;
    private final SecretBox box;
    private final Clock clock;
    private volatile long maxBytes;
    private final ConcurrentHashMap<String, CompletableFuture<Object>> building = new ConcurrentHashMap<>();

    /**
     * What identifies one installer; two requests with equal keys get the same bytes (but for {@code generated_at}).
     *
     * @param pluginId      the format plugin's bundle symbolic name and version
     * @param configHash    SHA-256 over the fleet files, see {@link FleetFilesComposer#configurationHash}
     */
    record Key(String fleet, String version, String platform, String format, String artifactSha256, String pluginId,
               String configHash) {
        Key {
            Objects.requireNonNull(fleet, "fleet");
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(platform, "platform");
            Objects.requireNonNull(format, "format");
            Objects.requireNonNull(artifactSha256, "artifactSha256");
            Objects.requireNonNull(pluginId, "pluginId");
            Objects.requireNonNull(configHash, "configHash");
        }

        String slot() {
            return hex(String.join("\n", "slot-v1", fleet, platform, format)).substring(0, 24);
        }

        String id() {
            return hex(String.join("\n", "key-v1", fleet, version, platform, format, artifactSha256, pluginId, configHash));
        }

        /** Associated data of the sealed data key: a file only opens under the key it was built for. */
        byte[] purpose() {
            return ("printmaster-installer:" + id()).getBytes(StandardCharsets.US_ASCII);
        }

        private static String hex(String text) {
            return HexFormat.of().formatHex(ChunkedEncryption.digest(text.getBytes(StandardCharsets.UTF_8)));
        }
    }

    /** One cached installer, ready to serve. */
    record Entry(Path file, ChunkedEncryption.Reader reader, boolean built) {
        long length() {
            return reader.length();
        }

        String sha256() {
            return reader.sha256();
        }
    }

    /** Writes the plaintext installer to {@code target} (which does not exist yet). */
    @FunctionalInterface
    interface Builder {
        void build(Path target) throws Exception;
    }

    /**
     * Writes the base of an appendable format to {@code target} (which does not exist yet) and returns its state.
     */
    @FunctionalInterface
    interface BaseBuilder {
        byte[] build(Path target) throws Exception;
    }

    /**
     * One cached base, ready to serve: the file holds {@code length} bytes of base, then the {@code state}, then a
     * trailer; only the first {@code length} bytes are ever served.
     *
     * @param sha256 the base's SHA-256 (lowercase hex), computed when it was built
     */
    record Base(Path file, long length, String sha256, byte[] state, boolean built) {
        /**
         * Writes {@code count} bytes of the base from {@code offset} to {@code out}, through
         * {@link io.printmaster.http.api.Downloads#copy} (a direct buffer straight to the servlet stream).
         */
        void copy(long offset, long count, OutputStream out) throws IOException {
            if (offset < 0 || count < 0 || offset + count > length) {
                throw new IOException("range " + offset + "+" + count + " is outside the " + length + " bytes of the base");
            }
            if (count == 0) {
                return;
            }
            try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
                // a file shorter than it should be fails here instead of serving a short body
                io.printmaster.http.api.Downloads.copy(in, offset, count, out);
            }
        }
    }

    InstallerCache(Path root, SecretBox box, long maxBytes, Clock clock) throws IOException {
        this.root = root;
        this.tmp = root.resolve("tmp");
        this.box = box;
        this.clock = clock;
        this.maxBytes = maxBytes;
        Files.createDirectories(root);
        Files.createDirectories(tmp);
        ownerOnly(root);
        ownerOnly(tmp);
        clearTemporaryFiles();
    }

    void setMaxBytes(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /**
     * The installer for {@code key}, built with {@code builder} when it is not cached.
     *
     * @throws Exception whatever the builder threw (then nothing is cached), or an I/O failure
     */
    Entry get(Key key, Builder builder) throws Exception {
        Path file = root.resolve(key.slot()).resolve(key.id() + SUFFIX);
        return once(file, () -> openCached(file, key), () -> build(key, file, builder));
    }

    /**
     * The base for {@code key} (whose configuration hash covers the public fleet files only), built with
     * {@code builder} when it is not cached.
     *
     * @throws Exception whatever the builder threw (then nothing is cached), or an I/O failure
     */
    Base getBase(Key key, BaseBuilder builder) throws Exception {
        Path file = root.resolve(key.slot()).resolve(key.id() + BASE_SUFFIX);
        return once(file, () -> openBase(file), () -> buildBase(key, file, builder));
    }

    @FunctionalInterface
    private interface Step<T> {
        T run() throws Exception;
    }

    /** Concurrent requests for one file build it once: the first builds, the others wait for its result. */
    @SuppressWarnings("unchecked")
    private <T> T once(Path file, Step<T> lookUp, Step<T> build) throws Exception {
        String id = file.getFileName().toString();
        while (true) {
            T cached = lookUp.run();
            if (cached != null) {
                return cached;
            }
            CompletableFuture<Object> mine = new CompletableFuture<>();
            CompletableFuture<Object> running = building.putIfAbsent(id, mine);
            if (running != null) {
                try {
                    return (T) running.get();
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof Exception ex ? ex : e;
                }
            }
            try {
                // another request may have finished building between the look-up and the claim
                T entry = lookUp.run();
                if (entry == null) {
                    entry = build.run();
                }
                mine.complete(entry);
                return entry;
            } catch (Throwable t) {
                mine.completeExceptionally(t);
                throw t;
            } finally {
                building.remove(id, mine);
            }
        }
    }

    private Entry openCached(Path file, Key key) throws IOException {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            ChunkedEncryption.Reader reader = ChunkedEncryption.open(file, box, key.purpose());
            touch(file);
            return new Entry(file, reader, false);
        } catch (NoSuchFileException e) {
            return null; // evicted meanwhile
        } catch (GeneralSecurityException e) {
            LOG.warn("cached installer {} cannot be opened ({}); it is built again", file.getFileName(), e.getMessage());
            Files.deleteIfExists(file);
            return null;
        }
    }

    private Entry build(Key key, Path file, Builder builder) throws Exception {
        Path slot = file.getParent();
        Files.createDirectories(slot);
        Path plain = tmp.resolve(key.id() + ".plain");
        Path encrypted = tmp.resolve(key.id() + ".enc");
        try {
            Files.deleteIfExists(plain);
            builder.build(plain);
            if (!Files.isRegularFile(plain)) {
                throw new IOException("the installer format wrote no file");
            }
            ChunkedEncryption.encrypt(plain, encrypted, box, key.purpose(), ChunkedEncryption.CHUNK_BYTES);
            // the plaintext holds the join token: it goes as soon as the encrypted copy is complete
            Files.deleteIfExists(plain);
            moveIntoPlace(encrypted, file);
        } finally {
            Files.deleteIfExists(plain);
            Files.deleteIfExists(encrypted);
        }
        touch(file);
        ChunkedEncryption.Reader reader = ChunkedEncryption.open(file, box, key.purpose());
        deleteStale(slot, file);
        evict(file);
        return new Entry(file, reader, true);
    }

    private Base openBase(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = in.size();
            ByteBuffer trailer = ByteBuffer.allocate(TRAILER_BYTES);
            if (size < TRAILER_BYTES || !readFully(in, trailer, size - TRAILER_BYTES)) {
                return damaged(file, "shorter than its trailer");
            }
            trailer.flip();
            byte[] sha256 = new byte[32];
            trailer.get(sha256);
            long length = trailer.getLong();
            int stateLength = trailer.getInt();
            byte[] magic = new byte[BASE_MAGIC.length];
            trailer.get(magic);
            if (!java.util.Arrays.equals(magic, BASE_MAGIC) || length < 0 || stateLength < 0
                    || stateLength > MAX_STATE_BYTES || length + stateLength + TRAILER_BYTES != size) {
                return damaged(file, "its trailer does not match its size");
            }
            ByteBuffer state = ByteBuffer.allocate(stateLength);
            if (!readFully(in, state, length)) {
                return damaged(file, "its state is cut short");
            }
            touch(file);
            return new Base(file, length, HexFormat.of().formatHex(sha256), state.array(), false);
        } catch (NoSuchFileException e) {
            return null; // evicted meanwhile
        }
    }

    private Base damaged(Path file, String why) throws IOException {
        LOG.warn("cached installer base {} is damaged ({}); it is built again", file.getFileName(), why);
        Files.deleteIfExists(file);
        return null;
    }

    private static boolean readFully(FileChannel in, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            if (in.read(buffer, position + buffer.position()) < 0) {
                return false;
            }
        }
        return true;
    }

    private Base buildBase(Key key, Path file, BaseBuilder builder) throws Exception {
        Path slot = file.getParent();
        Files.createDirectories(slot);
        Path building = tmp.resolve(key.id() + ".base");
        try {
            Files.deleteIfExists(building);
            byte[] state = builder.build(building);
            if (!Files.isRegularFile(building)) {
                throw new IOException("the installer format wrote no base");
            }
            if (state == null) {
                throw new IOException("the installer format returned no base state");
            }
            if (state.length > MAX_STATE_BYTES) {
                throw new IOException("the installer format's base state has " + state.length + " bytes, more than "
                        + MAX_STATE_BYTES);
            }
            long length = Files.size(building);
            byte[] sha256 = HexFormat.of().parseHex(ChunkedEncryption.sha256Hex(building));
            try (FileChannel out = FileChannel.open(building, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                ByteBuffer tail = ByteBuffer.allocate(state.length + TRAILER_BYTES).put(state).put(sha256)
                        .putLong(length).putInt(state.length).put(BASE_MAGIC).flip();
                while (tail.hasRemaining()) {
                    out.write(tail);
                }
                out.force(true);
            }
            ownerOnlyFile(building);
            moveIntoPlace(building, file);
            touch(file);
            deleteStale(slot, file);
            evict(file);
            return new Base(file, length, HexFormat.of().formatHex(sha256), state, true);
        } finally {
            Files.deleteIfExists(building);
        }
    }

    private static void moveIntoPlace(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Deletes the files of the slot that belong to other keys: their fleet files or artifact are out of date. */
    private static void deleteStale(Path slot, Path current) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(slot, "*{" + SUFFIX + "," + BASE_SUFFIX + "}")) {
            for (Path f : files) {
                if (!f.equals(current)) {
                    LOG.info("deleting the out-of-date cached installer {}", slot.getFileName() + "/" + f.getFileName());
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    /** Deletes the least recently used installers, never {@code keep}, until the total is within the limit. */
    void evict(Path keep) throws IOException {
        List<Cached> all = list();
        long total = all.stream().mapToLong(Cached::size).sum();
        if (total <= maxBytes) {
            return;
        }
        all.sort(Comparator.comparing(Cached::lastUsed));
        for (Cached c : all) {
            if (total <= maxBytes) {
                break;
            }
            if (c.file().equals(keep)) {
                continue;
            }
            Files.deleteIfExists(c.file());
            total -= c.size();
            LOG.info("evicted the cached installer {} ({} bytes, least recently used)", c.file().getFileName(), c.size());
        }
    }

    record Cached(Path file, long size, FileTime lastUsed) {
    }

    /** Every cached installer. */
    List<Cached> list() throws IOException {
        List<Cached> out = new ArrayList<>();
        try (Stream<Path> slots = Files.list(root)) {
            for (Path slot : slots.filter(p -> Files.isDirectory(p) && !p.equals(tmp)).toList()) {
                try (Stream<Path> files = Files.list(slot)) {
                    for (Path f : files.filter(p -> p.getFileName().toString().endsWith(SUFFIX)
                            || p.getFileName().toString().endsWith(BASE_SUFFIX)).toList()) {
                        try {
                            out.add(new Cached(f, Files.size(f), Files.getLastModifiedTime(f)));
                        } catch (NoSuchFileException e) {
                            // deleted meanwhile
                        }
                    }
                }
            }
        }
        return out;
    }

    /** Marks a file as just used; the modification time is the LRU clock (a cached file is never modified). */
    private void touch(Path file) {
        try {
            Files.setLastModifiedTime(file, FileTime.from(clock.instant()));
        } catch (IOException e) {
            LOG.debug("cannot mark {} as used: {}", file, e.toString());
        }
    }

    private void clearTemporaryFiles() throws IOException {
        try (Stream<Path> files = Files.list(tmp)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static void ownerOnlyFile(Path file) {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system (Windows): the cache folder's own permissions apply
        }
    }

    private static void ownerOnly(Path dir) {
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system (Windows): the data directory's own permissions apply
        }
    }
}
