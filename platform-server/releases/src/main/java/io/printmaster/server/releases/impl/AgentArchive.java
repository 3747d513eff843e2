package io.printmaster.server.releases.impl;

import io.printmaster.api.installer.InstallerFormatException;
import io.printmaster.api.support.ArchiveIndex;
import io.printmaster.api.support.RuntimeFingerprint;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.ArchiveEntry;
import org.apache.commons.compress.archivers.ArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveInputStream;

/**
 * Reads a program archive of the agent or the server ({@code tar.gz} or {@code zip} with one top folder such as
 * {@code printmaster-agent-<v>/} or {@code printmaster-server-<v>/}) for the hot-swap fields of its manifest: the bundles of {@code bundle/*.jar} and the runtime hash of everything else (see
 * docs/manifests.md). Streams the archive once; nothing is unpacked to disk.
 */
final class AgentArchive {
    /** A direct child of {@code bundle/} ending in {@code .jar}. */
    private static final Pattern BUNDLE_JAR = Pattern.compile("bundle/[^/]+\\.jar");
    private static final int BUFFER_BYTES = 64 * 1024;

    private AgentArchive() {
    }

    /**
     * One bundle of the archive.
     *
     * @param path         relative to the top folder, e.g. {@code bundle/io.printmaster.agent.worker-0.1.0.jar}
     * @param symbolicName {@code Bundle-SymbolicName} without its directives
     * @param version      {@code Bundle-Version} as written, {@code 0.0.0} when absent
     * @param sha256       of the jar's bytes, lowercase hex
     * @param sizeBytes    the jar's size
     */
    record Bundle(String path, String symbolicName, String version, String sha256, long sizeBytes) {
        /** The manifest's object for this bundle (wire names). */
        io.printmaster.core.wire.ManifestBundle toManifestBundle() {
            return new io.printmaster.core.wire.ManifestBundle(path, sha256, sizeBytes, symbolicName, version);
        }
    }

    /** The hot-swap facts of an archive: its bundles sorted by path, and the runtime hash. */
    record Contents(List<Bundle> bundles, String runtimeSha256) {
        Contents {
            bundles = List.copyOf(bundles);
        }
    }

    /** The archive cannot be read as an agent program (names the reason). */
    static final class NotAnAgentArchive extends Exception {
        private static final long serialVersionUID = 1L;

        NotAnAgentArchive(String message) {
            super(message);
        }
    }

    /** True for the formats this class reads. */
    static boolean readable(String format) {
        return "tar.gz".equals(format) || "zip".equals(format);
    }

