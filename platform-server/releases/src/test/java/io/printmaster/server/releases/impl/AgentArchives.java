package io.printmaster.server.releases.impl;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;

/** Real agent archives for tests: a top folder with a program tree, real bundle jars, as tar.gz or zip. */
final class AgentArchives {
    private AgentArchives() {
    }

    /** A program tree (relative path → bytes) of an agent {@code version}. */
    static Map<String, byte[]> tree(String version) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("VERSION", (version + "\n").getBytes(StandardCharsets.UTF_8));
        files.put("bin/pm-agent", "#!/bin/sh\nexec java -Xmx64m -jar lib/launcher.jar\n".getBytes(StandardCharsets.UTF_8));
        files.put("bin/pm-agent.cmd", "@java -jar lib\\launcher.jar\r\n".getBytes(StandardCharsets.UTF_8));
        files.put("lib/launcher.jar", "launcher bytes".getBytes(StandardCharsets.UTF_8));
        files.put("conf/logback.xml", "<configuration/>".getBytes(StandardCharsets.UTF_8));
        files.put("bundle/io.printmaster.agent.worker-0.1.0.jar",
                bundleJar("io.printmaster.agent.worker;singleton:=true", "0.1.0.SNAPSHOT", "worker v1"));
        files.put("bundle/io.printmaster.api-0.1.0.jar", bundleJar("io.printmaster.api", "0.1.0.SNAPSHOT", "api v1"));
        files.put("bundle/org.apache.felix.scr-2.2.10.jar", bundleJar("org.apache.felix.scr", null, "scr"));
        files.put("bundle/README.txt", "not a jar: neither a bundle nor runtime".getBytes(StandardCharsets.UTF_8));
        return files;
    }

    /** A jar with an OSGi manifest ({@code version} null: no Bundle-Version header) and one class-like entry. */
    static byte[] bundleJar(String symbolicName, String version, String content) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Bundle-ManifestVersion", "2");
        m.getMainAttributes().putValue("Bundle-SymbolicName", symbolicName);
        if (version != null) {
            m.getMainAttributes().putValue("Bundle-Version", version);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes, m)) {
            jar.putNextEntry(new JarEntry("io/example/Content.txt"));
            jar.write(content.getBytes(StandardCharsets.UTF_8));
            jar.closeEntry();
        }
        return bytes.toByteArray();
    }

    static byte[] tarGz(String version, Map<String, byte[]> files) throws IOException {
        return tarGz("agent", version, files);
    }

    /** A tar.gz of {@code component}'s program tree (top folder {@code printmaster-<component>-<version>/}). */
    static byte[] tarGz(String component, String version, Map<String, byte[]> files) throws IOException {
        String top = "printmaster-" + component + "-" + version + "/";
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.putArchiveEntry(new TarArchiveEntry(top));
            tar.closeArchiveEntry();
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                TarArchiveEntry e = new TarArchiveEntry(top + f.getKey());
                e.setSize(f.getValue().length);
                e.setMode(f.getKey().startsWith("bin/") ? 0100755 : 0100644);
                tar.putArchiveEntry(e);
                tar.write(f.getValue());
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    static byte[] zip(String version, Map<String, byte[]> files) throws IOException {
        String top = "printmaster-agent-" + version + "/";
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(bytes)) {
            zip.putArchiveEntry(new ZipArchiveEntry(top));
            zip.closeArchiveEntry();
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                zip.putArchiveEntry(new ZipArchiveEntry(top + f.getKey()));
                zip.write(f.getValue());
                zip.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }
}
