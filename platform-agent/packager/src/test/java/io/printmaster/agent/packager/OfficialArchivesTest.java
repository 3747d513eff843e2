package io.printmaster.agent.packager;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official archives as the tools an admin uses see them: {@code tar -tzvf} modes, {@code gzip -t},
 * {@code unzip -Z}/{@code unzip -t}, plus the official two-gzip-member layout and byte-for-byte reproducibility.
 */
class OfficialArchivesTest {
    static final Instant MTIME = Instant.parse("2025-01-01T00:00:00Z");
    static final String VERSION = "1.2.3-rc.1";
    static final String TOP = "printmaster-agent-" + VERSION;

    @TempDir
    Path tmp;
    Path dist;
    Path scripts;
    Path service;

    @BeforeEach
    void layout() throws IOException {
        dist = tmp.resolve("printmaster-agent");
        for (String dir : List.of("lib", "bundle", "conf")) {
            Files.createDirectories(dist.resolve(dir));
        }
        Files.writeString(dist.resolve("lib/io.printmaster.launcher.jar"), "launcher bytes".repeat(1000));
        Files.writeString(dist.resolve("lib/agent.jsa"), "machine specific");
        Files.writeString(dist.resolve("bundle/io.printmaster.core-0.1.0.jar"), "bundle bytes");
        Files.writeString(dist.resolve("conf/logback.xml"), "<configuration/>");
        Files.writeString(dist.resolve("VERSION"), VERSION);
        scripts = tmp.resolve("scripts");
        Files.createDirectories(scripts);
        Files.writeString(scripts.resolve("pm-agent"), "#!/bin/sh\necho agent\n");
        Files.writeString(scripts.resolve("pm-agent.cmd"), "@echo off\r\n");
        service = tmp.resolve("service");
        Files.createDirectories(service);
        for (String f : List.of("printmaster-agent.service", "io.printmaster.agent.plist", "printmaster-agent-service.xml")) {
            Files.writeString(service.resolve(f), f);
        }
    }

    private Map<String, Path> build(Path out, Optional<Path> exe) throws IOException {
        return new AgentPackager(dist, scripts, service, VERSION, MTIME, exe).writeAll(out);
    }

    @Test
    void writesTheFourOfficialArchivesAndTheirChecksums() throws Exception {
        Path out = tmp.resolve("releases");
        Map<String, Path> written = build(out, Optional.empty());
        assertEquals(List.of("printmaster-agent-v1.2.3-rc.1-darwin-arm64.tar.gz", "printmaster-agent-v1.2.3-rc.1-linux-amd64.tar.gz",
                "printmaster-agent-v1.2.3-rc.1-linux-arm64.tar.gz", "printmaster-agent-v1.2.3-rc.1-windows-amd64.zip"),
                List.copyOf(written.keySet()));
        // sha256sum itself checks the file
        assumeTrue(tool("sha256sum"));
        Result check = run(out, "sha256sum", "-c", "SHA256SUMS");
        assertEquals(0, check.code, check.output);
        assertEquals(4, check.output.lines().filter(l -> l.endsWith(": OK")).count(), check.output);
    }

