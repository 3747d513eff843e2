package io.printmaster.installer.tar.impl;

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
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TarGzInstallerFormatTest {
    private static final String TOP = "printmaster-agent-0.1.0";
    private static final byte[] JOIN_TOKEN = "pmj_secret\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] FLEET_JSON = "{\"fleet_id\":\"f1\"}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private final TarGzInstallerFormat format = new TarGzInstallerFormat(ArchiveLimits.DEFAULT);

    /** One entry of a test archive. */
    record E(String name, byte type, byte[] content, int mode, String link) {
        static E dir(String name) {
            return new E(name, TarConstants.LF_DIR, null, 040755, null);
        }

        static E file(String name, String text, int mode) {
            return bytes(name, text.getBytes(StandardCharsets.UTF_8), mode);
        }

        static E bytes(String name, byte[] content, int mode) {
            return new E(name, TarConstants.LF_NORMAL, content, 0100000 | mode, null);
        }

        static E symlink(String name, String target) {
            return new E(name, TarConstants.LF_SYMLINK, null, 0120777, target);
        }

        static E hardlink(String name, String target) {
            return new E(name, TarConstants.LF_LINK, null, 0100644, target);
        }

        static E special(String name, byte type) {
            return new E(name, type, null, 0644, null);
        }
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    static List<E> official() {
        List<E> entries = new ArrayList<>();
        entries.add(E.dir(TOP + "/"));
        entries.add(E.dir(TOP + "/bin/"));
        entries.add(E.file(TOP + "/bin/pm-agent", "#!/bin/sh\nexec java -jar x\n", 0755));
        entries.add(E.dir(TOP + "/lib/"));
        entries.add(E.bytes(TOP + "/lib/felix.jar", random(300_000, 1), 0644));
        entries.add(E.bytes(TOP + "/lib/a-rather-long-name-" + "x".repeat(120) + ".jar", random(1000, 2), 0644));
        entries.add(E.dir(TOP + "/service/"));
        entries.add(E.file(TOP + "/service/printmaster-agent.service", "[Unit]\n", 0644));
        entries.add(E.dir(TOP + "/etc/"));
        entries.add(E.file(TOP + "/VERSION", "0.1.0", 0644));
        return entries;
    }

    /** The raw tar bytes of the entries, without the end-of-archive. */
    static byte[] tarEntries(List<E> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes, 512);
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        for (E e : entries) {
            TarArchiveEntry entry = new TarArchiveEntry(e.name(), e.type(), true);
            entry.setMode(e.mode());
            entry.setModTime(1_700_000_000_000L);
            entry.setUserName("pm");
            entry.setGroupName("pm");
            if (e.link() != null) {
                entry.setLinkName(e.link());
            }
            if (e.content() != null) {
                entry.setSize(e.content().length);
            }
            tar.putArchiveEntry(entry);
            if (e.content() != null) {
                tar.write(e.content());
            }
            tar.closeArchiveEntry();
        }
        tar.flush();
        return bytes.toByteArray();
    }

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    /** The end-of-archive: two zero blocks, padded to a 10240-byte record (as tar writes it). */
    static byte[] endOfArchive(int entriesLength) {
        int total = entriesLength + 1024;
        int padded = (total + 10239) / 10240 * 10240;
        return new byte[padded - entriesLength];
    }

    /** Contract A's layout: member 1 the entries, member 2 only the end-of-archive. */
    Path splitTarGz(String name, List<E> entries) throws IOException {
        byte[] tar = tarEntries(entries);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(gzip(tar));
        out.write(gzip(endOfArchive(tar.length)));
        return Files.write(dir.resolve(name), out.toByteArray());
    }

    /** An ordinary tar.gz: one member. */
    Path plainTarGz(String name, List<E> entries) throws IOException {
        byte[] tar = tarEntries(entries);
        byte[] all = Arrays.copyOf(tar, tar.length + endOfArchive(tar.length).length);
        return Files.write(dir.resolve(name), gzip(all));
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

    /** {@code tar -tzvf}: path → permission string. */
    static Map<String, String> listing(Path archive) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : run(archive.getParent(), "tar", "-tzvf", archive.toString()).split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 6) {
                String name = f[5];
                out.put(name, f[0]);
            }
        }
        return out;
    }

    List<String> filesIn(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    /** Checks the installer with the real tools and returns the unpacked home. */
    Path checkWithRealTools(Path installer) throws IOException {
        run(dir, "gzip", "-t", installer.toString());
        Map<String, String> modes = listing(installer);
        assertEquals("-rwxr-xr-x", modes.get(TOP + "/bin/pm-agent"), "listing " + modes);
        assertEquals("-rw-------", modes.get(TOP + "/etc/join-token"));
        assertEquals("-rw-r--r--", modes.get(TOP + "/etc/fleet.json"));
        Path unpacked = Files.createDirectories(dir.resolve("unpacked-" + installer.getFileName()));
        run(unpacked, "tar", "-xzf", installer.toString());
        Path home = unpacked.resolve(TOP);
        assertArrayEquals(JOIN_TOKEN, Files.readAllBytes(home.resolve("etc/join-token")));
        assertArrayEquals(FLEET_JSON, Files.readAllBytes(home.resolve("etc/fleet.json")));
        assertArrayEquals(random(300_000, 1), Files.readAllBytes(home.resolve("lib/felix.jar")));
        assertArrayEquals(random(1000, 2), Files.readAllBytes(home.resolve("lib/a-rather-long-name-" + "x".repeat(120)
                + ".jar")));
        assertTrue(Files.isExecutable(home.resolve("bin/pm-agent")));
        assertEquals(FileTime.fromMillis(1_700_000_000_000L), Files.getLastModifiedTime(home.resolve("VERSION")),
                "mtimes kept");
        return home;
    }

    @Test
    void splitLayoutCopiesTheFirstMemberUnchangedAndKeepsTheLayout() throws Exception {
        Path official = splitTarGz("official.tar.gz", official());
        Path output = dir.resolve("installer.tar.gz");

        format.repackage(official, fleetFiles(), output);

        checkWithRealTools(output);
        long firstMember = format.verdict(official).splitOffset();
        assertTrue(firstMember > 0, "the official artifact has the split layout");
        byte[] in = Files.readAllBytes(official);
        byte[] out = Files.readAllBytes(output);
        assertArrayEquals(Arrays.copyOf(in, (int) firstMember), Arrays.copyOf(out, (int) firstMember),
                "the output starts with the official first member's bytes");
        assertTrue(format.verdict(output).split(), "the output has the split layout too");
    }

    @Test
    void theFirstTimeCheckAndCopyInOnePassGiveTheSameBytesAsTheRememberedVerdict() throws Exception {
        Path official = splitTarGz("official.tar.gz", official());
        List<String> written = new ArrayList<>();
        TarGzInstallerFormat probed = new TarGzInstallerFormat(ArchiveLimits.DEFAULT, written::add);

        probed.repackage(official, fleetFiles(), dir.resolve("first.tar.gz")); // checks while copying
        probed.repackage(official, fleetFiles(), dir.resolve("second.tar.gz")); // verdict remembered: transferTo

        assertEquals(1, probed.fullChecks(), "checked once");
        assertEquals(2, written.stream().filter("(first gzip member)"::equals).count(), "first member copied: " + written);
        long firstMember = probed.verdict(official).splitOffset();
        byte[] in = Arrays.copyOf(Files.readAllBytes(official), (int) firstMember);
        for (String name : List.of("first.tar.gz", "second.tar.gz")) {
            Path output = dir.resolve(name);
            checkWithRealTools(output);
            assertArrayEquals(in, Arrays.copyOf(Files.readAllBytes(output), (int) firstMember), name);
            assertArrayEquals(JOIN_TOKEN, probed.readBack(output, "etc/join-token").orElseThrow(), name);
        }
    }

    @Test
    void aCheckFailingAtTheLastByteTheFirstTimeLeavesNothingOfTheCopy() throws Exception {
        // the second member's CRC-32 broken: found only after the whole file was read, and copied, once
        Path official = splitTarGz("official.tar.gz", official());
        byte[] bytes = Files.readAllBytes(official);
        bytes[bytes.length - 8] ^= 0x55;
        Files.write(official, bytes);
        assertRefused(official, "CRC-32");
    }

    @Test
    void aSingleMemberArchiveIsRewrittenIntoTheSplitLayout() throws Exception {
        Path official = plainTarGz("official.tar.gz", official());
        assertFalse(format.verdict(official).split());
        Path output = dir.resolve("installer.tar.gz");

        format.repackage(official, fleetFiles(), output);

        checkWithRealTools(output);
        assertTrue(format.verdict(output).split());
    }

    @Test
    void aFleetFileReplacingAnEntryRewritesTheArchive() throws Exception {
        Path official = splitTarGz("official.tar.gz", official());
        Path output = dir.resolve("installer.tar.gz");
        byte[] unit = "[Unit]\nDescription=fleet\n".getBytes(StandardCharsets.UTF_8);
        FleetFiles files = FleetFiles.of(FleetFile.of("etc/fleet.json", FLEET_JSON),
                FleetFile.secret("etc/join-token", JOIN_TOKEN), FleetFile.of("service/printmaster-agent.service", unit));

        format.repackage(official, files, output);

        Path home = checkWithRealTools(output);
        assertArrayEquals(unit, Files.readAllBytes(home.resolve("service/printmaster-agent.service")));
        List<String> names = format.entries(output).stream().map(InstallerEntry::path).toList();
        assertEquals(1, names.stream().filter("service/printmaster-agent.service"::equals).count(), names.toString());
        assertTrue(format.verdict(output).split());
    }

    @Test
    void aRepackagedInstallerCanBeRepackagedAgain() throws Exception {
        Path first = dir.resolve("first.tar.gz");
        format.repackage(splitTarGz("official.tar.gz", official()), fleetFiles(), first);
        Path second = dir.resolve("second.tar.gz");
        byte[] token = "pmj_other\n".getBytes(StandardCharsets.UTF_8);
        format.repackage(first, FleetFiles.of(FleetFile.secret("etc/join-token", token),
                FleetFile.of("etc/ca/ca-bundle.pem", "PEM".getBytes(StandardCharsets.UTF_8))), second);

        run(dir, "gzip", "-t", second.toString());
        assertEquals("-rw-------", listing(second).get(TOP + "/etc/join-token"));
        assertEquals("drwxr-xr-x", listing(second).get(TOP + "/etc/ca/"));
        assertArrayEquals(token, format.readBack(second, "etc/join-token").orElseThrow());
        assertArrayEquals(FLEET_JSON, format.readBack(second, "etc/fleet.json").orElseThrow());
    }

    @Test
    void entriesAndReadBackSeePathsRelativeToTheTopFolder() throws Exception {
        Path output = dir.resolve("installer.tar.gz");
        format.repackage(splitTarGz("official.tar.gz", official()), fleetFiles(), output);

        Map<String, InstallerEntry> entries = format.entries(output).stream()
                .collect(Collectors.toMap(InstallerEntry::path, e -> e));
        assertEquals(0755, entries.get("bin/pm-agent").mode().getAsInt());
        assertEquals(0600, entries.get("etc/join-token").mode().getAsInt());
        assertEquals(300_000, entries.get("lib/felix.jar").size());
        assertFalse(entries.containsKey("etc"));
        assertArrayEquals(JOIN_TOKEN, format.readBack(output, "etc/join-token").orElseThrow());
        assertTrue(format.readBack(output, "etc/missing").isEmpty());
    }

    @Test
    void theVerdictOnAnArtifactIsRememberedUntilTheFileChanges() throws Exception {
        Path official = splitTarGz("official.tar.gz", official());
        format.repackage(official, fleetFiles(), dir.resolve("a.tar.gz"));
        format.repackage(official, fleetFiles(), dir.resolve("b.tar.gz"));
        assertEquals(1, format.fullChecks(), "checked once");

        Files.setLastModifiedTime(official, FileTime.fromMillis(0));
        format.repackage(official, fleetFiles(), dir.resolve("c.tar.gz"));
        assertEquals(2, format.fullChecks(), "checked again once the file changed");
    }

    // ---- bad input ----

    private void assertRefused(Path official, String expectedInMessage) throws IOException {
        Path output = dir.resolve("installer.tar.gz");
        InstallerFormatException e = assertThrows(InstallerFormatException.class,
                () -> format.repackage(official, fleetFiles(), output));
        assertTrue(e.getMessage().contains(expectedInMessage), "message names '" + expectedInMessage + "': "
                + e.getMessage());
        assertFalse(Files.exists(output), "no output");
        assertEquals(List.of(official.getFileName().toString()), filesIn(dir), "no temporary file left");
    }

    private Path officialWith(E extra) throws IOException {
        List<E> entries = official();
        entries.add(extra);
        return splitTarGz("official.tar.gz", entries);
    }

    @Test
    void refusesDotDotSegments() throws Exception {
        assertRefused(officialWith(E.file(TOP + "/../evil.sh", "x", 0755)), TOP + "/../evil.sh");
    }

    @Test
    void refusesAbsolutePaths() throws Exception {
        assertRefused(officialWith(E.file("/etc/cron.d/evil", "x", 0644)), "/etc/cron.d/evil");
    }

    @Test
    void refusesSymlinksEscapingTheTopFolder() throws Exception {
        assertRefused(officialWith(E.symlink(TOP + "/etc/passwd", "../../etc/passwd")), TOP + "/etc/passwd");
    }

    @Test
    void refusesAbsoluteSymlinks() throws Exception {
        assertRefused(officialWith(E.symlink(TOP + "/etc/shadow", "/etc/shadow")), TOP + "/etc/shadow");
    }

    @Test
    void refusesHardlinksEscapingTheTopFolder() throws Exception {
        assertRefused(officialWith(E.hardlink(TOP + "/etc/hosts", "other/etc/hosts")), TOP + "/etc/hosts");
    }

    @Test
    void acceptsLinksInsideTheTopFolder() throws Exception {
        List<E> entries = official();
        entries.add(E.symlink(TOP + "/bin/agent", "pm-agent"));
        entries.add(E.hardlink(TOP + "/bin/agent-copy", TOP + "/bin/pm-agent"));
        Path output = dir.resolve("installer.tar.gz");
        format.repackage(splitTarGz("official.tar.gz", entries), fleetFiles(), output);
        assertTrue(listing(output).get(TOP + "/bin/agent").startsWith("l"));
        checkWithRealTools(output);
    }

    @Test
    void refusesDuplicateEntries() throws Exception {
        assertRefused(officialWith(E.file(TOP + "/VERSION", "0.2.0", 0644)), TOP + "/VERSION");
    }

    @Test
    void refusesEntriesDuplicateOnceNormalised() throws Exception {
        assertRefused(officialWith(E.file(TOP + "/./bin//pm-agent", "x", 0755)), TOP + "/./bin//pm-agent");
    }

    @Test
    void refusesASecondTopLevelFolder() throws Exception {
        assertRefused(officialWith(E.file("other/readme.txt", "x", 0644)), "other/readme.txt");
    }

    @Test
    void refusesFifoAndDeviceEntries() throws Exception {
        assertRefused(officialWith(E.special(TOP + "/etc/pipe", TarConstants.LF_FIFO)), TOP + "/etc/pipe");
        Files.delete(dir.resolve("official.tar.gz"));
        assertRefused(officialWith(E.special(TOP + "/dev-null", TarConstants.LF_CHR)), TOP + "/dev-null");
        Files.delete(dir.resolve("official.tar.gz"));
        assertRefused(officialWith(E.special(TOP + "/dev-sda", TarConstants.LF_BLK)), TOP + "/dev-sda");
    }

    @Test
    void refusesAnEntryPastTheCompressionRatioAndStopsEarly() throws Exception {
        // 16 MiB of zeros: refused once 1 MiB has inflated at over 100:1, long before the end
        assertRefused(officialWith(E.bytes(TOP + "/lib/bomb.jar", new byte[16 << 20], 0644)), TOP + "/lib/bomb.jar");
    }

    @Test
    void refusesAnArchivePastTheTotalSizeLimit() throws Exception {
        Path official = splitTarGz("official.tar.gz", official());
        TarGzInstallerFormat strict = new TarGzInstallerFormat(new ArchiveLimits(200_000, 100));
        Path output = dir.resolve("installer.tar.gz");
        InstallerFormatException e = assertThrows(InstallerFormatException.class,
                () -> strict.repackage(official, fleetFiles(), output));
        assertTrue(e.getMessage().contains(TOP + "/lib/felix.jar"), e.getMessage());
        assertFalse(Files.exists(output));
    }

    @Test
    void refusesATruncatedArchive() throws Exception {
        Path official = splitTarGz("official.tar.gz", official());
        byte[] bytes = Files.readAllBytes(official);
        Files.write(official, Arrays.copyOf(bytes, bytes.length / 2));
        assertRefused(official, "truncated");
    }

    @Test
    void refusesAFileThatIsNotGzip() throws Exception {
        assertRefused(Files.write(dir.resolve("official.tar.gz"), "PK not a tar.gz".getBytes(StandardCharsets.UTF_8)),
                "not gzip");
    }

    @Test
    void aFailureHalfwayLeavesNoOutput() throws Exception {
        Path official = plainTarGz("official.tar.gz", official());
        Path output = dir.resolve("installer.tar.gz");
        List<String> written = new ArrayList<>();
        TarGzInstallerFormat failing = new TarGzInstallerFormat(ArchiveLimits.DEFAULT, name -> {
            written.add(name);
            if (name.endsWith("felix.jar")) {
                throw new IOException("No space left on device");
            }
        });

        IOException e = assertThrows(IOException.class, () -> failing.repackage(official, fleetFiles(), output));
        assertEquals("No space left on device", e.getMessage());
        assertTrue(written.size() > 3, "failed halfway, after " + written);
        assertFalse(Files.exists(output), "no output");
        assertEquals(List.of("official.tar.gz"), filesIn(dir), "no temporary file left");
    }
}
