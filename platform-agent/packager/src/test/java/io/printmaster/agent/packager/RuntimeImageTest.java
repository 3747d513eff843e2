package io.printmaster.agent.packager;

import static io.printmaster.agent.packager.OfficialArchivesTest.run;
import static io.printmaster.agent.packager.OfficialArchivesTest.tool;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.printmaster.agent.packager.AgentPackager.Target;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled runtime with the real jlink of the JDK running the tests (a small image: {@code java.base} only), read
 * back with {@code tar}; the choice of JDK per platform and its refusals; the modules found from the jars.
 */
class RuntimeImageTest {
    static final Instant MTIME = Instant.parse("2025-01-01T00:00:00Z");
    static final Path BUILD_JDK = Path.of(System.getProperty("java.home"));
    static final String VERSION = "1.2.3";
    static final String TOP = "printmaster-agent-" + VERSION;

    @TempDir
    Path tmp;
    Path dist;
    Path scripts;
    Path service;
    final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    final PrintStream log = new PrintStream(logBytes, true, StandardCharsets.UTF_8);

    @BeforeEach
    void layout() throws IOException {
        dist = tmp.resolve("printmaster-agent");
        for (String dir : List.of("lib", "bundle", "conf")) {
            Files.createDirectories(dist.resolve(dir));
        }
        Files.writeString(dist.resolve("conf/logback.xml"), "<configuration/>");
        Files.writeString(dist.resolve("VERSION"), VERSION);
        scripts = Files.createDirectories(tmp.resolve("scripts"));
        Files.writeString(scripts.resolve("pm-agent"), "#!/bin/sh\n");
        Files.writeString(scripts.resolve("pm-agent.cmd"), "@echo off\r\n");
        service = Files.createDirectories(tmp.resolve("service"));
        for (String f : List.of("printmaster-agent.service", "io.printmaster.agent.plist", "printmaster-agent-service.xml")) {
            Files.writeString(service.resolve(f), f);
        }
    }

    static boolean buildJdkHasJmods() {
        return Files.isRegularFile(BUILD_JDK.resolve("jmods/java.base.jmod"));
    }

    private RuntimeImage.Built javaBaseImage(Path cache) throws IOException {
        return RuntimeImage.build(Target.LINUX_AMD64, BUILD_JDK, List.of("java.base"), cache, log);
    }

    @Test
    void theLinuxArchiveCarriesAnExecutableJavaAndNoLinksTheOthersNoRuntime() throws Exception {
        assumeTrue(buildJdkHasJmods() && RuntimeImage.host().equals(Optional.of(Target.LINUX_AMD64)),
                "needs a linux-amd64 JDK with jmods/");
        assumeTrue(tool("tar"));
        RuntimeImage.Built built = javaBaseImage(tmp.resolve("runtime/linux-amd64"));
        try (Stream<Path> all = Files.walk(built.image())) {
            assertEquals(List.of(), all.filter(Files::isSymbolicLink).toList(), "links were replaced by copies");
        }
        Map<String, Path> written = new AgentPackager(dist, scripts, service, VERSION, MTIME, Optional.empty())
                .withRuntimes(Map.of(Target.LINUX_AMD64, built.image())).writeAll(tmp.resolve("out"));

        Path linux = written.get(Target.LINUX_AMD64.fileName(VERSION));
        List<String> lines = run(tmp, "tar", "-tzvf", linux.toString()).output().lines().toList();
        assertTrue(line(lines, TOP + "/runtime/bin/java").startsWith("-rwxr-xr-x 0/0"), String.join("\n", lines));
        assertTrue(line(lines, TOP + "/runtime/lib/jspawnhelper").startsWith("-rwxr-xr-x"),
                "the helper every child process starts through stays executable");
        assertTrue(line(lines, TOP + "/runtime/lib/modules").startsWith("-rw-r--r-- 0/0"));
        assertTrue(line(lines, TOP + "/runtime/release").startsWith("-rw-r--r--"));
        assertTrue(lines.stream().noneMatch(l -> l.startsWith("l") || l.startsWith("h")), "no links in the archive");

        // unpacked with tar, the runtime runs
        run(tmp, "mkdir", "unpacked");
        assertEquals(0, run(tmp.resolve("unpacked"), "tar", "-xzf", linux.toString()).code());
        OfficialArchivesTest.Result version = run(tmp, tmp.resolve("unpacked/" + TOP + "/runtime/bin/java").toString(),
                "--list-modules");
        assertEquals(0, version.code(), version.output());
        assertTrue(version.output().startsWith("java.base@" + Runtime.version().feature()), version.output());

        for (Target other : List.of(Target.LINUX_ARM64, Target.DARWIN_ARM64)) {
            List<String> names = run(tmp, "tar", "-tzf", written.get(other.fileName(VERSION)).toString()).output()
                    .lines().toList();
            assertTrue(names.stream().noneMatch(n -> n.contains("/runtime/")), other + ": " + names);
        }
    }

