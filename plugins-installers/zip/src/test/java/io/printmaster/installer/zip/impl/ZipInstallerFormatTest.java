package io.printmaster.installer.zip.impl;

import io.printmaster.api.support.ArchiveLimits;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.installer.FleetFile;
import io.printmaster.api.installer.FleetFiles;
import io.printmaster.api.installer.InstallerEntry;
import io.printmaster.api.installer.InstallerFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ZipInstallerFormatTest {
    private static final String TOP = "printmaster-agent-0.1.0";
    static final String TOP_FOLDER = TOP;
    private static final byte[] JOIN_TOKEN = "pmj_secret\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] FLEET_JSON = "{\"fleet_id\":\"f1\"}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private final ZipInstallerFormat format = new ZipInstallerFormat(ArchiveLimits.DEFAULT);

    /** One entry of a test archive: a name, content (null for a folder) and unix mode (with type bits). */
    record E(String name, byte[] content, int unixMode, int method) {
        static E dir(String name) {
            return new E(name, null, 040755, ZipArchiveEntry.STORED);
        }

        static E file(String name, String text, int mode) {
            return new E(name, text.getBytes(StandardCharsets.UTF_8), 0100000 | mode, ZipArchiveEntry.DEFLATED);
        }

        static E bytes(String name, byte[] content) {
            return new E(name, content, 0100644, ZipArchiveEntry.DEFLATED);
        }
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** An official-shaped zip (the official archive layout, docs/release-feed.md): one top folder, bin/pm-agent 0755, an etc/ folder, jars. */
    static List<E> official() {
        List<E> entries = new ArrayList<>();
        entries.add(E.dir(TOP + "/"));
        entries.add(E.dir(TOP + "/bin/"));
        entries.add(E.file(TOP + "/bin/pm-agent", "#!/bin/sh\nexec java -jar x\n", 0755));
        entries.add(E.file(TOP + "/bin/pm-agent.cmd", "@echo off\r\njava -jar x\r\n", 0644));
        entries.add(E.dir(TOP + "/lib/"));
        entries.add(E.bytes(TOP + "/lib/felix.jar", random(300_000, 1)));
        entries.add(E.dir(TOP + "/conf/"));
        entries.add(E.file(TOP + "/conf/logback.xml", "<configuration/>\n".repeat(50), 0644));
        entries.add(E.dir(TOP + "/etc/"));
        entries.add(E.file(TOP + "/VERSION", "0.1.0", 0644));
        return entries;
    }

    Path zip(String name, List<E> entries) throws IOException {
        Path file = dir.resolve(name);
        try (ZipArchiveOutputStream out = new ZipArchiveOutputStream(file)) {
            for (E e : entries) {
                ZipArchiveEntry entry = new ZipArchiveEntry(e.name());
                entry.setUnixMode(e.unixMode());
                entry.setMethod(e.method());
                if (e.method() == ZipArchiveEntry.STORED) {
                    byte[] content = e.content() == null ? new byte[0] : e.content();
                    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                    crc.update(content);
                    entry.setSize(content.length);
                    entry.setCrc(crc.getValue());
                }
                out.putArchiveEntry(entry);
                if (e.content() != null) {
                    out.write(e.content());
                }
                out.closeArchiveEntry();
            }
        }
        return file;
    }

    static FleetFiles fleetFiles() {
        return FleetFiles.of(FleetFile.of("etc/fleet.json", FLEET_JSON), FleetFile.secret("etc/join-token", JOIN_TOKEN));
    }

    static String run(Path cwd, String... command) {
        try {
            Process p = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " finished");
            assertEquals(0, p.exitValue(), String.join(" ", command) + " failed:\n" + out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code unzip -Z} lines by path: the permission string first. */
    static Map<String, String> permissions(Path zip) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : run(zip.getParent(), "unzip", "-Z", zip.toString()).split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 9 && (f[0].startsWith("-") || f[0].startsWith("d") || f[0].startsWith("l"))) {
                out.put(f[f.length - 1], f[0]);
            }
        }
        return out;
    }

    /** Raw (compressed) bytes of each entry. */
    static Map<String, byte[]> rawEntries(Path file) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (ZipFile zip = ZipFile.builder().setPath(file).get()) {
            for (ZipArchiveEntry e : java.util.Collections.list(zip.getEntries())) {
                try (InputStream in = zip.getRawInputStream(e)) {
                    out.put(e.getName(), in.readAllBytes());
                }
            }
        }
        return out;
    }

    List<String> filesIn(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void repackagedZipPassesUnzipKeepsModesAndCopiesUnchangedEntriesRaw() throws Exception {
        Path official = zip("official.zip", official());
        Path output = dir.resolve("installer.zip");

        format.repackage(official, fleetFiles(), output);

        assertTrue(run(dir, "unzip", "-t", output.toString()).contains("No errors detected"));
        Map<String, String> modes = permissions(output);
        assertEquals("-rwxr-xr-x", modes.get(TOP + "/bin/pm-agent"));
        assertEquals("-rw-------", modes.get(TOP + "/etc/join-token"));
        assertEquals("-rw-r--r--", modes.get(TOP + "/etc/fleet.json"));

        Path unpacked = Files.createDirectory(dir.resolve("unpacked"));
        run(unpacked, "unzip", "-q", output.toString());
        Path home = unpacked.resolve(TOP);
        assertArrayEquals(JOIN_TOKEN, Files.readAllBytes(home.resolve("etc/join-token")));
        assertArrayEquals(FLEET_JSON, Files.readAllBytes(home.resolve("etc/fleet.json")));
        assertArrayEquals(random(300_000, 1), Files.readAllBytes(home.resolve("lib/felix.jar")));
        assertTrue(Files.isExecutable(home.resolve("bin/pm-agent")));

        Map<String, byte[]> before = rawEntries(official);
        Map<String, byte[]> after = rawEntries(output);
        for (Map.Entry<String, byte[]> e : before.entrySet()) {
            assertArrayEquals(e.getValue(), after.get(e.getKey()), e.getKey() + " copied raw");
        }
        assertEquals(List.of("installer.zip", "official.zip", "unpacked"), filesIn(dir), "no temporary file left");
    }

    @Test
    void fleetFileReplacesAnEntryOfTheSamePathAndMissingFoldersAreAdded() throws Exception {
        Path official = zip("official.zip", official());
        Path output = dir.resolve("installer.zip");
        byte[] logback = "<configuration debug=\"true\"/>".getBytes(StandardCharsets.UTF_8);

        format.repackage(official, FleetFiles.of(FleetFile.of("conf/logback.xml", logback),
                FleetFile.of("etc/certs/ca-bundle.pem", "PEM".getBytes(StandardCharsets.UTF_8))), output);

        run(dir, "unzip", "-t", output.toString());
        assertArrayEquals(logback, format.readBack(output, "conf/logback.xml").orElseThrow());
        List<String> names = format.entries(output).stream().map(InstallerEntry::path).toList();
        assertEquals(1, names.stream().filter("conf/logback.xml"::equals).count(), "replaced, not doubled: " + names);
        assertEquals("drwxr-xr-x", permissions(output).get(TOP + "/etc/certs/"));
        assertEquals("PEM", new String(format.readBack(output, "etc/certs/ca-bundle.pem").orElseThrow(),
                StandardCharsets.UTF_8));
    }

    @Test
    void entriesAndReadBackSeePathsRelativeToTheTopFolder() throws Exception {
        Path official = zip("official.zip", official());
        Path output = dir.resolve("installer.zip");
        format.repackage(official, fleetFiles(), output);

        Map<String, InstallerEntry> entries = format.entries(output).stream()
                .collect(Collectors.toMap(InstallerEntry::path, e -> e));
        assertEquals(0755, entries.get("bin/pm-agent").mode().getAsInt());
        assertEquals(0600, entries.get("etc/join-token").mode().getAsInt());
        assertEquals(JOIN_TOKEN.length, entries.get("etc/join-token").size());
        assertFalse(entries.containsKey("etc"), "folders are not files");
        assertArrayEquals(JOIN_TOKEN, format.readBack(output, "etc/join-token").orElseThrow());
        assertTrue(format.readBack(output, "etc/nothing-here").isEmpty());
        assertTrue(format.readBack(official, "etc/join-token").isEmpty(), "official artifacts hold no fleet files");
    }

    @Test
    void aRepackagedInstallerCanBeRepackagedAgain() throws Exception {
        Path first = dir.resolve("first.zip");
        format.repackage(zip("official.zip", official()), fleetFiles(), first);
        Path second = dir.resolve("second.zip");
        byte[] newToken = "pmj_other\n".getBytes(StandardCharsets.UTF_8);
        format.repackage(first, FleetFiles.of(FleetFile.secret("etc/join-token", newToken)), second);

        run(dir, "unzip", "-t", second.toString());
        assertArrayEquals(newToken, format.readBack(second, "etc/join-token").orElseThrow());
        assertArrayEquals(FLEET_JSON, format.readBack(second, "etc/fleet.json").orElseThrow());
    }

    @Test
    void aFileThatIsNotAZipIsRefused() throws Exception {
        Path official = Files.write(dir.resolve("official.zip"), "not a zip".getBytes(StandardCharsets.UTF_8));
        assertRefused(official, FleetFiles.empty(), "official.zip");
    }

    // ---- bad input: each refused with a message naming the entry, and no output file ----

    private void assertRefused(Path official, FleetFiles files, String expectedInMessage) throws IOException {
        Path output = dir.resolve("installer.zip");
        InstallerFormatException e = assertThrows(InstallerFormatException.class,
                () -> format.repackage(official, files, output));
        assertTrue(e.getMessage().contains(expectedInMessage), "message names '" + expectedInMessage + "': "
                + e.getMessage());
        assertFalse(Files.exists(output), "no output");
        assertEquals(List.of(official.getFileName().toString()), filesIn(dir), "no temporary file left");
    }

    private Path officialWith(E extra) throws IOException {
        List<E> entries = official();
        entries.add(extra);
        return zip("official.zip", entries);
    }

    @Test
    void refusesDotDotSegments() throws Exception {
        assertRefused(officialWith(E.file(TOP + "/../evil.sh", "x", 0755)), fleetFiles(), TOP + "/../evil.sh");
    }

    @Test
    void refusesAbsolutePaths() throws Exception {
        assertRefused(officialWith(E.file("/etc/cron.d/evil", "x", 0644)), fleetFiles(), "/etc/cron.d/evil");
    }

    @Test
    void refusesDriveLetters() throws Exception {
        assertRefused(officialWith(E.file("C:/Windows/evil.dll", "x", 0644)), fleetFiles(), "C:/Windows/evil.dll");
    }

    @Test
    void refusesBackslashes() throws Exception {
        assertRefused(officialWith(E.file(TOP + "\\..\\evil.dll", "x", 0644)), fleetFiles(), "evil.dll");
    }

    @Test
    void refusesSymlinksEscapingTheTopFolder() throws Exception {
        assertRefused(officialWith(new E(TOP + "/etc/passwd", "../../../etc/passwd".getBytes(StandardCharsets.UTF_8),
                0120777, ZipArchiveEntry.STORED)), fleetFiles(), TOP + "/etc/passwd");
    }

    @Test
    void acceptsSymlinksInsideTheTopFolder() throws Exception {
        Path official = officialWith(new E(TOP + "/bin/agent", "pm-agent".getBytes(StandardCharsets.UTF_8), 0120777,
                ZipArchiveEntry.STORED));
        Path output = dir.resolve("installer.zip");
        format.repackage(official, fleetFiles(), output);
        assertTrue(permissions(output).get(TOP + "/bin/agent").startsWith("l"));
    }

    @Test
    void refusesDuplicateEntries() throws Exception {
        assertRefused(officialWith(E.file(TOP + "/VERSION", "0.2.0", 0644)), fleetFiles(), TOP + "/VERSION");
    }

    @Test
    void refusesEntriesDuplicateOnceNormalised() throws Exception {
        assertRefused(officialWith(E.file(TOP + "/./bin//pm-agent", "x", 0755)), fleetFiles(), TOP + "/./bin//pm-agent");
    }

    @Test
    void refusesEntriesDifferingOnlyInCase() throws Exception {
        assertRefused(officialWith(E.file(TOP + "/version", "x", 0644)), fleetFiles(), TOP + "/version");
    }

    @Test
    void refusesASecondTopLevelFolder() throws Exception {
        assertRefused(officialWith(E.file("other/readme.txt", "x", 0644)), fleetFiles(), "other/readme.txt");
    }

    @Test
    void refusesAFileBesideTheTopLevelFolder() throws Exception {
        assertRefused(officialWith(E.file("README", "x", 0644)), fleetFiles(), "README");
    }

    @Test
    void refusesFifoAndDeviceEntries() throws Exception {
        assertRefused(officialWith(new E(TOP + "/etc/pipe", new byte[0], 0010644, ZipArchiveEntry.STORED)),
                fleetFiles(), TOP + "/etc/pipe");
        Files.delete(dir.resolve("official.zip"));
        assertRefused(officialWith(new E(TOP + "/dev-sda", new byte[0], 0060644, ZipArchiveEntry.STORED)),
                fleetFiles(), TOP + "/dev-sda");
    }

    @Test
    void refusesAnEntryPastTheCompressionRatio() throws Exception {
        // 8 MiB of zeros deflate to about 8 KiB: ~1000:1
        assertRefused(officialWith(E.bytes(TOP + "/lib/bomb.jar", new byte[8 << 20])), fleetFiles(),
                TOP + "/lib/bomb.jar");
    }

    @Test
    void refusesAnArchivePastTheTotalSizeLimit() throws Exception {
        Path official = zip("official.zip", official());
        Path output = dir.resolve("installer.zip");
        ZipInstallerFormat strict = new ZipInstallerFormat(new ArchiveLimits(200_000, 100));
        InstallerFormatException e = assertThrows(InstallerFormatException.class,
                () -> strict.repackage(official, fleetFiles(), output));
        assertTrue(e.getMessage().contains(TOP + "/lib/felix.jar"), e.getMessage());
        assertFalse(Files.exists(output));
    }

    @Test
    void refusesAFleetFileReplacingAFolder() throws Exception {
        assertRefused(zip("official.zip", official()), FleetFiles.of(FleetFile.of("etc", new byte[1])), "etc");
    }

    @Test
    void aFailureHalfwayLeavesNoOutput() throws Exception {
        Path official = zip("official.zip", official());
        Path output = dir.resolve("installer.zip");
        List<String> written = new ArrayList<>();
        ZipInstallerFormat failing = new ZipInstallerFormat(ArchiveLimits.DEFAULT, name -> {
            written.add(name);
            if (name.endsWith("felix.jar")) {
                throw new IOException("No space left on device");
            }
        });
        // a fleet file replacing an entry: the archive is rewritten entry by entry (no fast path)
        FleetFiles replacing = FleetFiles.of(FleetFile.of("conf/logback.xml", FLEET_JSON),
                FleetFile.secret("etc/join-token", JOIN_TOKEN));

        IOException e = assertThrows(IOException.class, () -> failing.repackage(official, replacing, output));
        assertEquals("No space left on device", e.getMessage());
        assertTrue(written.size() > 3, "failed halfway, after " + written);
        assertFalse(Files.exists(output), "no output");
        assertEquals(List.of("official.zip"), filesIn(dir), "no temporary file left");
    }

    @Test
    void anEntryWhoseDataRunsPastTheFileIsRefused() throws Exception {
        // the central directory says the jar's data is far longer than the file holds
        Path official = zip("official.zip", official());
        byte[] bytes = Files.readAllBytes(official);
        int header = centralDirectoryHeader(bytes, TOP + "/lib/felix.jar");
        int compressedSize = 0x0fff_0000;
        for (int i = 0; i < 4; i++) {
            bytes[header + 20 + i] = (byte) (compressedSize >>> (8 * i));
        }
        Files.write(official, bytes);
        assertRefused(official, fleetFiles(), "official.zip");
    }

    /** Offset of the central directory file header of {@code name}. */
    private static int centralDirectoryHeader(byte[] b, String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i + 46 + n.length <= b.length; i++) {
            if (b[i] == 'P' && b[i + 1] == 'K' && b[i + 2] == 1 && b[i + 3] == 2
                    && java.util.Arrays.equals(b, i + 46, i + 46 + n.length, n, 0, n.length)) {
                return i;
            }
        }
        throw new IllegalStateException("no central directory header for " + name);
    }
}
