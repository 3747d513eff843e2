package io.printmaster.agent.worker.impl;

import io.printmaster.api.support.ArchiveLimits;
import io.printmaster.core.archive.ReleaseArchiveUnpacker;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;
import java.util.stream.Stream;

/**
 * Unpacks a verified agent archive ({@code tar.gz} or {@code zip}, one top folder {@code printmaster-agent-<v>/})
 * into a staging folder, without the top folder, and checks that the result is a complete program tree of the
 * expected version. The archive's signature and hash were checked before, so this is not the security boundary;
 * it still refuses entries that would leave the folder, links, and more bytes than the limit, because a bug on the
 * server side must not be able to write outside {@code versions/}.
 */
final class ArchiveStager {
    /** Staged trees larger than this are refused (an agent is ~20 MB). */
    static final long MAX_UNPACKED_BYTES = 1L << 30;
    /**
     * The zip-bomb guard the installer formats apply too: past 1 MiB inflated, the tree may be at most 100 times the
     * archive bytes read so far, so a bomb is refused after a few megabytes instead of after writing a gigabyte.
     */
    static final ArchiveLimits LIMITS = new ArchiveLimits(MAX_UNPACKED_BYTES, ArchiveLimits.DEFAULT_MAX_RATIO);
    private static final ReleaseArchiveUnpacker UNPACKER = new ReleaseArchiveUnpacker(LIMITS);

    /**
     * @param archive the verified archive
     * @param format {@code tar.gz} or {@code zip}
     * @param target the staging folder; must not exist
     * @param version the version the tree must declare in its {@code VERSION} file
     * @param compressedProgress told how many bytes of the archive were read so far
     * @param cancelled polled between entries
     * @throws UpdateFailure {@code STAGING_FAILED} naming what is wrong
     * @throws ResumableDownload.CancelledException when {@code cancelled} became true
     */
    void stage(Path archive, String format, Path target, String version, LongConsumer compressedProgress,
               BooleanSupplier cancelled) throws UpdateFailure, ResumableDownload.CancelledException {
        try {
            UNPACKER.unpack(archive, format, target, compressedProgress, cancelled);
            checkTree(target, version);
        } catch (CancellationException e) {
            throw new ResumableDownload.CancelledException();
        } catch (ReleaseArchiveUnpacker.RefusedArchiveException e) {
            throw failed(e.getMessage());
        } catch (IOException e) {
            throw failed("cannot unpack the archive: " + e);
        }
    }

    /** The staged tree is a program of {@code version}: launcher, bundles and the trampoline are there. */
    static void checkTree(Path tree, String version) throws UpdateFailure, IOException {
        for (String required : new String[] {"bin/pm-agent", "bin/pm-agent.cmd", "lib", "bundle", "VERSION"}) {
            if (!Files.exists(tree.resolve(required))) {
                throw failed("the release has no " + required + ": not a complete agent");
            }
        }
        String declared = Files.readString(tree.resolve("VERSION"), StandardCharsets.UTF_8).strip();
        if (!declared.equals(version)) {
            throw failed("the release's VERSION file says " + declared + ", its manifest " + version);
        }
        try (Stream<Path> jars = Files.list(tree.resolve("bundle"))) {
            if (jars.noneMatch(p -> p.getFileName().toString().endsWith(".jar"))) {
                throw failed("the release has no bundles");
            }
        }
    }

    /** Deletes a folder tree; absent is fine. */
    static void deleteTree(Path dir) throws IOException {
        ReleaseArchiveUnpacker.deleteTree(dir);
    }

    private static UpdateFailure failed(String message) {
        return new UpdateFailure("STAGING_FAILED", message);
    }
}
