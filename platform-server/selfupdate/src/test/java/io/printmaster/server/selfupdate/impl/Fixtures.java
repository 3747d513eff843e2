package io.printmaster.server.selfupdate.impl;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.api.signing.SigningException;
import io.printmaster.core.wire.ReleaseManifest;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.ReleaseCatalog;
import io.printmaster.server.releases.api.ReleaseNotes;
import io.printmaster.server.releases.api.SignedManifest;
import io.printmaster.server.signing.api.RootKey;
import io.printmaster.server.signing.api.SigningKey;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Real server archives, real Ed25519 signatures, and a release catalog that holds what a test puts in it. */
final class Fixtures {
    static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();

    private Fixtures() {
    }

    /** A server archive {@code printmaster-server-v<v>/…} as the packager makes it; {@code extra} adds entries. */
    static Path serverArchive(Path dir, String version, Map<String, String> extra) throws IOException {
        Map<String, String> entries = new LinkedHashMap<>();
        entries.put("bin/pm-server", "#!/bin/sh\necho server\n");
        entries.put("bin/pm-server.cmd", "@echo server\r\n");
        entries.put("lib/io.printmaster.launcher.jar", "launcher " + version);
        entries.put("bundle/io.printmaster.server.system-" + version + ".jar", "bundle " + version);
        entries.put("conf/logback.xml", "<configuration/>");
        entries.put("VERSION", version + "\n");
        entries.putAll(extra);
        return tarGz(dir.resolve("printmaster-server-v" + version + "-linux-amd64.tar.gz"),
                "printmaster-server-v" + version + "/", entries);
    }

    static Path tarGz(Path file, String top, Map<String, String> entries) throws IOException {
        Files.createDirectories(file.getParent());
        try (OutputStream out = Files.newOutputStream(file);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(out))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            TarArchiveEntry dir = new TarArchiveEntry(top);
            tar.putArchiveEntry(dir);
            tar.closeArchiveEntry();
            for (Map.Entry<String, String> e : entries.entrySet()) {
                byte[] bytes = e.getValue().getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry entry = new TarArchiveEntry(e.getKey().startsWith("/") || e.getKey().startsWith("..")
                        ? e.getKey() : top + e.getKey());
                entry.setSize(bytes.length);
                entry.setMode(e.getKey().startsWith("bin/") ? 0755 : 0644);
                tar.putArchiveEntry(entry);
                tar.write(bytes);
                tar.closeArchiveEntry();
            }
        }
        return file;
    }

    /** A signing key of "this server" and the trust built on it. */
    static final class Keys implements ServerTrust {
        final KeyPair pair;
        final String keyId;
        boolean revoked;
        boolean pending;
        RootKey root;
        Instant delegatedUntil;

        Keys(String keyId) throws GeneralSecurityException {
            this.pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            this.keyId = keyId;
        }

        String sign(byte[] message) throws GeneralSecurityException {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(pair.getPrivate());
            s.update(message);
            return Base64.getEncoder().encodeToString(s.sign());
        }

        @Override
        public Optional<SigningKey> key(String id) {
            if (!id.equals(keyId)) {
                return Optional.empty();
            }
            return Optional.of(new SigningKey(keyId, "Ed25519", pair.getPublic().getEncoded(), "PEM", null, true,
                    NOW.minus(Duration.ofDays(10)), null, pending, revoked ? NOW.minus(Duration.ofDays(1)) : null,
                    delegatedUntil));
        }

        @Override
        public Optional<RootKey> root() {
            return Optional.ofNullable(root);
        }

        @Override
        public boolean verify(String id, byte[] message, byte[] signature) throws SigningException {
            if (!id.equals(keyId)) {
                return false;
            }
            try {
                Signature s = Signature.getInstance("Ed25519");
                s.initVerify(pair.getPublic());
                s.update(message);
                return s.verify(signature);
            } catch (GeneralSecurityException e) {
                throw new SigningException("cannot verify: " + e.getMessage(), e);
            }
        }
    }

    static ReleaseManifest manifest(String keyId, String component, String version, String os, String arch,
                                    String sha256, long size, Instant expires) {
        return new ReleaseManifest(1, component, version, version.replaceAll("^(\\d+\\.\\d+).*", "$1") + ".x", os, arch,
                "stable", "tar.gz", sha256, size, null, NOW.minus(Duration.ofDays(1)).toString(),
                NOW.minus(Duration.ofDays(1)).toString(), expires.toString(), 7L, List.of(), keyId, null, null);
    }

    static byte[] bytes(ReleaseManifest m) throws IOException {
        return JSON.writeValueAsBytes(m);
    }

    /** A catalog holding artifacts, their files and manifests. */
    static final class Catalog implements ReleaseCatalog {
        private final AtomicLong ids = new AtomicLong();
        final List<Artifact> artifacts = new ArrayList<>();
        final Map<String, Path> files = new LinkedHashMap<>();
        final Map<Long, SignedManifest> manifests = new LinkedHashMap<>();
        final Map<String, ReleaseNotes> notes = new LinkedHashMap<>();

        Artifact add(String version, String os, String arch, String format, String channel, Path file, String sha256,
                     long size) {
            Artifact a = new Artifact(ids.incrementAndGet(), "server", version, os, arch, format, channel, sha256, size,
                    "printmaster-server-v" + version + "-" + os + "-" + arch + "." + format, "dir", "directory", null,
                    null, NOW, NOW);
            artifacts.add(a);
            if (file != null) {
                files.put(sha256, file);
            }
            return a;
        }

        /** An archive of {@code version} for linux-amd64, cached and signed with {@code keys}. */
        Artifact publish(Path dir, String version, Keys keys) throws Exception {
            Path file = serverArchive(dir, version, Map.of());
            String sha = ReleaseVerification.sha256(file);
            long size = Files.size(file);
            Artifact a = add(version, "linux", "amd64", "tar.gz", "stable", file, sha, size);
            byte[] m = bytes(Fixtures.manifest(keys.keyId, "server", version, "linux", "amd64", sha, size, NOW.plus(Duration.ofDays(30))));
            manifests.put(a.id(), new SignedManifest(a.id(), keys.keyId, m, keys.sign(m), NOW, NOW.plus(Duration.ofDays(30))));
            return a;
        }

        @Override
        public List<Artifact> artifacts(ArtifactFilter f) {
            List<Artifact> out = new ArrayList<>();
            for (Artifact a : artifacts) {
                if (match(f.component(), a.component()) && match(f.version(), a.version())
                        && match(f.platform(), a.platform()) && match(f.arch(), a.arch())
                        && match(f.format(), a.format()) && match(f.channel(), a.channel())) {
                    out.add(a);
                }
            }
            out.sort((x, y) -> io.printmaster.api.version.SemanticVersion.parse(y.version())
                    .compareTo(io.printmaster.api.version.SemanticVersion.parse(x.version())));
            return out;
        }

        private static boolean match(String filter, String value) {
            return filter == null || filter.isEmpty() || filter.equals(value);
        }

        @Override
        public Optional<Path> file(String sha256) {
            return Optional.ofNullable(files.get(sha256));
        }

        @Override
        public Optional<SignedManifest> manifest(long artifactId) {
            return Optional.ofNullable(manifests.get(artifactId));
        }

        @Override
        public Optional<Path> bundleJar(Artifact artifact, String path, String sha256) {
            return Optional.empty();
        }

        @Override
        public Optional<ReleaseNotes> releaseNotes(String component, String version) throws SQLException {
            return Optional.ofNullable(notes.get(version));
        }
    }
}
