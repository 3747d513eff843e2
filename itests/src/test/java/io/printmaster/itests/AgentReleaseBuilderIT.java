package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The releases the end-to-end test publishes are what it claims: the official archive under another version, read
 * back with {@code tar}: same files and modes, only the folder name and {@code VERSION} differ; the broken one adds
 * a bundle that can never resolve; {@code publish} leaves the archive and a matching {@code SHA256SUMS} line.
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

    private static TreeMap<String, Path> files(Path root) throws Exception {
        TreeMap<String, Path> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            s.filter(Files::isRegularFile).forEach(p -> out.put(root.relativize(p).toString(), p));
        }
        return out;
    }
}