    @Test
    void tarGzHasExactModesOneTopFolderAndTheLinuxServiceUnit() throws Exception {
        assumeTrue(tool("tar") && tool("gzip"));
        Path archive = build(tmp.resolve("r"), Optional.empty()).get("printmaster-agent-v1.2.3-rc.1-linux-amd64.tar.gz");
        Result gzip = run(tmp, "gzip", "-t", archive.toString());
        assertEquals(0, gzip.code, gzip.output);
        Result list = run(tmp, "tar", "-tzvf", archive.toString());
        assertEquals(0, list.code, list.output);
        List<String> lines = list.output.lines().toList();
        assertTrue(line(lines, TOP + "/bin/pm-agent").startsWith("-rwxr-xr-x 0/0"), list.output);
        assertTrue(line(lines, TOP + "/conf/logback.xml").startsWith("-rw-r--r-- 0/0"), list.output);
        assertTrue(line(lines, TOP + "/etc/").startsWith("drwxr-xr-x 0/0"), list.output);
        assertTrue(line(lines, TOP + "/bin/pm-agent").contains("2025-01-01 00:00"), "fixed modification time: " + list.output);
        assertTrue(lines.stream().allMatch(l -> l.contains(" " + TOP + "/")), "one top-level folder: " + list.output);
        List<String> names = run(tmp, "tar", "-tzf", archive.toString()).output.lines().toList();
        assertEquals(List.of(TOP + "/", TOP + "/VERSION", TOP + "/bin/", TOP + "/bin/pm-agent", TOP + "/bin/pm-agent.cmd",
                TOP + "/bundle/", TOP + "/bundle/io.printmaster.core-0.1.0.jar", TOP + "/conf/", TOP + "/conf/logback.xml",
                TOP + "/etc/", TOP + "/lib/", TOP + "/lib/io.printmaster.launcher.jar", TOP + "/service/",
                TOP + "/service/printmaster-agent.service"), names, "stable order, no class-data archive, linux unit only");
    }

