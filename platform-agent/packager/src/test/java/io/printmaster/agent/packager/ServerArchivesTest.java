package io.printmaster.agent.packager;

import static io.printmaster.agent.packager.OfficialArchivesTest.run;
import static io.printmaster.agent.packager.OfficialArchivesTest.tool;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's official archives ({@code --role server}): the agent's layout and formats with the server's names,
 * its service files, {@code bin/pm-server} and no {@code agent-releases/} or {@code etc/}; as {@code tar},
 * {@code unzip} and {@code sha256sum} see them.
 */
class ServerArchivesTest {
    static final Instant MTIME = Instant.parse("2025-01-01T00:00:00Z");
    static final String VERSION = "2.0.0";
    static final String TOP = "printmaster-server-" + VERSION;

    @TempDir
    Path tmp;
    Path dist;
    Path service;

    @BeforeEach
    void layout() throws IOException {
        // the assembled server folder, as platform-server/distribution builds it (bin/ holds the copied scripts)
        dist = tmp.resolve("printmaster-server");
        for (String dir : List.of("bin", "lib", "bundle", "conf", "agent-releases")) {
            Files.createDirectories(dist.resolve(dir));
        }
        Files.writeString(dist.resolve("bin/pm-server"), "#!/bin/sh\necho server\n");
        Files.writeString(dist.resolve("bin/pm-server.cmd"), "@echo off\r\n");
        Files.writeString(dist.resolve("lib/io.printmaster.server.launcher.jar"), "launcher bytes".repeat(1000));
        Files.writeString(dist.resolve("lib/server.jsa"), "machine specific");
        Files.writeString(dist.resolve("bundle/io.printmaster.core-0.1.0.jar"), "bundle bytes");
        Files.writeString(dist.resolve("conf/logback.xml"), "<configuration/>");
        Files.writeString(dist.resolve("agent-releases/SHA256SUMS"), "agent archives ship on their own");
        Files.writeString(dist.resolve("VERSION"), VERSION);
        service = Files.createDirectories(tmp.resolve("service"));
        for (String f : List.of("printmaster-server.service", "io.printmaster.server.plist", "printmaster-server-service.xml")) {
            Files.writeString(service.resolve(f), f);
        }
    }

    private AgentPackager packager(Optional<Path> exe) {
        return new AgentPackager(ReleaseRole.SERVER, dist, dist.resolve("bin"), service, VERSION, MTIME, exe);
    }

    @Test
    void writesTheFourServerArchivesAndTheirChecksums() throws Exception {
        Path out = tmp.resolve("releases");
        Map<String, Path> written = packager(Optional.empty()).writeAll(out);
        assertEquals(List.of("printmaster-server-v2.0.0-darwin-arm64.tar.gz", "printmaster-server-v2.0.0-linux-amd64.tar.gz",
                "printmaster-server-v2.0.0-linux-arm64.tar.gz", "printmaster-server-v2.0.0-windows-amd64.zip"),
                List.copyOf(written.keySet()));
        assumeTrue(tool("sha256sum"));
        OfficialArchivesTest.Result check = run(out, "sha256sum", "-c", "SHA256SUMS");
        assertEquals(0, check.code(), check.output());
        assertEquals(4, check.output().lines().filter(l -> l.endsWith(": OK")).count(), check.output());
    }

