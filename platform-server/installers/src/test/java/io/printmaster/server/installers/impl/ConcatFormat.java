package io.printmaster.server.installers.impl;

import io.printmaster.api.installer.AppendableInstallerFormat;
import io.printmaster.api.installer.Availability;
import io.printmaster.api.installer.FleetFile;
import io.printmaster.api.installer.FleetFiles;
import io.printmaster.api.installer.InstallerEntry;
import io.printmaster.api.installer.InstallerFormat;
import io.printmaster.api.installer.InstallerFormatException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A trivial appendable format for tests: an installer is the official bytes followed by each file as
 * {@code FILE <path> <mode> <length>\n<bytes>}; the base holds the public files, the tail the secret ones. Its state
 * is {@code concat:<number of base files>}, checked by {@link #tail}.
 */
class ConcatFormat implements AppendableInstallerFormat {
    final AtomicInteger bases = new AtomicInteger();
    final AtomicInteger tails = new AtomicInteger();
    final AtomicInteger wholes = new AtomicInteger();
    /** Set: {@link #prepareBase} refuses, as a format does for an artifact it cannot split. */
    volatile boolean refuseSplit;
    /** Set: {@link #tail} refuses. */
    volatile boolean refuseTail;
    /** Set: every method refuses, as for a damaged artifact. */
    volatile boolean refuseAll;
    /** When set, {@link #prepareBase} waits for it before writing. */
    volatile CountDownLatch holdBases;
    /** Every file given to {@link #prepareBase}, to check that no secret goes into a base. */
    final List<FleetFile> baseFiles = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public String type() {
        return "tar.gz";
    }

    @Override
    public Availability availability() {
        return Availability.AVAILABLE;
    }

    @Override
    public void repackage(Path officialArtifact, FleetFiles fleetFiles, Path output) throws IOException, InstallerFormatException {
        if (refuseAll) {
            throw new InstallerFormatException("entry '../evil' escapes the archive");
        }
        wholes.incrementAndGet();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(Files.readAllBytes(officialArtifact));
        out.write(serialize(fleetFiles));
        Files.write(output, out.toByteArray());
    }

    @Override
    public byte[] prepareBase(Path officialArtifact, FleetFiles publicFiles, Path baseOutput) throws IOException, InstallerFormatException {
        if (refuseAll) {
            throw new InstallerFormatException("entry '../evil' escapes the archive");
        }
        if (refuseSplit) {
            throw new InstallerFormatException("this artifact cannot be split: its end-of-archive is not a member of its own");
        }
        bases.incrementAndGet();
        baseFiles.addAll(publicFiles.files());
        CountDownLatch hold = holdBases;
        if (hold != null) {
            try {
                if (!hold.await(30, TimeUnit.SECONDS)) {
                    throw new IOException("held too long");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(Files.readAllBytes(officialArtifact));
        out.write(serialize(publicFiles));
        Files.write(baseOutput, out.toByteArray());
        return ("concat:" + publicFiles.size()).getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public byte[] tail(long baseLength, byte[] baseState, FleetFiles tailFiles) throws IOException, InstallerFormatException {
        if (refuseTail || !new String(baseState, StandardCharsets.US_ASCII).startsWith("concat:")) {
            throw new InstallerFormatException("the base state is not a concat state");
        }
        tails.incrementAndGet();
        return serialize(tailFiles);
    }

    static byte[] serialize(FleetFiles files) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (FleetFile f : files.files()) {
            out.writeBytes(("FILE " + f.path() + " " + Integer.toOctalString(f.mode()) + " " + f.size() + "\n")
                    .getBytes(StandardCharsets.UTF_8));
            out.writeBytes(f.content());
        }
        return out.toByteArray();
    }

    @Override
    public List<InstallerEntry> entries(Path installer) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Optional<byte[]> readBack(Path installer, String path) {
        throw new UnsupportedOperationException();
    }

    /** The same format, not appendable: it only repackages (as the MSI format does). */
    static InstallerFormat wholeOnly(ConcatFormat format) {
        return new InstallerFormat() {
            @Override
            public String type() {
                return "msi";
            }

            @Override
            public Availability availability() {
                return Availability.AVAILABLE;
            }

            @Override
            public void repackage(Path officialArtifact, FleetFiles fleetFiles, Path output) throws IOException, InstallerFormatException {
                format.repackage(officialArtifact, fleetFiles, output);
            }

            @Override
            public List<InstallerEntry> entries(Path installer) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Optional<byte[]> readBack(Path installer, String path) {
                throw new UnsupportedOperationException();
            }
        };
    }
}
