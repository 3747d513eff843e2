package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The semantic-version guard works: a copy of the API module with one incompatible change and no major bump of the
 * package's version fails the build, through the same bnd-baseline-maven-plugin configuration and baseline repository
 * (cnf/baseline-repo) as every exporting bundle. The unchanged module passing is the main build itself.
 */
class ApiBaselineIT {

    @Test
    void anIncompatibleChangeWithoutAMajorBumpFailsTheBuild() throws Exception {
        Path workspace = Path.of(System.getProperty("pm.workspace")).toAbsolutePath().normalize();
        Path copy = Path.of(System.getProperty("pm.itest.output"), "baseline-probe", "api").toAbsolutePath();
        deleteTree(copy);
        copyTree(workspace.resolve("bundles/api/pom.xml"), copy.resolve("pom.xml"));
        copyTree(workspace.resolve("bundles/api/src/main"), copy.resolve("src/main"));
        // the copy lives below itests/target: its parent is the workspace's root POM, found by its absolute path
        rewrite(copy.resolve("pom.xml"), "<relativePath>../../pom.xml</relativePath>",
                "<relativePath>" + workspace.resolve("pom.xml") + "</relativePath>");
        // VersionPin leaves the exported API (not public any more) while io.printmaster.api.version keeps 1.0.0:
        // removing a type is a major change
        Path pin = copy.resolve("src/main/java/io/printmaster/api/version/VersionPin.java");
        rewrite(pin, "public final class VersionPin", "final class VersionPin");

        Path log = copy.resolve("build.log");
        Process mvn = new ProcessBuilder("mvn", "-B", "-o", "-Dmaven.test.skip=true",
                "-Dmaven.repo.local=" + System.getProperty("org.ops4j.pax.url.mvn.localRepository"),
                "-f", copy.resolve("pom.xml").toString(), "verify")
                .directory(copy.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(mvn.waitFor(5, TimeUnit.MINUTES), "the probe build ends within 5 minutes; see " + log);
        String output = Files.readString(log, StandardCharsets.UTF_8);

        assertNotEquals(0, mvn.exitValue(), "the build must fail; its output:\n" + output);
        assertTrue(output.contains("Baseline problems detected"), "the baseline is what fails:\n" + output);
        // the report's row: package, MAJOR change, new version 1.0.0, old 1.0.0, suggested 2.0.0
        assertTrue(output.lines().anyMatch(l -> l.matches(
                        ".*\\* io\\.printmaster\\.api\\.version\\s+PACKAGE\\s+MAJOR\\s+1\\.0\\.0\\s+1\\.0\\.0\\s+2\\.0\\.0.*")),
                "the baseline names the package, the major change and the version it needs:\n" + output);
        assertEquals(List.of(), compilationErrors(output), "the copy compiles; only the baseline fails it");
    }

    private static List<String> compilationErrors(String output) {
        return output.lines().filter(l -> l.contains("COMPILATION ERROR")).toList();
    }

    private static void rewrite(Path file, String from, String to) throws IOException {
        String s = Files.readString(file, StandardCharsets.UTF_8);
        assertTrue(s.contains(from), file + " holds '" + from + "'");
        Files.writeString(file, s.replace(from, to), StandardCharsets.UTF_8);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.delete(p);
            }
        }
    }
}