    @Test
    void linuxArchiveHasTheServerLauncherItsUnitAndNothingElseOfTheFolder() throws Exception {
        assumeTrue(tool("tar") && tool("gzip"));
        Path archive = packager(Optional.empty()).writeAll(tmp.resolve("r")).get("printmaster-server-v2.0.0-linux-amd64.tar.gz");
        List<String> names = run(tmp, "tar", "-tzf", archive.toString()).output().lines().toList();
        assertEquals(List.of(TOP + "/", TOP + "/VERSION", TOP + "/bin/", TOP + "/bin/pm-server", TOP + "/bin/pm-server.cmd",
                TOP + "/bundle/", TOP + "/bundle/io.printmaster.core-0.1.0.jar", TOP + "/conf/", TOP + "/conf/logback.xml",
                TOP + "/lib/", TOP + "/lib/io.printmaster.server.launcher.jar", TOP + "/service/",
                TOP + "/service/printmaster-server.service"), names,
                "no agent-releases/, no etc/, no class-data archive; the systemd unit only");
        List<String> verbose = run(tmp, "tar", "-tzvf", archive.toString()).output().lines().toList();
        assertTrue(line(verbose, TOP + "/bin/pm-server").startsWith("-rwxr-xr-x 0/0"), String.join("\n", verbose));
        assertTrue(line(verbose, TOP + "/service/printmaster-server.service").startsWith("-rw-r--r-- 0/0"), String.join("\n", verbose));
        assertTrue(line(verbose, TOP + "/VERSION").contains("2025-01-01 00:00"), String.join("\n", verbose));
        // the official two-member layout of the agent's tar.gz (installers and intake read it the same way)
        assertEquals(2, OfficialArchivesTest.gzipMembers(Files.readAllBytes(archive)).size());
    }

    @Test
    void darwinAndWindowsArchivesCarryTheirServiceFiles() throws Exception {
        Path exe = Files.writeString(tmp.resolve("pm-server-service.exe"), "MZ fake host");
        Map<String, Path> written = packager(Optional.of(exe)).writeAll(tmp.resolve("r"));
        List<String> darwin = packager(Optional.of(exe)).entries(AgentPackager.Target.DARWIN_ARM64).stream().map(Entry::path).toList();
        assertTrue(darwin.contains(TOP + "/service/io.printmaster.server.plist"), darwin.toString());
        assertTrue(darwin.stream().noneMatch(p -> p.endsWith(".exe")), "the service host only in the windows archive: " + darwin);
        assumeTrue(tool("unzip"));
        Path zip = written.get("printmaster-server-v2.0.0-windows-amd64.zip");
        OfficialArchivesTest.Result list = run(tmp, "unzip", "-Z", zip.toString());
        assertEquals(0, list.code(), list.output());
        List<String> lines = list.output().lines().toList();
        assertTrue(line(lines, TOP + "/bin/pm-server-service.exe").startsWith("-rwxr-xr-x"), list.output());
        assertTrue(line(lines, TOP + "/bin/pm-server.cmd").startsWith("-rwxr-xr-x"), list.output());
        assertTrue(line(lines, TOP + "/service/printmaster-server-service.xml").startsWith("-rw-r--r--"), list.output());
        assertTrue(lines.stream().noneMatch(l -> l.contains("agent")), list.output());
        assertEquals(0, run(tmp, "unzip", "-tq", zip.toString()).code());
    }

    @Test
    void sameInputsGiveTheSameBytes() throws Exception {
        Map<String, Path> first = packager(Optional.empty()).writeAll(tmp.resolve("one"));
        Map<String, Path> second = packager(Optional.empty()).writeAll(tmp.resolve("two"));
        for (String name : first.keySet()) {
            assertArrayEquals(Files.readAllBytes(first.get(name)), Files.readAllBytes(second.get(name)), name);
        }
        assertEquals(Files.readString(tmp.resolve("one/SHA256SUMS")), Files.readString(tmp.resolve("two/SHA256SUMS")));
    }

    @Test
    void aMissingServerScriptIsAClearError() throws Exception {
        Files.delete(dist.resolve("bin/pm-server.cmd"));
        IOException e = assertThrows(IOException.class, () -> packager(Optional.empty()).writeAll(tmp.resolve("out")));
        assertTrue(e.getMessage().contains("pm-server.cmd"), e.getMessage());
    }

    @Test
    void roleNames() {
        assertEquals(ReleaseRole.SERVER, ReleaseRole.parse("server"));
        assertEquals("pm-agent-service.exe", ReleaseRole.AGENT.windowsServiceExe());
        assertEquals(List.of("-DPM_ROLE_SERVER"), ReleaseRole.SERVER.serviceHostDefines);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ReleaseRole.parse("Server"));
        assertTrue(e.getMessage().startsWith("--role:"), e.getMessage());
    }

    private static String line(List<String> lines, String path) {
        return lines.stream().filter(l -> l.endsWith(" " + path)).findFirst()
                .orElseThrow(() -> new AssertionError(path + " not listed in\n" + String.join("\n", lines)));
    }
}