    @Test
    void tarGzIsTwoGzipMembersTheSecondHoldingOnlyTheEndOfArchive() throws Exception {
        Path archive = build(tmp.resolve("r"), Optional.empty()).get("printmaster-agent-v1.2.3-rc.1-darwin-arm64.tar.gz");
        List<byte[]> members = gzipMembers(Files.readAllBytes(archive));
        assertEquals(2, members.size(), "the official layout: entries member + end-of-archive member");
        assertEquals(0, members.get(0).length % 512, "the first member ends on a tar block");
        byte[] end = members.get(1);
        assertTrue(end.length >= 1024, "two zero blocks at least");
        assertEquals(0, (members.get(0).length + end.length) % OfficialArchives.TAR_RECORD, "padded to the tar record");
        assertArrayEquals(new byte[end.length], end, "the end member holds zeros only");
        assertFalse(Arrays.equals(new byte[512], Arrays.copyOfRange(members.get(0), members.get(0).length - 512,
                members.get(0).length)) && members.get(0).length < 1024, "entries are in the first member");

        // commons-compress reads the members as one archive
        List<String> names = new ArrayList<>();
        try (InputStream in = new GzipCompressorInputStream(Files.newInputStream(archive), true);
             TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                names.add(e.getName());
                if (e.getName().endsWith("bin/pm-agent")) {
                    assertEquals(0755, e.getMode() & 07777);
                }
            }
        }
        assertTrue(names.contains(TOP + "/service/io.printmaster.agent.plist"), names.toString());
        assertFalse(names.contains(TOP + "/service/printmaster-agent.service"), names.toString());
    }

    @Test
    void zipHasUnixModesAndTheWindowsServiceFiles() throws Exception {
        assumeTrue(tool("unzip"));
        Path exe = tmp.resolve("pm-agent-service.exe");
        Files.writeString(exe, "MZ not really");
        Path archive = build(tmp.resolve("r"), Optional.of(exe)).get("printmaster-agent-v1.2.3-rc.1-windows-amd64.zip");
        Result test = run(tmp, "unzip", "-t", archive.toString());
        assertEquals(0, test.code, test.output);
        Result info = run(tmp, "unzip", "-Z", archive.toString());
        assertEquals(0, info.code, info.output);
        List<String> lines = info.output.lines().toList();
        assertTrue(line(lines, TOP + "/bin/pm-agent").startsWith("-rwxr-xr-x"), info.output);
        assertTrue(line(lines, TOP + "/bin/pm-agent-service.exe").startsWith("-rwxr-xr-x"), info.output);
        assertTrue(line(lines, TOP + "/VERSION").startsWith("-rw-r--r--"), info.output);
        assertTrue(line(lines, TOP + "/etc/").startsWith("drwxr-xr-x"), info.output);
        assertTrue(line(lines, TOP + "/lib/io.printmaster.launcher.jar").contains(" defN "), "deflated: " + info.output);
        assertTrue(line(lines, TOP + "/service/printmaster-agent-service.xml").contains("25-Jan-01 00:00"), info.output);
    }

    @Test
    void windowsArchiveWithoutTheServiceHostWhenItWasNotCompiled() throws Exception {
        Path out = tmp.resolve("r");
        AgentPackager packager = new AgentPackager(dist, scripts, service, VERSION, MTIME, Optional.of(tmp.resolve("absent.exe")));
        packager.writeAll(out);
        assertTrue(packager.entries(AgentPackager.Target.WINDOWS_AMD64).stream()
                .noneMatch(e -> e.path().endsWith("pm-agent-service.exe")));
    }

    @Test
    void sameInputsGiveTheSameBytes() throws Exception {
        Map<String, Path> first = build(tmp.resolve("one"), Optional.empty());
        // a later build, on files touched since: only contents count
        Files.setLastModifiedTime(dist.resolve("VERSION"), java.nio.file.attribute.FileTime.from(Instant.now()));
        Map<String, Path> second = build(tmp.resolve("two"), Optional.empty());
        for (String name : first.keySet()) {
            assertArrayEquals(Files.readAllBytes(first.get(name)), Files.readAllBytes(second.get(name)), name);
        }
        assertEquals(Files.readString(tmp.resolve("one/SHA256SUMS")), Files.readString(tmp.resolve("two/SHA256SUMS")));
    }

    @Test
    void refusesBadEntries() {
        assertThrows(IllegalArgumentException.class, () -> Entry.directory("../x"));
        assertThrows(IllegalArgumentException.class, () -> Entry.directory("/abs"));
        Path f = tmp.resolve("f");
        List<Entry> twice = List.of(Entry.file("a/b", f, 0644), Entry.file("a/b", f, 0644));
        assertThrows(IllegalArgumentException.class, () -> OfficialArchives.writeZip(tmp.resolve("x.zip"), twice, MTIME));
        assertFalse(Files.exists(tmp.resolve("x.zip")), "nothing half-written");
    }

    @Test
    void missingAgentFolderIsAClearError() {
        AgentPackager packager = new AgentPackager(tmp.resolve("nothing"), scripts, service, VERSION, MTIME, Optional.empty());
        IOException e = assertThrows(IOException.class, () -> packager.writeAll(tmp.resolve("out")));
        assertTrue(e.getMessage().contains("has no lib/"), e.getMessage());
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    /** The decompressed content of each gzip member, in order (members with the plain 10-byte header we write). */
    static List<byte[]> gzipMembers(byte[] file) throws DataFormatException {
        List<byte[]> members = new ArrayList<>();
        int pos = 0;
        while (pos < file.length) {
            assertEquals(0x1f, file[pos] & 0xff, "gzip magic at " + pos);
            assertEquals(0x8b, file[pos + 1] & 0xff, "gzip magic at " + pos);
            assertEquals(0, file[pos + 3], "no optional header fields");
            Inflater inflater = new Inflater(true);
            inflater.setInput(file, pos + 10, file.length - pos - 10);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[64 * 1024];
            while (!inflater.finished()) {
                int n = inflater.inflate(buf);
                if (n == 0 && inflater.needsInput()) {
                    throw new AssertionError("truncated gzip member at " + pos);
                }
                out.write(buf, 0, n);
            }
            int consumed = file.length - pos - 10 - inflater.getRemaining();
            inflater.end();
            pos += 10 + consumed + 8; // header, deflate data, CRC32 + ISIZE
            members.add(out.toByteArray());
        }
        return members;
    }

    private static String line(List<String> lines, String path) {
        return lines.stream().filter(l -> l.endsWith(" " + path)).findFirst()
                .orElseThrow(() -> new AssertionError(path + " not listed in\n" + String.join("\n", lines)));
    }

    record Result(int code, String output) {
    }

    static Result run(Path dir, String... command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().put("TZ", "UTC"); // tar shows times in the local zone
        Process p = builder.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
        return new Result(p.exitValue(), output);
    }

    static boolean tool(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                return true;
            }
        }
        return false;
    }
}
