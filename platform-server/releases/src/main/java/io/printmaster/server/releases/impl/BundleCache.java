package io.printmaster.server.releases.impl;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The content-addressed cache of bundle jars taken out of cached agent archives:
 * {@code <pm.data.dir>/cache/bundles/<sha256>.jar}. A jar is extracted once, into a temporary file in the same
 * folder, checked against its SHA-256 and renamed into place atomically: a file under its name always holds exactly
 * those bytes, and concurrent first requests never see (or leave) a half-written one. Jars of agent archives no
 * longer recorded are removed by {@link BundleCacheJanitor}.
 */
@Component(service = BundleCache.class)
public class BundleCache {
    private static final Logger LOG = LoggerFactory.getLogger(BundleCache.class);
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    private static final String TEMP = ".tmp";

    private final Path root;
    /** One extraction per content at a time; the others wait for it and take its result. */
    private final ConcurrentHashMap<String, Object> extracting = new ConcurrentHashMap<>();

    @Activate
    public BundleCache(BundleContext context) throws IOException {
        this(ArtifactCache.cacheFolder(context, "bundles"));
    }

    /** A cache in {@code root} (tests); the component uses {@code <pm.cache.dir or pm.data.dir/cache>/bundles}. */
    public BundleCache(Path root) throws IOException {
        this.root = root;
        Files.createDirectories(root);
        try (Stream<Path> files = Files.list(root)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(TEMP)).toList()) {
                if (ArtifactCache.abandoned(f)) {
                    Files.deleteIfExists(f); // an extraction cut short by a crash (not another replica's, running)
                }
            }
        }
    }

    /**
     * The jar whose bytes hash to {@code sha256}, extracted from the entry {@code path} (relative to the top folder)
     * of {@code archive} the first time.
     *
     * @return empty when the archive holds no such entry or the entry's bytes hash to something else
     * @throws IOException reading the archive or writing the cache failed
     */
    public Optional<Path> bundle(String sha256, Path archive, String format, String path) throws IOException {
        if (sha256 == null || !SHA256_HEX.matcher(sha256).matches()) {
            throw new IllegalArgumentException("sha256 must be 64 lowercase hex digits: " + sha256);
        }
        Path target = root.resolve(sha256 + ".jar");
        if (Files.isRegularFile(target)) {
            return Optional.of(target);
        }
        Object lock = extracting.computeIfAbsent(sha256, k -> new Object());
        synchronized (lock) {
            try {
                if (Files.isRegularFile(target)) {
                    return Optional.of(target); // extracted by the request this one waited for
                }
                return extract(sha256, archive, format, path, target);
            } finally {
                extracting.remove(sha256, lock);
            }
        }
    }

    /** What a clean-up removed. */
    public record Removed(int files, long bytes) {
    }

    /**
     * Deletes the cached jars whose hash is not in {@code inUse} and that were last written before {@code before}
     * (a jar extracted after the caller read {@code inUse} may belong to an archive recorded since). A jar being
     * extracted right now is left alone.
     */
    public Removed removeAllBut(Set<String> inUse, Instant before) throws IOException {
        int files = 0;
        long bytes = 0;
        List<Path> jars;
        try (Stream<Path> listing = Files.list(root)) {
            jars = listing.filter(p -> p.getFileName().toString().endsWith(".jar")).toList();
        }
        for (Path jar : jars) {
            String name = jar.getFileName().toString();
            String sha256 = name.substring(0, name.length() - ".jar".length());
            if (!SHA256_HEX.matcher(sha256).matches() || inUse.contains(sha256)) {
                continue;
            }
            Object lock = extracting.computeIfAbsent(sha256, k -> new Object());
            synchronized (lock) {
                try {
                    if (!Files.isRegularFile(jar, LinkOption.NOFOLLOW_LINKS)
                            || !Files.getLastModifiedTime(jar).toInstant().isBefore(before)) {
                        continue;
                    }
                    long size = Files.size(jar);
                    if (Files.deleteIfExists(jar)) {
                        files++;
                        bytes += size;
                    }
                } catch (IOException e) {
                    // one jar that cannot go (permissions, a file system hiccup) does not keep the others
                    LOG.warn("bundle cache: cannot remove {}: {}", jar.getFileName(), e.toString());
                } finally {
                    extracting.remove(sha256, lock);
                }
            }
        }
        return new Removed(files, bytes);
    }

    private Optional<Path> extract(String sha256, Path archive, String format, String path, Path target) throws IOException {
        Path temp = root.resolve(sha256 + "." + UUID.randomUUID() + TEMP);
        try {
            MessageDigest digest = ArtifactCache.sha256();
            boolean found;
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                 OutputStream out = new DigestOutputStream(java.nio.channels.Channels.newOutputStream(channel), digest)) {
                found = AgentArchive.copyEntry(archive, format, path, out);
                out.flush();
                channel.force(true);
            } catch (AgentArchive.NotAnAgentArchive e) {
                throw new IOException("cannot read " + path + " from " + archive.getFileName() + ": " + e.getMessage(), e);
            }
            if (!found) {
                return Optional.empty();
            }
            String actual = HexFormat.of().formatHex(digest.digest());
            if (!actual.equals(sha256)) {
                LOG.warn("{} of {} hashes to {}, not {}: not served", path, archive.getFileName(), actual, sha256);
                return Optional.empty();
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            return Optional.of(target);
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
