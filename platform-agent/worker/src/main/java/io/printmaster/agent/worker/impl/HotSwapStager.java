package io.printmaster.agent.worker.impl;

import io.printmaster.api.support.RuntimeFingerprint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * Builds the version slot of a release that can be hot-swapped, without downloading the release: its runtime (every
 * file that is not a bundle) is byte for byte the running program's ({@code runtime_sha256} says so), so those files
 * are copied from the running program; each bundle whose SHA-256 is already on disk (the running set, or an earlier
 * slot) is copied; only the others are downloaded, one by one, each checked against the signed list. The result is
 * the same tree a full install of the release would unpack, so the slot serves a later restart as well.
 */
final class HotSwapStager {

    /** Downloads one bundle of the release to {@code target}, checked against the signed size and SHA-256. */
    interface BundleFetcher {
        void fetch(VerifiedManifest.Bundle bundle, Path target) throws UpdateFailure, IOException,
                ResumableDownload.CancelledException, InterruptedException;
    }

    /** What staging found: the bundles to download (before) or downloaded (after), and their bytes. */
    record Downloads(List<VerifiedManifest.Bundle> bundles, long bytes) {
        List<String> paths() {
            return bundles.stream().map(VerifiedManifest.Bundle::path).toList();
        }
    }

    private final Path program;
    private final List<Path> bundleFolders;
    private Map<String, Path> localJars;

    /**
     * @param program the running program folder ({@code pm.program.dir}): the runtime files are copied from it
     * @param bundleFolders folders whose jars may hold bundles of the release (the running release's slot first)
     */
    HotSwapStager(Path program, List<Path> bundleFolders) {
        this.program = program;
        this.bundleFolders = List.copyOf(new LinkedHashSet<>(bundleFolders));
    }

    /** Whether the release runs the same process as the running program: then it needs no restart. */
    boolean sameRuntime(VerifiedManifest m) throws IOException {
        return m.hotSwappableRuntime().filter(RuntimeFingerprint.ofProgramFolder(program)::equals).isPresent();
    }

