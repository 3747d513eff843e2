package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two builds of the same commit give the same bundle, byte for byte: the module is built a second time into another
 * folder (same sources, same local repository) and its jar compared with the reactor's. Its Bundle-Version is not
 * the build's time but the time of the last commit that changed the module (cnf/build.bnd), so a bundle that did not
 * change between two commits is also the same jar, and a hot-swap (sha256 of bundle jars) leaves it alone.
 */
class ReproducibleBundlesIT {
    private static final DateTimeFormatter QUALIFIER = DateTimeFormatter.ofPattern("yyyyMMddHHmmss").withZone(ZoneOffset.UTC);

    @ParameterizedTest
    @ValueSource(strings = {"bundles/core", "bundles/http"})
    void aSecondBuildOfTheSameCommitGivesTheSameJar(String module) throws Exception {
        Path workspace = Path.of(System.getProperty("pm.workspace")).toAbsolutePath().normalize();
        Path reactorJar = jarIn(workspace.resolve(module).resolve("target"));
        Path again = Path.of(System.getProperty("pm.itest.output"), "rebuild", module.replace('/', '-')).toAbsolutePath();

        Path log = Files.createDirectories(again.getParent()).resolve(module.replace('/', '-') + ".log");
        Process mvn = new ProcessBuilder("mvn", "-B", "-o", "-Dmaven.test.skip=true",
                "-Dmaven.repo.local=" + System.getProperty("org.ops4j.pax.url.mvn.localRepository"),
                "-Dpm.build.dir=" + again, "-f", workspace.resolve(module).resolve("pom.xml").toString(), "package")
                .directory(workspace.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(mvn.waitFor(5, TimeUnit.MINUTES), "the second build ends within 5 minutes; see " + log);
        assertEquals(0, mvn.exitValue(), "the second build succeeds:\n" + Files.readString(log, StandardCharsets.UTF_8));
        Path secondJar = jarIn(again);

        assertEquals(FixtureBundles.sha256(reactorJar), FixtureBundles.sha256(secondJar),
                reactorJar + " and " + secondJar + " differ");

        String version = bundleVersion(reactorJar);
        String commitTime = lastCommitSeconds(workspace, module);
        if (!commitTime.isEmpty()) {
            String expected = QUALIFIER.format(Instant.ofEpochSecond(Long.parseLong(commitTime)));
            assertTrue(version.endsWith("." + expected), "Bundle-Version " + version + " has the qualifier of the"
                    + " module's last commit, " + expected);
        } else {
            assertTrue(version.endsWith(".SNAPSHOT"), "without git history the qualifier is SNAPSHOT: " + version);
        }
    }

    private static Path jarIn(Path target) throws IOException {
        try (var s = Files.list(target)) {
            return s.filter(p -> p.getFileName().toString().matches("io\\.printmaster\\..*\\.jar")
                    && !p.getFileName().toString().endsWith("-tests.jar")).findFirst()
                    .orElseThrow(() -> new AssertionError("no bundle jar in " + target));
        }
    }

    private static String bundleVersion(Path jar) throws IOException {
        try (JarFile f = new JarFile(jar.toFile())) {
            return f.getManifest().getMainAttributes().getValue("Bundle-Version");
        }
    }

    /** What cnf/build.bnd asks git: the last commit touching the module or the shared bnd files, "" when none. */
    private static String lastCommitSeconds(Path workspace, String module) throws Exception {
        Process git;
        try {
            git = new ProcessBuilder("git", "log", "-1", "--format=%ct", "--", ".",
                    workspace.resolve("bnd.bnd").toString(), workspace.resolve("cnf/build.bnd").toString())
                    .directory(workspace.resolve(module).toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException noGit) {
            return ""; // no git on this machine: the build fell back to SNAPSHOT as well
        }
        String out = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(git.waitFor(1, TimeUnit.MINUTES));
        return git.exitValue() == 0 ? out : "";
    }
}
