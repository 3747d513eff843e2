package io.printmaster.installer.msi.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.printmaster.api.installer.Availability;
import io.printmaster.api.installer.FleetFile;
import io.printmaster.api.installer.FleetFiles;
import io.printmaster.api.installer.InstallerEntry;
import io.printmaster.api.installer.InstallerFormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MSI format with the real tools: builds with wixl, then checks the package with msiinfo and msiextract as an
 * admin would. Skipped (not failed) only where wixl or msitools are not installed.
 */
class MsiInstallerFormatTest {

    static final String TOP = "printmaster-agent-0.1.0-SNAPSHOT/";
    static final String TOKEN = "pmj_3xampleJoinTokenText\n";

    @TempDir
    Path dir;
    Path out;

    @BeforeEach
    void setUp() throws IOException {
        out = Files.createDirectory(dir.resolve("out"));
    }

    static boolean installed(String tool) {
        return new ExternalTools(System.getenv("PATH")).find(tool).isPresent();
    }

    static void assumeTools() {
        assumeTrue(installed("wixl") && installed("msiinfo") && installed("msiextract") && installed("msibuild"),
                "wixl and msitools are not installed (apt install wixl msitools)");
    }

    /** The official Windows zip's files (paths below the top folder), with a long name holding spaces, & and $. */
    static Map<String, byte[]> officialFiles() {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("bin/pm-agent.cmd", "@echo off\r\njava -cp \"%~dp0..\\lib\\*\" io.printmaster.agent.launcher.AgentMain\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        files.put("bin/pm-agent", "#!/bin/sh\nexec java \"$@\"\n".getBytes(StandardCharsets.US_ASCII));
        files.put("bin/pm-agent-service.exe", random(40_000, 1)); // only packaged, never run
        files.put("lib/x.jar", random(120_000, 2));
        files.put("bundle/y.jar", random(60_000, 3));
        files.put("bundle/a folder with spaces/a rather long bundle file name with spaces & an ampersand $(var.x).jar",
                random(5_000, 4));
        files.put("VERSION", "0.1.0-SNAPSHOT\n".getBytes(StandardCharsets.US_ASCII));
        files.put("conf/logback.xml", "<configuration/>\n".getBytes(StandardCharsets.US_ASCII));
        files.put("service/printmaster-agent-service.xml", "<service><name>PrintMasterAgent</name></service>\n"
                .getBytes(StandardCharsets.US_ASCII));
        return files;
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    static FleetFiles fleetFiles() {
        return FleetFiles.of(
                FleetFile.of("etc/fleet.json", "{\"server_url\":\"http://pm.example:8080\",\"fleet_id\":\"f1\"}\n"
                        .getBytes(StandardCharsets.UTF_8)),
                FleetFile.secret("etc/join-token", TOKEN.getBytes(StandardCharsets.UTF_8)),
                FleetFile.of("etc/trust.json", "{\"keys\":[],\"rotations\":[]}\n".getBytes(StandardCharsets.UTF_8)));
    }

    /** A zip as the agent distribution builds it: the top folder, the files, and {@code etc/} as a folder entry. */
    Path officialZip(Map<String, byte[]> files, String... extraFolders) throws IOException {
        return officialZip(files, Map.of(), extraFolders);
    }

    /** As above, plus {@code rawEntries} written with their names as given (not below the top folder). */
    Path officialZip(Map<String, byte[]> files, Map<String, byte[]> rawEntries, String... extraFolders)
            throws IOException {
        Path zip = dir.resolve("printmaster-agent-v0.1.0-SNAPSHOT-windows-amd64.zip");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip))) {
            z.putNextEntry(new ZipEntry(TOP));
            z.closeEntry();
            Map<String, byte[]> all = new LinkedHashMap<>();
            files.forEach((path, bytes) -> all.put(TOP + path, bytes));
            all.putAll(rawEntries);
            for (Map.Entry<String, byte[]> f : all.entrySet()) {
                z.putNextEntry(new ZipEntry(f.getKey()));
                z.write(f.getValue());
                z.closeEntry();
            }
            for (String folder : extraFolders) {
                z.putNextEntry(new ZipEntry(TOP + folder));
                z.closeEntry();
            }
        }
        return zip;
    }

    Path officialZip() throws IOException {
        return officialZip(officialFiles(), "etc/");
    }

    static MsiInstallerFormat format() {
        return new MsiInstallerFormat(System.getenv("PATH"), System::nanoTime, Duration.ofMinutes(2),
                Payload.Limits.DEFAULT);
    }

    /** Runs a tool of msitools and returns its standard output. */
    static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " finished");
        assertEquals(0, p.exitValue(), String.join(" ", command) + " exit code; output: " + stdout);
        return stdout;
    }

    /** Rows of {@code msiinfo export msi table}: the first three lines are column names, types and the key. */
    static List<List<String>> table(Path msi, String table) throws Exception {
        List<String> lines = run("msiinfo", "export", msi.toString(), table).lines().toList();
        List<List<String>> rows = new ArrayList<>();
        for (String line : lines.subList(3, lines.size())) {
            rows.add(List.of(line.split("\t", -1)));
        }
        return rows;
    }

    static Map<String, String> properties(Path msi) throws Exception {
        return table(msi, "Property").stream().collect(Collectors.toMap(r -> r.get(0), r -> r.get(1)));
    }

    @Test
    void theMsiInstallsTheAgentAsAServiceWithEveryFile() throws Exception {
        assumeTools();
        MsiInstallerFormat format = format();
        assertEquals(Availability.AVAILABLE, format.availability());
        Path msi = out.resolve("agent.msi");

        format.repackage(officialZip(), fleetFiles(), msi);

        List<String> tables = run("msiinfo", "tables", msi.toString()).lines().toList();
        assertTrue(tables.contains("ServiceInstall") && tables.contains("ServiceControl"), "tables: " + tables);

        // ServiceInstall: Name, DisplayName, ServiceType, StartType, ErrorControl, …, StartName, …, Component_
        List<List<String>> services = table(msi, "ServiceInstall");
        assertEquals(1, services.size(), "one service: " + services);
        List<String> service = services.get(0);
        assertEquals("PrintMasterAgent", service.get(1));
        assertEquals("PrintMaster Agent", service.get(2));
        assertEquals("16", service.get(3), "own process");
        assertEquals("2", service.get(4), "auto start");
        assertEquals("1", service.get(5), "error control normal");
        assertEquals("LocalSystem", service.get(8));

        // the service's component has the service host as its key file
        String serviceComponent = service.get(11);
        List<String> hostFile = table(msi, "File").stream().filter(r -> r.get(2).equals("pm-agent-service.exe"))
                .findFirst().orElseThrow();
        assertEquals(serviceComponent, hostFile.get(1), "the service host is in the service's component");
        List<String> component = table(msi, "Component").stream().filter(r -> r.get(0).equals(serviceComponent))
                .findFirst().orElseThrow();
        assertEquals(hostFile.get(0), component.get(5), "the service host is the key file");

        // ServiceControl: start on install (1), stop on install and uninstall (2 + 32), remove on uninstall (128)
        List<String> control = table(msi, "ServiceControl").get(0);
        assertEquals("PrintMasterAgent", control.get(1));
        assertEquals(String.valueOf(1 + 2 + 32 + 128), control.get(2));
        assertEquals("1", control.get(4), "waits");

        Map<String, String> properties = properties(msi);
        assertEquals("0.1.0", properties.get("ProductVersion"));
        assertEquals(WxsWriter.UPGRADE_CODE.toUpperCase(), properties.get("UpgradeCode").toUpperCase());
        assertEquals("PrintMaster", properties.get("Manufacturer"));
        assertEquals("1", properties.get("ALLUSERS"), "per machine");
        assertTrue(run("msiinfo", "suminfo", msi.toString()).contains("x64;"), "an x64 package");
        assertTrue(table(msi, "Component").stream().allMatch(r -> (Integer.parseInt(r.get(3)) & 256) != 0),
                "64-bit components");
        // Upgrade: UpgradeCode, VersionMin, VersionMax, Language, Attributes, Remove, ActionProperty
        Map<String, List<String>> upgrades = table(msi, "Upgrade").stream()
                .collect(Collectors.toMap(r -> r.get(6), r -> r));
        List<String> replaces = upgrades.get(WxsWriter.UPGRADE_PROPERTY);
        assertEquals(List.of("0.0.0", "0.1.1", "256"), List.of(replaces.get(1), replaces.get(2), replaces.get(4)),
                "replaces every version up to this one, this one included: " + upgrades);
        List<String> newer = upgrades.get(WxsWriter.NEWER_PROPERTY);
        assertEquals(List.of("0.1.1", "", String.valueOf(256 + 2)),
                List.of(newer.get(1), newer.get(2), newer.get(4)), "only detects newer ones: " + upgrades);
        assertEquals(List.of(List.of("Installed OR NOT " + WxsWriter.NEWER_PROPERTY,
                "A newer version of PrintMaster Agent is already installed.")), table(msi, "LaunchCondition"));
        assertTrue(table(msi, "InstallExecuteSequence").stream().anyMatch(r -> r.get(0).equals("RemoveExistingProducts")));

        // recovery actions, so that the agent's exit 75 (a service-specific error) restarts the service:
        // MsiServiceConfigFailureActions: id, Name, Event, ResetPeriod, RebootMessage, Command, Actions, DelayActions,
        // Component_ (restart after 5 s, 5 s, 60 s; reset after a day; on install and reinstall)
        assertEquals(List.of(List.of("AgentRecovery", "PrintMasterAgent", "5", "86400", "", "", "1[~]1[~]1",
                "5000[~]5000[~]60000", serviceComponent)), table(msi, "MsiServiceConfigFailureActions"));
        // MsiServiceConfig: id, Name, Event, ConfigType 4 = SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, Argument 1 = also on
        // non-crash failures (the service host reports the stop; it does not crash), Component_
        assertEquals(List.of(List.of("AgentRecoveryOnNonCrashFailures", "PrintMasterAgent", "5", "4", "1",
                serviceComponent)), table(msi, "MsiServiceConfig"));
        Map<String, List<String>> sequence = table(msi, "InstallExecuteSequence").stream()
                .collect(Collectors.toMap(r -> r.get(0), r -> r));
        int configure = Integer.parseInt(sequence.get("MsiConfigureServices").get(2));
        assertTrue(Integer.parseInt(sequence.get("InstallServices").get(2)) < configure
                && configure < Integer.parseInt(sequence.get("StartServices").get(2)),
                "configured after the service is installed, before it is started: " + sequence);

        Map<String, byte[]> expected = new TreeMap<>();
        officialFiles().forEach(expected::put);
        fleetFiles().files().forEach(f -> expected.put(f.path(), f.content()));

        // msiextract, run by hand, yields every file with its bytes under PrintMaster/Agent
        Path extracted = Files.createDirectory(dir.resolve("extracted"));
        run("msiextract", "-C", extracted.toString(), msi.toString());
        Path home = extracted.resolve("PrintMaster/Agent");
        Map<String, byte[]> actual = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(home)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                actual.put(home.relativize(p).toString(), Files.readAllBytes(p));
            }
        }
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((path, bytes) -> assertArrayEquals(bytes, actual.get(path), path));
        assertEquals(TOKEN, Files.readString(home.resolve("etc/join-token")));

        // and the format reads its own package back
        List<InstallerEntry> entries = format.entries(msi);
        assertEquals(List.copyOf(expected.keySet()), entries.stream().map(InstallerEntry::path).toList());
        for (InstallerEntry e : entries) {
            assertEquals(expected.get(e.path()).length, e.size(), e.path());
            assertTrue(e.mode().isEmpty(), "an MSI stores no modes");
        }
        assertEquals(TOKEN, new String(format.readBack(msi, "etc/join-token").orElseThrow(), StandardCharsets.UTF_8));
        assertEquals(Optional.empty(), format.readBack(msi, "etc/ca-bundle.pem"));
        assertEquals(List.of(msi), listed(out), "no temporary file left next to the output");
    }

    @Test
    void fleetFilesReplaceTheArtifactsFilesAndEmptyFoldersAreKept() throws Exception {
        assumeTools();
        MsiInstallerFormat format = format();
        Path msi = out.resolve("agent.msi");
        byte[] fleetLogback = "<configuration debug=\"true\"/>\n".getBytes(StandardCharsets.UTF_8);

        format.repackage(officialZip(officialFiles(), "etc/", "data/plugins/"),
                FleetFiles.of(FleetFile.of("conf/logback.xml", fleetLogback)), msi);

        assertArrayEquals(fleetLogback, format.readBack(msi, "conf/logback.xml").orElseThrow());
        assertEquals(officialFiles().size(), format.entries(msi).size(), "replaced, not added");
        List<List<String>> createFolder = table(msi, "CreateFolder");
        // etc and data/plugins are created empty; the install folder and its PrintMaster parent are the product's
        // own, so an uninstall or a rolled-back install removes them
        assertEquals(4, createFolder.size(), "etc, data/plugins, INSTALLDIR, PrintMasterFolder: " + createFolder);
        assertTrue(createFolder.stream().map(r -> r.get(0)).toList().containsAll(List.of("INSTALLDIR",
                "PrintMasterFolder")), createFolder.toString());
    }

    @Test
    void componentGuidsAreTheSameInEveryBuildAndTheProductCodeIsNew() throws Exception {
        assumeTools();
        MsiInstallerFormat format = format();
        Path first = out.resolve("first.msi");
        Path second = out.resolve("second.msi");
        format.repackage(officialZip(), fleetFiles(), first);
        format.repackage(officialZip(), FleetFiles.of(FleetFile.secret("etc/join-token", "other\n".getBytes())),
                second);

        Map<String, String> firstGuids = componentGuids(first);
        Map<String, String> secondGuids = componentGuids(second);
        assertEquals(firstGuids.size() - 2, secondGuids.size(), "two fleet files fewer");
        secondGuids.forEach((id, guid) -> assertEquals(firstGuids.get(id), guid, "component " + id));
        assertNotEquals(properties(first).get("ProductCode"), properties(second).get("ProductCode"),
                "each build is a new product, so MajorUpgrade replaces an installed one");
    }

    static Map<String, String> componentGuids(Path msi) {
        try {
            return table(msi, "Component").stream().collect(Collectors.toMap(r -> r.get(0), r -> r.get(1)));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void anArtifactWithoutTheServiceHostIsRefused() throws Exception {
        assumeTools();
        Map<String, byte[]> files = officialFiles();
        files.remove("bin/pm-agent-service.exe");
        InstallerFormatException e = assertRefused(officialZip(files));
        assertEquals(MsiInstallerFormat.NO_SERVICE_HOST, e.getMessage());
        assertTrue(e.getMessage().contains("x86_64-w64-mingw32-gcc"));
    }

    @Test
    void unsafeOrDamagedArtifactsAreRefusedWithNoOutput() throws Exception {
        assumeTools();
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("../evil.txt", "'..'");
        cases.put("/etc/evil.txt", "absolute");
        cases.put(TOP + "../../evil.txt", "'..'");
        cases.put("C:/evil.txt", "absolute");
        cases.put("loose-file.txt", "outside a top-level folder");
        cases.put("other-top/x.txt", "more than one top-level folder");
        cases.put(TOP + "lib/a|b.jar", "'|'");
        cases.put(TOP + "lib/caf\u00e9.jar", "printable ASCII");
        cases.put(TOP + "lib/con.jar", "reserved Windows device name");
        cases.put(TOP + "lib//x.jar", "empty");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            InstallerFormatException e = assertRefused(officialZip(officialFiles(),
                    Map.of(c.getKey(), "x".getBytes())));
            assertTrue(e.getMessage().contains(c.getValue()), c.getKey() + " → " + e.getMessage());
        }
    }

    @Test
    void duplicateEntriesAreRefusedEvenWhenTheyDifferOnlyInCase() throws Exception {
        assumeTools();
        Map<String, byte[]> files = officialFiles();
        files.put("lib/X.jar", "x".getBytes());
        InstallerFormatException e = assertRefused(officialZip(files));
        assertTrue(e.getMessage().contains("duplicate entry '" + TOP + "lib/X.jar'"), e.getMessage());

        // the same name twice: ZipOutputStream will not write that, so rename an entry in the bytes
        files = officialFiles();
        files.put("lib/z.jar", "z".getBytes());
        Path zip = officialZip(files);
        byte[] bytes = Files.readAllBytes(zip);
        replaceAll(bytes, (TOP + "lib/z.jar").getBytes(), (TOP + "lib/x.jar").getBytes());
        Files.write(zip, bytes);
        e = assertRefused(zip);
        assertTrue(e.getMessage().contains("duplicate entry '" + TOP + "lib/x.jar'"), e.getMessage());
    }

    static void replaceAll(byte[] bytes, byte[] from, byte[] to) {
        assertEquals(from.length, to.length);
        int replaced = 0;
        outer:
        for (int i = 0; i + from.length <= bytes.length; i++) {
            for (int j = 0; j < from.length; j++) {
                if (bytes[i + j] != from[j]) {
                    continue outer;
                }
            }
            System.arraycopy(to, 0, bytes, i, to.length);
            replaced++;
        }
        assertEquals(2, replaced, "local header and central directory");
    }

    @Test
    void aZipBombIsRefused() throws Exception {
        assumeTools();
        Map<String, byte[]> files = officialFiles();
        files.put("lib/zeros.jar", new byte[20 << 20]); // 20 MiB of zeros deflate about 1000:1
        InstallerFormatException e = assertRefused(officialZip(files));
        assertTrue(e.getMessage().contains("zip bomb") && e.getMessage().contains("lib/zeros.jar"), e.getMessage());

        MsiInstallerFormat small = new MsiInstallerFormat(System.getenv("PATH"), System::nanoTime,
                Duration.ofMinutes(1), new Payload.Limits(5, 1L << 30, 100, 1L << 20));
        e = assertThrows(InstallerFormatException.class,
                () -> small.repackage(officialZip(), fleetFiles(), out.resolve("agent.msi")));
        assertTrue(e.getMessage().contains("more than 5 entries"), e.getMessage());
    }

    @Test
    void aBadVersionOrNoZipIsRefused() throws Exception {
        assumeTools();
        Map<String, byte[]> files = officialFiles();
        files.put("VERSION", "banana\n".getBytes());
        assertTrue(assertRefused(officialZip(files)).getMessage().contains("'banana', not a version"));
        files.put("VERSION", "1.256.0\n".getBytes());
        assertTrue(assertRefused(officialZip(files)).getMessage().contains("at most 255.255.65535"));
        files.remove("VERSION");
        assertTrue(assertRefused(officialZip(files)).getMessage().contains("no VERSION file"));

        Path notAZip = Files.write(dir.resolve("not.zip"), random(1000, 9));
        assertTrue(assertRefused(notAZip).getMessage().contains("not a readable zip archive"));
    }

    @Test
    void aFleetFileCannotReplaceAFolder() throws Exception {
        assumeTools();
        InstallerFormatException e = assertThrows(InstallerFormatException.class, () -> format().repackage(
                officialZip(), FleetFiles.of(FleetFile.of("lib", "x".getBytes())), out.resolve("agent.msi")));
        assertTrue(e.getMessage().contains("'lib' is both a file and a folder"), e.getMessage());
        assertEquals(List.of(), listed(out));
    }

    InstallerFormatException assertRefused(Path zip) throws IOException {
        Path msi = out.resolve("agent.msi");
        InstallerFormatException e = assertThrows(InstallerFormatException.class,
                () -> format().repackage(zip, fleetFiles(), msi));
        assertFalse(Files.exists(msi), "no output");
        assertEquals(List.of(), listed(out), "nothing left in the output folder");
        return e;
    }

    static List<Path> listed(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.sorted().toList();
        }
    }

    @Test
    void withoutWixlTheFormatIsUnavailableUntilItIsInstalled() throws Exception {
        Path bin = Files.createDirectory(dir.resolve("bin"));
        AtomicLong clock = new AtomicLong();
        MsiInstallerFormat format = new MsiInstallerFormat(bin.toString(), clock::get, Duration.ofSeconds(30),
                Payload.Limits.DEFAULT);

        assertEquals(Availability.unavailable(
                "wixl not found: install the Debian package wixl (apt install wixl msitools)"), format.availability());
        Path msi = out.resolve("agent.msi");
        InstallerFormatException e = assertThrows(InstallerFormatException.class,
                () -> format.repackage(officialZip(), fleetFiles(), msi));
        assertEquals(MsiInstallerFormat.WIXL_MISSING, e.getMessage());
        assertFalse(Files.exists(msi));

        // installed later: seen at the next check, at most a minute on
        script(bin.resolve("wixl"), "echo 0.101");
        clock.addAndGet(Duration.ofSeconds(30).toNanos());
        assertFalse(format.availability().available(), "not checked again within the minute");
        clock.addAndGet(Duration.ofSeconds(31).toNanos());
        // wixl alone is not enough: msibuild writes the service's recovery actions
        assertEquals(Availability.unavailable(MsiInstallerFormat.MSIBUILD_MISSING), format.availability());
        script(bin.resolve("msibuild"), "exit 0");
        clock.addAndGet(Duration.ofSeconds(61).toNanos());
        assertEquals(Availability.AVAILABLE, format.availability());
    }

    @Test
    void aWixlThatDoesNotRunMakesTheFormatUnavailableWithItsOutput() throws Exception {
        Path bin = Files.createDirectory(dir.resolve("bin"));
        script(bin.resolve("wixl"), "echo 'error while loading shared libraries: libmsi.so.0' >&2; exit 127");
        MsiInstallerFormat format = new MsiInstallerFormat(bin.toString(), System::nanoTime, Duration.ofSeconds(30),
                Payload.Limits.DEFAULT);
        String reason = format.availability().reason().orElseThrow();
        assertTrue(reason.contains("exited with 127") && reason.contains("libmsi.so.0"), reason);
    }

    @Test
    void wixlsErrorsAreInTheMessageAndNothingIsWritten() throws Exception {
        Path bin = Files.createDirectory(dir.resolve("bin"));
        // answers --version, fails every build the way wixl reports a bad source
        script(bin.resolve("wixl"), "[ \"$1\" = --version ] && { echo 0.101; exit 0; }\n"
                + "echo 'agent.wxs:12: unsupported element Frobnicate' >&2; exit 1");
        script(bin.resolve("msibuild"), "exit 0");
        MsiInstallerFormat format = new MsiInstallerFormat(bin.toString(), System::nanoTime, Duration.ofSeconds(30),
                Payload.Limits.DEFAULT);
        Path msi = out.resolve("agent.msi");
        InstallerFormatException e = assertThrows(InstallerFormatException.class,
                () -> format.repackage(officialZip(), fleetFiles(), msi));
        assertTrue(e.getMessage().startsWith("wixl could not build the MSI (exit code 1)")
                && e.getMessage().contains("unsupported element Frobnicate"), e.getMessage());
        assertEquals(List.of(), listed(out));
    }

    @Test
    void aWixlThatHangsIsStoppedAtTheTimeout() throws Exception {
        Path bin = Files.createDirectory(dir.resolve("bin"));
        script(bin.resolve("wixl"), "[ \"$1\" = --version ] && { echo 0.101; exit 0; }\nexec sleep 60");
        script(bin.resolve("msibuild"), "exit 0");
        MsiInstallerFormat format = new MsiInstallerFormat(bin.toString(), System::nanoTime, Duration.ofSeconds(1),
                Payload.Limits.DEFAULT);
        Path msi = out.resolve("agent.msi");
        InstallerFormatException e = assertThrows(InstallerFormatException.class,
                () -> format.repackage(officialZip(), fleetFiles(), msi));
        assertEquals("wixl did not finish within 1 second and was stopped", e.getMessage());
        assertEquals(List.of(), listed(out));
    }

    @Test
    void readingBackNeedsMsiextractAndAnMsi() throws Exception {
        Path bin = Files.createDirectory(dir.resolve("bin"));
        MsiInstallerFormat withoutTools = new MsiInstallerFormat(bin.toString(), System::nanoTime,
                Duration.ofSeconds(30), Payload.Limits.DEFAULT);
        Path notAnMsi = Files.write(dir.resolve("x.msi"), random(4096, 5));
        InstallerFormatException e = assertThrows(InstallerFormatException.class,
                () -> withoutTools.entries(notAnMsi));
        assertEquals(MsiInstallerFormat.MSIEXTRACT_MISSING, e.getMessage());

        assumeTools();
        e = assertThrows(InstallerFormatException.class, () -> format().entries(notAnMsi));
        assertTrue(e.getMessage().contains("not an MSI"), e.getMessage());
        e = assertThrows(InstallerFormatException.class, () -> format().readBack(notAnMsi, "etc/join-token"));
        assertTrue(e.getMessage().contains("not an MSI"), e.getMessage());
    }

    static void script(Path file, String body) throws IOException {
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void productVersionsAreTheNumericPartOfTheAgentVersion() throws Exception {
        assertEquals("0.1.0", MsiProductVersion.of("0.1.0-SNAPSHOT\n"));
        assertEquals("1.4.2", MsiProductVersion.of("1.4.2"));
        assertEquals("2.0.0", MsiProductVersion.of("2.0.0-rc.1+build.7"));
        assertEquals("255.255.65535", MsiProductVersion.of("255.255.65535"));
        for (String bad : List.of("1.2", "v1.2.3", "1.2.3.4", "", "256.0.0", "1.256.0", "1.0.65536", "01.2.3")) {
            assertThrows(InstallerFormatException.class, () -> MsiProductVersion.of(bad), bad);
        }
        assertEquals("1.4.3", WxsWriter.nextVersion("1.4.2"));
        assertEquals("1.5.0", WxsWriter.nextVersion("1.4.65535"));
        assertEquals("2.0.0", WxsWriter.nextVersion("1.255.65535"));
    }
}
