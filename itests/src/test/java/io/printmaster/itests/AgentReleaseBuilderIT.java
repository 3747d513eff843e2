package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.support.RuntimeFingerprint;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The releases the end-to-end test publishes are what it claims: the official archive under another version, read
 * back with {@code tar}: same files and modes, only the folder name and {@code VERSION} differ; the broken one adds
 * a bundle that can never resolve; {@code publish} leaves the archive and a matching {@code SHA256SUMS} line. A
 * release changing bundles differs in those jars only (still valid bundles, new bytes) and keeps the official
 * runtime fingerprint, so agents hot-swap it; a runtime change gets another fingerprint, so agents install it whole.
 */
class AgentReleaseBuilderIT {
    @TempDir
    Path work;

    @Test
    void aReleaseOfAnotherVersionIsTheOfficialArchiveWithItsNameAndVersionChanged() throws Exception {
        AgentReleaseBuilder builder = AgentReleaseBuilder.fromBuild();
        String built = builder.builtVersion();
        Path official = Path.of(System.getProperty("pm.agent.releases")).resolve(AgentReleaseBuilder.assetName(built));
        Path officialRoot = AgentInstallation.unpack(official, work.resolve("official"));

        Path release = builder.write(Files.createDirectories(work.resolve("out")), "0.1.1", false);
        assertEquals("printmaster-agent-v0.1.1-" + AgentReleaseBuilder.platform() + ".tar.gz", release.getFileName().toString());
        Path root = AgentInstallation.unpack(release, work.resolve("new"));
        assertEquals("printmaster-agent-0.1.1", root.getFileName().toString());
        assertEquals("0.1.1", Files.readString(root.resolve("VERSION")).strip());

        TreeMap<String, Path> before = files(officialRoot);
        TreeMap<String, Path> after = files(root);
        assertEquals(before.keySet(), after.keySet(), "the same files");
        for (var e : before.entrySet()) {
            if (e.getKey().equals("VERSION")) {
                continue;
            }
            Path mine = after.get(e.getKey());
            assertArrayEquals(Files.readAllBytes(e.getValue()), Files.readAllBytes(mine), e.getKey());
            assertEquals(Files.getPosixFilePermissions(e.getValue()), Files.getPosixFilePermissions(mine), e.getKey());
        }
        assertTrue(Files.isExecutable(root.resolve("bin/pm-agent")));
    }

