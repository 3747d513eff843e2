package io.printmaster.agent.update.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeliveredPluginTest {
    @TempDir
    Path plugins;

    @Test
    void listsTheJarsThatNameAReleaseStreamWithTheirReleaseVersion() throws Exception {
        jar("a-label.jar", Map.of("Bundle-SymbolicName", "com.acme.label;singleton:=true", "Bundle-Version",
                "1.2.0.20261127", DeliveredPlugin.HEADER, "acme-label"));
        jar("b-by-hand.jar", Map.of("Bundle-SymbolicName", "com.acme.tool", "Bundle-Version", "2.0.0"));
        jar("c-bad-name.jar", Map.of("Bundle-SymbolicName", "com.acme.bad", DeliveredPlugin.HEADER, "Acme Label"));
        jar("d-agent.jar", Map.of("Bundle-SymbolicName", "com.acme.sneaky", DeliveredPlugin.HEADER, "agent"));
        jar("e-short-version.jar", Map.of("Bundle-SymbolicName", "com.acme.queue", "Bundle-Version", "3.1",
                DeliveredPlugin.HEADER, "acme-queue"));
        jar("f-same-stream.jar", Map.of("Bundle-SymbolicName", "com.acme.label2", DeliveredPlugin.HEADER, "acme-label"));
        Files.writeString(plugins.resolve("g-not-a-jar.jar"), "text");

        assertEquals(List.of(
                new DeliveredPlugin("acme-label", "1.2.0", "com.acme.label", plugins.resolve("a-label.jar")),
                new DeliveredPlugin("acme-queue", "3.1.0", "com.acme.queue", plugins.resolve("e-short-version.jar"))),
                DeliveredPlugin.scan(plugins));
    }

    @Test
    void aMissingFolderHasNoPlugins() {
        assertEquals(List.of(), DeliveredPlugin.scan(plugins.resolve("missing")));
        assertEquals("0.0.0", DeliveredPlugin.releaseVersion(null));
        assertEquals("0.0.0", DeliveredPlugin.releaseVersion("x"));
    }

    private void jar(String name, Map<String, String> headers) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        headers.forEach((k, v) -> m.getMainAttributes().putValue(k, v));
        try (OutputStream out = Files.newOutputStream(plugins.resolve(name)); JarOutputStream j = new JarOutputStream(out, m)) {
            j.flush();
        }
    }
}
