package io.printmaster.server.installers.impl;

import io.printmaster.security.api.SecretBox;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
 * Built installers, encrypted at rest ({@link ChunkedEncryption}), under {@code <root>/<slot>/<key>.pmi}: the slot
 * is one fleet, platform and format (a digest of them), the file name the digest of the whole {@link Key}. Whatever
 * else is in a slot belongs to an older key (a rotated token, a new version, another plugin) and is deleted when the
 * slot is next used. Concurrent requests for the same key build once: the first builds, the others wait for it.
 * Builds write to {@code <root>/tmp/} (owner-only) and are moved into place atomically; a failed build leaves
 * nothing. The cache is bounded: after each build the least recently used files go until the total fits.
 */
final class InstallerCache {
    private static final Logger LOG = LoggerFactory.getLogger(InstallerCache.class);
    static final String SUFFIX = ".pmi";

    private final Path root;
    private final Path tmp;
    private final SecretBox box;
    private final Clock clock;
    private volatile long maxBytes;
    private final ConcurrentHashMap<String, CompletableFuture<Entry>> building = new ConcurrentHashMap<>();

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
        String id = key.id();
        while (true) {
            Path file = root.resolve(key.slot()).resolve(id + SUFFIX);
            Entry cached = openCached(file, key);
            if (cached != null) {
                return cached;
            }
            CompletableFuture<Entry> mine = new CompletableFuture<>();
            CompletableFuture<Entry> running = building.putIfAbsent(id, mine);
            if (running != null) {
                try {
                    return running.get();
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof Exception ex ? ex : e;
                }
            }
            try {
                // another request may have finished building between the look-up and the claim
                Entry entry = openCached(file, key);
                if (entry == null) {
                    entry = build(key, file, builder);
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
        deleteStale(slot, file);
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
            try {
                Files.move(encrypted, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(encrypted, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(plain);
            Files.deleteIfExists(encrypted);
        }
        touch(file);
        ChunkedEncryption.Reader reader = ChunkedEncryption.open(file, box, key.purpose());
        evict(file);
        return new Entry(file, reader, true);
    }

    /** Deletes the files of the slot that belong to other keys: their fleet files or artifact are out of date. */
    private static void deleteStale(Path slot, Path current) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(slot, "*" + SUFFIX)) {
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
                    for (Path f : files.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).toList()) {
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

    /** Marks a file as just used; the modification time is the LRU clock (an encrypted file is never modified). */
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

    private static void ownerOnly(Path dir) {
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system (Windows): the data directory's own permissions apply
        }
    }
}
