package io.printmaster.benchmarks.installers;

import io.printmaster.api.installer.FleetFile;
import io.printmaster.api.installer.FleetFiles;
import io.printmaster.api.installer.InstallerFormat;
import io.printmaster.installer.tar.impl.TarGzInstallerFormat;
import io.printmaster.installer.zip.impl.ZipInstallerFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.annotation.Annotation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;

/**
 * Repackaging an official-shaped artifact (one top folder, {@code bin/pm-agent}, 100 jars of incompressible bytes, as
 * real jars are compressed already) with a fleet's files, as a ratio to {@link Files#copy} of the same file on the same
 * disk. tar.gz: the official two-member layout, measured "cold" (a new format instance: the full check inflates the
 * whole archive while copying it) and "warm" (the verdict on the artifact remembered, as when the same artifact is repackaged for
 * the next fleet). zip: unchanged entries copied raw. Three untimed runs of each first; medians of several runs.
 *
 * <p>Usage: {@code java -jar installers-benchmark.jar [work-dir] [size-MiB] [runs]} (defaults: the system temporary
 * folder, 200, 7). The work folder should be on the disk the server's data directory uses.
 */
public final class InstallerRepackagingBenchmark {
    private static final String TOP = "printmaster-agent-0.1.0";
    /** One was not enough: the cold case's first timed runs still ran the check's code interpreted (2-3x slower). */
    private static final int WARM_UP_RUNS = 3;