    @Test
    void aBrokenReleaseCarriesABundleThatImportsAPackageNobodyExports() throws Exception {
        Path folder = Files.createDirectories(work.resolve("releases"));
        AgentReleaseBuilder builder = AgentReleaseBuilder.fromBuild();
        Path good = builder.publish(folder, "0.1.1", false);
        Path broken = builder.publish(folder, "0.1.2", true);

        Path root = AgentInstallation.unpack(broken, work.resolve("broken"));
        byte[] jar = Files.readAllBytes(root.resolve(AgentReleaseBuilder.BROKEN_BUNDLE));
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar))) {
            Manifest m = in.getManifest();
            assertEquals("2", m.getMainAttributes().getValue("Bundle-ManifestVersion"));
            assertEquals(AgentReleaseBuilder.BROKEN_BUNDLE_SYMBOLIC_NAME, m.getMainAttributes().getValue("Bundle-SymbolicName"));
            assertEquals("io.printmaster.does.not.exist", m.getMainAttributes().getValue("Import-Package"));
        }
        Path goodRoot = AgentInstallation.unpack(good, work.resolve("good"));
        assertFalse(Files.exists(goodRoot.resolve(AgentReleaseBuilder.BROKEN_BUNDLE)));

        // what the directory source and sha256sum -c read
        String sums = Tools.run(List.of("sh", "-c", "cd '" + folder + "' && sha256sum -c SHA256SUMS"));
        assertTrue(sums.contains(good.getFileName() + ": OK") && sums.contains(broken.getFileName() + ": OK"), sums);
        try (Stream<Path> s = Files.list(folder)) {
            assertEquals(List.of("SHA256SUMS", good.getFileName().toString(), broken.getFileName().toString()),
                    s.map(p -> p.getFileName().toString()).sorted().toList(), "no temporary files left");
        }
    }

    @Test
    void aReleaseChangingABundleDiffersInThatJarOnlyAndKeepsTheRuntimeFingerprint() throws Exception {
        AgentReleaseBuilder builder = AgentReleaseBuilder.fromBuild();
        Path official = Path.of(System.getProperty("pm.agent.releases")).resolve(AgentReleaseBuilder.assetName(builder.builtVersion()));
        String changed = "io.printmaster.agent.localui";
        Path release = builder.write(Files.createDirectories(work.resolve("out")), "0.1.1",
                AgentReleaseBuilder.Changes.bundles(changed));

        Map<String, String> before = AgentReleaseBuilder.bundleHashes(official);
        Map<String, String> after = AgentReleaseBuilder.bundleHashes(release);
        assertEquals(before.keySet(), after.keySet(), "the same bundles");
        for (String name : before.keySet()) {
            assertEquals(name.equals(changed), !before.get(name).equals(after.get(name)), "only " + changed + " has new bytes: " + name);
        }

        Path officialRoot = AgentInstallation.unpack(official, work.resolve("official"));
        Path root = AgentInstallation.unpack(release, work.resolve("new"));
        assertEquals(files(officialRoot).keySet(), files(root).keySet(), "the same files");
        assertEquals(RuntimeFingerprint.ofProgramFolder(officialRoot), RuntimeFingerprint.ofProgramFolder(root),
                "the runtime is the official one: a hot swap");

        Path jar = files(root).entrySet().stream().filter(e -> e.getKey().startsWith("bundle/io.printmaster.agent.localui-"))
                .map(Map.Entry::getValue).findFirst().orElseThrow();
        Path officialJar = officialRoot.resolve(root.relativize(jar).toString());
        try (JarInputStream mine = new JarInputStream(Files.newInputStream(jar));
             JarInputStream theirs = new JarInputStream(Files.newInputStream(officialJar))) {
            assertEquals(theirs.getManifest(), mine.getManifest(), "the same manifest: the same bundle");
        }
        List<String> officialEntries = entries(officialJar);
        List<String> entries = entries(jar);
        assertEquals(officialEntries, entries.subList(0, entries.size() - 1), "every entry kept, in order");
        assertEquals(AgentReleaseBuilder.CHANGE_MARKER, entries.get(entries.size() - 1));
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(jar))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                if (e.getName().equals(AgentReleaseBuilder.CHANGE_MARKER)) {
                    assertTrue(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).contains("0.1.1"));
                }
            }
        }
    }

    @Test
    void aReleaseChangingTheRuntimeAddsATopLevelFileAndGetsAnotherFingerprint() throws Exception {
        AgentReleaseBuilder builder = AgentReleaseBuilder.fromBuild();
        Path official = Path.of(System.getProperty("pm.agent.releases")).resolve(AgentReleaseBuilder.assetName(builder.builtVersion()));
        Path release = builder.write(Files.createDirectories(work.resolve("out")), "0.1.1",
                AgentReleaseBuilder.Changes.fullInstall());
        assertEquals(AgentReleaseBuilder.bundleHashes(official), AgentReleaseBuilder.bundleHashes(release), "the same bundles");
        Path officialRoot = AgentInstallation.unpack(official, work.resolve("official"));
        Path root = AgentInstallation.unpack(release, work.resolve("new"));
        assertEquals("Test release 0.1.1", Files.readString(root.resolve(AgentReleaseBuilder.RUNTIME_CHANGE_FILE)).strip());
        assertFalse(RuntimeFingerprint.ofProgramFolder(officialRoot).equals(RuntimeFingerprint.ofProgramFolder(root)),
                "another runtime: a full install");
    }

    @Test
    void aBundleNotInTheArchiveIsRefused() throws Exception {
        AgentReleaseBuilder builder = AgentReleaseBuilder.fromBuild();
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> builder.write(Files.createDirectories(work.resolve("out")), "0.1.1",
                        AgentReleaseBuilder.Changes.bundles("io.printmaster.no.such.bundle")));
        assertTrue(e.getMessage().contains("io.printmaster.no.such.bundle"), e.getMessage());
    }

    private static List<String> entries(Path jar) throws Exception {
        List<String> names = new java.util.ArrayList<>();
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(jar))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                names.add(e.getName());
            }
        }
        return names;
    }

    private static TreeMap<String, Path> files(Path root) throws Exception {
        TreeMap<String, Path> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            s.filter(Files::isRegularFile).forEach(p -> out.put(root.relativize(p).toString(), p));
        }
        return out;
    }
}