    @Test
    void sameInputsReuseTheCachedImageAndGiveTheSameArchiveBytes() throws Exception {
        assumeTrue(buildJdkHasJmods() && RuntimeImage.host().equals(Optional.of(Target.LINUX_AMD64)));
        Path cache = tmp.resolve("runtime/linux-amd64");
        RuntimeImage.Built first = javaBaseImage(cache);
        Path marker = Files.writeString(first.image().resolve("left-by-the-test"), "x");
        RuntimeImage.Built again = javaBaseImage(cache);
        assertEquals(first.image(), again.image());
        assertTrue(Files.exists(marker), "jlink did not run again: the image was taken from the cache");
        assertTrue(logBytes.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("jlink made")).count() == 1,
                logBytes.toString(StandardCharsets.UTF_8));
        Files.delete(marker);

        // another jlink run into another folder: byte-identical archives (reproducible builds, and the same
        // runtime_sha256 for every build of the same inputs, so a rebuilt release can still be hot-swapped)
        RuntimeImage.Built other = javaBaseImage(tmp.resolve("elsewhere/linux-amd64"));
        byte[] a = archive(first.image(), tmp.resolve("a"));
        byte[] b = archive(other.image(), tmp.resolve("b"));
        assertArrayEquals(a, b, "the same inputs give the same archive");