    /**
     * Whether {@code slot} already holds release {@code m} whole: its {@code VERSION}, its runtime
     * ({@code runtime_sha256}) and every bundle of the signed list at its path with its SHA-256. Used for the one slot
     * that may not be rebuilt: the program folder this process started from, which a rollback returns to after a hot
     * swap took the process away from it. A manifest without a bundle list or runtime cannot tell, so: false.
     */
    static boolean holdsRelease(Path slot, VerifiedManifest m) {
        if (m.hotSwappableRuntime().isEmpty()) {
            return false;
        }
        try {
            if (!Files.isRegularFile(slot.resolve("VERSION"))
                    || !Files.readString(slot.resolve("VERSION"), StandardCharsets.UTF_8).strip().equals(m.version())
                    || !RuntimeFingerprint.ofProgramFolder(slot).equals(m.runtimeSha256())) {
                return false;
            }
            for (VerifiedManifest.Bundle b : m.bundles()) {
                Path jar = slot.resolve(b.path());
                if (!Files.isRegularFile(jar, LinkOption.NOFOLLOW_LINKS) || Files.size(jar) != b.sizeBytes()
                        || !b.sha256().equals(ManifestVerifier.sha256(jar))) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The bundles of {@code m} that are nowhere on disk: what a hot swap downloads. */
    Downloads missing(VerifiedManifest m) throws IOException {
        Map<String, Path> local = localJars();
        List<VerifiedManifest.Bundle> missing = new ArrayList<>();
        long bytes = 0;
        for (VerifiedManifest.Bundle b : m.bundles()) {
            if (!local.containsKey(b.sha256())) {
                missing.add(b);
                bytes += b.sizeBytes();
            }
        }
        return new Downloads(missing, bytes);
    }

    /**
     * Writes the release's tree into {@code staging} (which must not exist): the runtime copied, {@code VERSION},
     * an empty {@code etc/}, and every bundle of the list at its path.
     *
     * @return the bundles that were downloaded
     * @throws UpdateFailure {@code STAGING_FAILED} when the tree cannot be written; a download's own codes
     */
    Downloads stage(VerifiedManifest m, Path staging, BundleFetcher fetcher, BooleanSupplier cancelled)
            throws UpdateFailure, IOException, ResumableDownload.CancelledException, InterruptedException {
        Files.createDirectories(staging.resolve("bundle"));
        Files.createDirectories(staging.resolve("etc"));
        try (Stream<Path> all = Files.walk(program)) {
            for (Path p : all.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)).toList()) {
                String relative = program.relativize(p).toString().replace('\\', '/');
                if (RuntimeFingerprint.belongsToRuntime(relative)) {
                    Path to = staging.resolve(relative);
                    Files.createDirectories(to.getParent());
                    copyRuntimeFile(p, to, relative);
                }
            }
        }
        Files.writeString(staging.resolve("VERSION"), m.version() + "\n", StandardCharsets.UTF_8);
        if (!RuntimeFingerprint.ofProgramFolder(staging).equals(m.runtimeSha256())) {
            // the running program changed under us (or was never the release's): do not build a mixed tree
            throw new UpdateFailure("STAGING_FAILED", "the copied runtime of " + program + " does not match the "
                    + "runtime_sha256 of " + m.version());
        }
        Map<String, Path> local = localJars();
        List<VerifiedManifest.Bundle> downloaded = new ArrayList<>();
        long bytes = 0;
        for (VerifiedManifest.Bundle b : m.bundles()) {
            if (cancelled.getAsBoolean()) {
                throw new ResumableDownload.CancelledException();
            }
            Path target = staging.resolve(b.path());
            Path source = local.get(b.sha256());
            if (source != null) {
                linkOrCopy(source, target, b);
            } else {
                fetcher.fetch(b, target);
                downloaded.add(b);
                bytes += Files.size(target);
            }
        }
        return new Downloads(downloaded, bytes);
    }

    /**
     * The bundled Java runtime ({@code runtime/}, some 78 MiB) is hard-linked when the file system allows: nothing
     * ever writes a file of it in place. The rest (scripts, {@code lib/}, {@code conf/}, which an admin may edit in
     * place) is copied. The runtime fingerprint checked after the copy covers both.
     */
    private static void copyRuntimeFile(Path source, Path target, String relative) throws IOException {
        if (relative.startsWith("runtime/")) {
            try {
                Files.createLink(target, source);
                return;
            } catch (UnsupportedOperationException | IOException e) {
                // another file system, or links not allowed here: copy
            }
        }
        Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
    }

    /**
     * A hard link when the file system allows (the same bytes by construction, nothing to copy or hash: jars of a
     * slot are never written in place, only replaced by renames); otherwise a copy, checked against the signed hash.
     */
    private static void linkOrCopy(Path source, Path target, VerifiedManifest.Bundle b) throws IOException,
            UpdateFailure {
        try {
            Files.createLink(target, source);
            return;
        } catch (UnsupportedOperationException | IOException e) {
            // another file system, or links not allowed here: copy
        }
        Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
        if (!b.sha256().equals(ManifestVerifier.sha256(target))) {
            throw new UpdateFailure("STAGING_FAILED", "the copy of " + source + " into " + target + " does not hold the "
                    + "bytes of " + b.symbolicName());
        }
    }

    /**
     * SHA-256 → jar, over the folders that may hold bundles of the release; the first folder wins. Computed once per
     * stager (one run): the folders are the running release's, which nothing writes during a run.
     */
    private Map<String, Path> localJars() throws IOException {
        if (localJars != null) {
            return localJars;
        }
        Map<String, Path> bySha = new LinkedHashMap<>();
        for (Path folder : bundleFolders) {
            if (!Files.isDirectory(folder)) {
                continue;
            }
            try (Stream<Path> jars = Files.list(folder)) {
                for (Path jar : jars.filter(p -> p.getFileName().toString().endsWith(".jar")
                        && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList()) {
                    bySha.putIfAbsent(ManifestVerifier.sha256(jar), jar);
                }
            }
        }
        localJars = bySha;
        return bySha;
    }
}