    private InstallerRepackagingBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path work = Files.createTempDirectory(args.length > 0 ? Path.of(args[0]) : Path.of(System.getProperty("java.io.tmpdir")),
                "pm-installers-bench");
        int mib = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 7;
        try {
            Path tarGz = work.resolve("printmaster-agent-v0.1.0-linux-amd64.tar.gz");
            Path zip = work.resolve("printmaster-agent-v0.1.0-windows-amd64.zip");
            writeTarGz(tarGz, mib);
            writeZip(zip, mib);
            System.out.printf("tar.gz: %d bytes; zip: %d bytes; JVM %s %s; CPUs %d%n", Files.size(tarGz), Files.size(zip),
                    System.getProperty("java.vm.name"), System.getProperty("java.version"),
                    Runtime.getRuntime().availableProcessors());
            FleetFiles fleet = FleetFiles.of(FleetFile.of("etc/fleet.json", "{\"fleet_id\":\"f1\"}".getBytes(StandardCharsets.UTF_8)),
                    FleetFile.secret("etc/join-token", "pmj_x\n".getBytes(StandardCharsets.UTF_8)));
            TarGzInstallerFormat warmTar = new TarGzInstallerFormat(defaults(TarGzInstallerFormat.Config.class));
            ZipInstallerFormat zipFormat = new ZipInstallerFormat(defaults(ZipInstallerFormat.Config.class));

            report("tar.gz cold (full check + copy)", tarGz, work, runs,
                    () -> new TarGzInstallerFormat(defaults(TarGzInstallerFormat.Config.class)), fleet);
            report("tar.gz warm (verdict remembered)", tarGz, work, runs, () -> warmTar, fleet);
            report("zip (raw entry copy)", zip, work, runs, () -> zipFormat, fleet);
        } finally {
            deleteTree(work);
        }
    }

    private static void report(String label, Path official, Path work, int runs, Supplier<InstallerFormat> formats,
                               FleetFiles fleet) throws Exception {
        Path copy = work.resolve("copy.bin");
        Path out = work.resolve("installer.out");
        Files.copy(official, copy, StandardCopyOption.REPLACE_EXISTING);
        for (int i = 0; i < WARM_UP_RUNS; i++) { // untimed: page cache and JIT warm
            Files.deleteIfExists(out);
            formats.get().repackage(official, fleet, out);
        }
        List<Long> copies = new ArrayList<>();
        List<Long> repacks = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            Files.delete(copy);
            Files.delete(out);
            long t = System.nanoTime();
            Files.copy(official, copy);
            copies.add(System.nanoTime() - t);
            InstallerFormat format = formats.get();
            t = System.nanoTime();
            format.repackage(official, fleet, out);
            repacks.add(System.nanoTime() - t);
        }
        long c = median(copies);
        long r = median(repacks);
        System.out.printf("%-34s Files.copy median %6.1f ms (%s) | repackage median %6.1f ms (%s) | ratio %.2f (target <= 1.5)%n",
                label, c / 1e6, ms(copies), r / 1e6, ms(repacks), (double) r / c);
        Files.deleteIfExists(copy);
        Files.deleteIfExists(out);
    }

    /** An annotation instance answering every element with its default. */
    @SuppressWarnings("unchecked")
    private static <A extends Annotation> A defaults(Class<A> type) {
        return (A) java.lang.reflect.Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                (proxy, method, a) -> method.getName().equals("annotationType") ? type : method.getDefaultValue());
    }

    private static void writeTarGz(Path file, int mib) throws IOException {
        ByteArrayOutputStream eof = new ByteArrayOutputStream();
        long entriesLength;
        try (OutputStream raw = Files.newOutputStream(file)) {
            GZIPOutputStream gz = fastGzip(raw);
            TarArchiveOutputStream tar = new TarArchiveOutputStream(gz, 512);
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            dir(tar, TOP + "/");
            dir(tar, TOP + "/bin/");
            file(tar, TOP + "/bin/pm-agent", "#!/bin/sh\n".getBytes(StandardCharsets.UTF_8), 0755);
            dir(tar, TOP + "/lib/");
            Random random = new Random(42);
            byte[] jar = new byte[(mib << 20) / 100];
            for (int i = 0; i < 100; i++) {
                random.nextBytes(jar);
                file(tar, TOP + "/lib/bundle-" + i + ".jar", jar, 0644);
            }
            dir(tar, TOP + "/etc/");
            file(tar, TOP + "/VERSION", "0.1.0".getBytes(StandardCharsets.UTF_8), 0644);
            tar.flush();
            entriesLength = tar.getBytesWritten();
            gz.finish();
            GZIPOutputStream end = new GZIPOutputStream(raw);
            end.write(new byte[(int) ((entriesLength + 1024 + 10239) / 10240 * 10240 - entriesLength)]);
            end.finish();
        }
    }

    private static GZIPOutputStream fastGzip(OutputStream out) throws IOException {
        return new GZIPOutputStream(out, 1 << 16) {
            {
                def.setLevel(Deflater.BEST_SPEED);
            }
        };
    }

    private static void dir(TarArchiveOutputStream tar, String name) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setMode(040755);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }

    private static void file(TarArchiveOutputStream tar, String name, byte[] content, int mode) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setMode(0100000 | mode);
        e.setSize(content.length);
        tar.putArchiveEntry(e);
        tar.write(content);
        tar.closeArchiveEntry();
    }

    private static void writeZip(Path file, int mib) throws IOException {
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(file)) {
            zip.setLevel(Deflater.BEST_SPEED);
            zipEntry(zip, TOP + "/", null, 040755);
            zipEntry(zip, TOP + "/bin/", null, 040755);
            zipEntry(zip, TOP + "/bin/pm-agent.cmd", "@echo off\r\n".getBytes(StandardCharsets.UTF_8), 0100644);
            Random random = new Random(43);
            byte[] jar = new byte[(mib << 20) / 100];
            for (int i = 0; i < 100; i++) {
                random.nextBytes(jar);
                zipEntry(zip, TOP + "/lib/bundle-" + i + ".jar", jar, 0100644);
            }
            zipEntry(zip, TOP + "/etc/", null, 040755);
        }
    }

    private static void zipEntry(ZipArchiveOutputStream zip, String name, byte[] content, int mode) throws IOException {
        ZipArchiveEntry e = new ZipArchiveEntry(name);
        e.setUnixMode(mode);
        zip.putArchiveEntry(e);
        if (content != null) {
            zip.write(content);
        }
        zip.closeArchiveEntry();
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    private static String ms(List<Long> values) {
        return values.stream().map(v -> String.format("%.0f", v / 1e6)).reduce((a, b) -> a + ", " + b).orElse("");
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