        // a changed module list makes a new image
        RuntimeImage.build(Target.LINUX_AMD64, BUILD_JDK, List.of("java.base", "java.logging"), cache, log);
        assertTrue(Files.readString(first.image().resolve("release")).contains("java.logging"));
    }

    private byte[] archive(Path image, Path out) throws IOException {
        Map<String, Path> written = new AgentPackager(dist, scripts, service, VERSION, MTIME, Optional.empty())
                .withRuntimes(Map.of(Target.LINUX_AMD64, image)).writeAll(out);
        return Files.readAllBytes(written.get(Target.LINUX_AMD64.fileName(VERSION)));
    }

    @Test
    void aJdkOfAnotherPlatformOrWithoutJmodsIsRefusedNamingTheProperty() throws Exception {
        assumeTrue(buildJdkHasJmods() && RuntimeImage.host().equals(Optional.of(Target.LINUX_AMD64)));
        IOException wrongPlatform = assertThrows(IOException.class, () -> RuntimeImage.build(Target.LINUX_ARM64,
                BUILD_JDK, List.of("java.base"), tmp.resolve("arm"), log));
        assertTrue(wrongPlatform.getMessage().startsWith("pm.jdk.linux-arm64: ")
                && wrongPlatform.getMessage().contains("is for linux-amd64, not linux-aarch64"), wrongPlatform.getMessage());

        Path noJmods = Files.createDirectories(tmp.resolve("jre"));
        IOException missing = assertThrows(IOException.class, () -> RuntimeImage.build(Target.WINDOWS_AMD64, noJmods,
                List.of("java.base"), tmp.resolve("win"), log));
        assertTrue(missing.getMessage().startsWith("pm.jdk.windows-amd64: ") && missing.getMessage().contains("jmods"),
                missing.getMessage());
        // the build's own JDK without jmods is a warning: that archive has no runtime, the build goes on
        Map<Target, RuntimeImage.Built> built = RuntimeImage.buildAll(dist,
                Map.of(Target.LINUX_AMD64, new RuntimeImage.Jdk(noJmods, false)), tmp.resolve("rt"), log);
        assertTrue(built.isEmpty());
        assertTrue(logBytes.toString(StandardCharsets.UTF_8).contains("WITHOUT runtime/"), logBytes.toString());
    }

    @Test
    void eachPlatformTakesItsPropertyTheHostDefaultsToTheBuildJdkAndNoneSwitchesItOff() {
        Map<Target, RuntimeImage.Jdk> jdks = RuntimeImage.jdks(AgentPackager.platformValues(
                "linux-amd64=;linux-arm64=/opt/jdk-arm;darwin-arm64=;windows-amd64="), BUILD_JDK,
                Optional.of(Target.LINUX_AMD64));
        assertEquals(Map.of(Target.LINUX_AMD64, new RuntimeImage.Jdk(BUILD_JDK, false),
                Target.LINUX_ARM64, new RuntimeImage.Jdk(Path.of("/opt/jdk-arm"), true)), jdks);
        assertEquals(Map.of(), RuntimeImage.jdks(Map.of("linux-amd64", "none"), BUILD_JDK, Optional.of(Target.LINUX_AMD64)));
        assertEquals(Map.of(), RuntimeImage.jdks(Map.of(), BUILD_JDK, Optional.empty()), "an unofficial host: none");
        IllegalArgumentException typo = assertThrows(IllegalArgumentException.class,
                () -> RuntimeImage.jdks(Map.of("linux-x64", "/opt/jdk"), BUILD_JDK, Optional.empty()));
        assertTrue(typo.getMessage().contains("pm.jdk.linux-x64") && typo.getMessage().contains("linux-amd64"),
                typo.getMessage());

        assertTrue(RuntimeImage.describe("a.tar.gz", Target.DARWIN_ARM64, null).contains("-Dpm.jdk.darwin-arm64="));
        assertTrue(RuntimeImage.describe("a.tar.gz", Target.LINUX_AMD64, new RuntimeImage.Built(Target.LINUX_AMD64,
                tmp, "17.0.15", List.of("java.base"))).contains("WITH runtime/ (Java 17.0.15"));
    }

    @Test
    void theModulesComeFromTheClassesAndTheJdkPackagesTheBundlesImport() throws Exception {
        // a bundle importing JDK packages (versioned ranges hold commas inside quotes; two packages in one clause)
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().putValue("Import-Package", "java.sql;javax.naming;version=\"[1.0,2)\","
                + "org.osgi.framework;version=\"[1.9,2)\",sun.misc;resolution:=optional,java.util");
        Path bundle = dist.resolve("bundle/b.jar");
        try (OutputStream out = Files.newOutputStream(bundle); JarOutputStream jar = new JarOutputStream(out, mf)) {
            jar.putNextEntry(new JarEntry("x/Nothing.txt"));
            jar.write("no classes".getBytes(StandardCharsets.UTF_8));
        }
        assertEquals(List.of("java.sql", "javax.naming", "org.osgi.framework", "sun.misc", "java.util"),
                RuntimeModules.importedPackages(bundle));
        // a launcher jar whose classes use java.net.http
        Path launcher = dist.resolve("lib/launcher.jar");
        byte[] cls = classBytes(UsesHttpClient.class);
        try (OutputStream out = Files.newOutputStream(launcher); JarOutputStream jar = new JarOutputStream(out)) {
            jar.putNextEntry(new JarEntry(UsesHttpClient.class.getName().replace('.', '/') + ".class"));
            jar.write(cls);
        }

        List<String> modules = RuntimeModules.of(dist, tmp.resolve("work"));

        assertTrue(modules.containsAll(Set.of("java.sql", "java.naming", "jdk.unsupported", "java.net.http",
                "jdk.crypto.ec")), modules.toString());
        assertFalse(modules.contains("java.desktop"), "nothing asked for it: " + modules);
        assertFalse(Files.exists(tmp.resolve("work/jdeps-classes")), "the unpacked classes are removed");
    }

    private static byte[] classBytes(Class<?> c) throws IOException {
        try (var in = c.getResourceAsStream(c.getName().substring(c.getName().lastIndexOf('.') + 1) + ".class")) {
            return in.readAllBytes();
        }
    }

    /** A class the jdeps test analyses: it refers to {@code java.net.http}. */
    static final class UsesHttpClient {
        Object client() {
            return java.net.http.HttpClient.newHttpClient();
        }
    }

    private static String line(List<String> lines, String path) {
        return lines.stream().filter(l -> l.endsWith(" " + path)).findFirst()
                .orElseThrow(() -> new AssertionError(path + " not listed in\n" + String.join("\n", lines)));
    }
}