    /**
     * The bundles and runtime hash of an archive.
     *
     * @throws NotAnAgentArchive an unsafe or linked entry, a {@code bundle/*.jar} that is no OSGi bundle, an empty
     *     archive, an unknown format
     * @throws IOException reading failed (corrupt compression included)
     */
    static Contents read(Path archive, String format) throws IOException, NotAnAgentArchive {
        List<Bundle> bundles = new ArrayList<>();
        // path → sha256 of every regular file that belongs to the runtime; sorted by path (UTF-16 order = byte order
        // for the ASCII names of a release)
        Map<String, String> runtime = new TreeMap<>();
        ArchiveIndex index = new ArchiveIndex();
        byte[] buffer = new byte[BUFFER_BYTES];
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(archive), BUFFER_BYTES);
             ArchiveInputStream<? extends ArchiveEntry> in = open(raw, format)) {
            ArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                String relative = relative(index, e);
                if (relative.isEmpty() || e.isDirectory()) {
                    continue;
                }
                if (BUNDLE_JAR.matcher(relative).matches()) {
                    bundles.add(bundle(relative, in));
                } else if (RuntimeFingerprint.belongsToRuntime(relative)) {
                    MessageDigest digest = ArtifactCache.sha256();
                    int n;
                    while ((n = in.read(buffer)) >= 0) {
                        digest.update(buffer, 0, n);
                    }
                    runtime.put(relative, HexFormat.of().formatHex(digest.digest()));
                }
            }
        }
        try {
            index.topFolder();
        } catch (InstallerFormatException ex) {
            throw new NotAnAgentArchive(ex.getMessage());
        }
        bundles.sort(Comparator.comparing(Bundle::path));
        return new Contents(bundles, RuntimeFingerprint.of(runtime));
    }


    /**
     * Copies the bytes of the entry at {@code relativePath} (relative to the top folder) to {@code out}.
     *
     * @return false when the archive holds no such file
     */
    static boolean copyEntry(Path archive, String format, String relativePath, OutputStream out)
            throws IOException, NotAnAgentArchive {
        ArchiveIndex index = new ArchiveIndex();
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(archive), BUFFER_BYTES);
             ArchiveInputStream<? extends ArchiveEntry> in = open(raw, format)) {
            ArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                String relative = relative(index, e);
                if (!e.isDirectory() && relative.equals(relativePath)) {
                    in.transferTo(out);
                    return true;
                }
            }
        }
        return false;
    }

    private static String relative(ArchiveIndex index, ArchiveEntry e) throws NotAnAgentArchive {
        if (isLink(e)) {
            throw new NotAnAgentArchive("the archive holds a link (" + e.getName() + "); program releases hold none");
        }
        try {
            return index.add(e.getName(), e.isDirectory() ? ArchiveIndex.Kind.DIRECTORY : ArchiveIndex.Kind.FILE);
        } catch (InstallerFormatException ex) {
            throw new NotAnAgentArchive("the archive has an unsafe entry: " + ex.getMessage());
        }
    }

    /** Hashes one jar entry while reading its OSGi headers from the same bytes. */
    private static Bundle bundle(String path, InputStream entry) throws IOException, NotAnAgentArchive {
        MessageDigest digest = ArtifactCache.sha256();
        CountingInputStream counted = new CountingInputStream(new DigestInputStream(new KeepOpen(entry), digest));
        Manifest manifest;
        try (JarInputStream jar = new JarInputStream(counted, false)) {
            manifest = jar.getManifest();
            if (manifest == null) {
                // JarInputStream finds the manifest only among the first entries; look through the rest
                JarEntry je;
                while (manifest == null && (je = jar.getNextJarEntry()) != null) {
                    if (JarFile.MANIFEST_NAME.equalsIgnoreCase(je.getName())) {
                        manifest = new Manifest(jar);
                    }
                }
            }
            // the digest must see every byte of the entry, also those after the jar's central directory
            counted.transferTo(OutputStream.nullOutputStream());
        }
        Attributes main = manifest == null ? null : manifest.getMainAttributes();
        String bsn = main == null ? null : main.getValue("Bundle-SymbolicName");
        if (bsn == null || bsn.isBlank()) {
            throw new NotAnAgentArchive(path + " has no Bundle-SymbolicName: not an OSGi bundle");
        }
        int semicolon = bsn.indexOf(';');
        String symbolicName = (semicolon < 0 ? bsn : bsn.substring(0, semicolon)).strip();
        String version = main.getValue("Bundle-Version");
        version = version == null || version.isBlank() ? "0.0.0" : version.strip();
        return new Bundle(path, symbolicName, version, HexFormat.of().formatHex(digest.digest()), counted.count);
    }

    private static ArchiveInputStream<? extends ArchiveEntry> open(InputStream raw, String format) throws IOException,
            NotAnAgentArchive {
        return switch (format) {
            // the official tar.gz has two gzip members: GZIPInputStream reads them one after the other
            case "tar.gz" -> new TarArchiveInputStream(new GZIPInputStream(raw, BUFFER_BYTES), StandardCharsets.UTF_8.name());
            case "zip" -> new ZipArchiveInputStream(raw, StandardCharsets.UTF_8.name(), true, true);
            default -> throw new NotAnAgentArchive("format '" + format + "' is not an archive (tar.gz or zip)");
        };
    }

    private static boolean isLink(ArchiveEntry e) {
        if (e instanceof TarArchiveEntry t) {
            return t.isSymbolicLink() || t.isLink();
        }
        return e instanceof ZipArchiveEntry z && z.isUnixSymlink();
    }

    /** Counts the bytes read through it. */
    private static final class CountingInputStream extends FilterInputStream {
        long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            // skipping would bypass the digest: read instead
            byte[] sink = new byte[(int) Math.min(n, 8192)];
            int read = read(sink, 0, sink.length);
            return Math.max(read, 0);
        }
    }

    /** The archive stream stays open for the next entry when the jar reader closes. */
    private static final class KeepOpen extends FilterInputStream {
        KeepOpen(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return in.read(b, off, len);
        }

        @Override
        public void close() {
            // the caller owns the archive stream
        }
    }
}
