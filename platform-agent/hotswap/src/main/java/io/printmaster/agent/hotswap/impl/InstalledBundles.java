package io.printmaster.agent.hotswap.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.agent.files.Digests;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * The program bundles that run, by symbolic name: the SHA-256 of the bytes each was installed from, its framework
 * location, and the jar on disk holding those bytes (the rollback's source). {@code <data>/update/installed-bundles.json}.
 *
 * <p>The file belongs to one framework instance ({@code framework_uuid}): the launcher reinstalls everything from the
 * program dir at every start, so a record of an earlier process says nothing about this one and is rebuilt from the
 * program dir's jars. {@code release} is the agent release these bundles are: the one the process started with, then the
 * one each successful swap went to.
 */
record InstalledBundles(String frameworkUuid, String release, Map<String, Entry> bundles) {

    /** One installed program bundle. */
    record Entry(String sha256, String location, Path jar) {
    }

    InstalledBundles {
        bundles = Collections.unmodifiableMap(new TreeMap<>(bundles));
    }

    /** The launcher's view: every jar of {@code programDir/bundle}, at the location the launcher installs it from. */
    static InstalledBundles fromProgramDir(String frameworkUuid, String release, Path programDir) throws IOException {
        Path dir = programDir.resolve("bundle");
        Map<String, Entry> bundles = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path jar : s.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList()) {
                byte[] bytes = Files.readAllBytes(jar);
                Optional<String> name = symbolicName(bytes);
                if (name.isPresent()) {
                    bundles.put(name.get(), new Entry(Digests.sha256Hex(bytes), jar.toUri().toString(), jar));
                }
            }
        }
        return new InstalledBundles(frameworkUuid, release, bundles);
    }

    /** The record, when the file exists and belongs to the framework {@code frameworkUuid}. */
    static Optional<InstalledBundles> read(Path file, String frameworkUuid) throws IOException {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        if (!frameworkUuid.equals(root.path("framework_uuid").asText())) {
            return Optional.empty();
        }
        Map<String, Entry> bundles = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("bundles").fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode b = e.getValue();
            bundles.put(e.getKey(), new Entry(b.path("sha256").asText(), b.path("location").asText(),
                    Path.of(b.path("jar").asText())));
        }
        String release = root.path("release").asText("");
        return Optional.of(new InstalledBundles(frameworkUuid, release.isBlank() ? null : release, bundles));
    }

    void write(Path file) throws IOException {
        Map<String, Object> list = new LinkedHashMap<>();
        bundles.forEach((name, e) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("sha256", e.sha256());
            m.put("location", e.location());
            m.put("jar", e.jar().toString());
            list.put(name, m);
        });
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("framework_uuid", frameworkUuid);
        if (release != null) {
            root.put("release", release);
        }
        root.put("bundles", list);
        JsonText.writeAtomically(file, root);
    }

    /** {symbolic name → sha256}, as the journal records a set. */
    Map<String, Object> hashes() {
        Map<String, Object> m = new TreeMap<>();
        bundles.forEach((name, e) -> m.put(name, e.sha256()));
        return m;
    }

    /** The {@code Bundle-SymbolicName} of a jar, without directives; empty when it is not a bundle. */
    static Optional<String> symbolicName(byte[] jar) throws IOException {
        try (InputStream in = new java.io.ByteArrayInputStream(jar); JarInputStream j = new JarInputStream(in)) {
            Manifest m = j.getManifest();
            String name = m == null ? null : m.getMainAttributes().getValue("Bundle-SymbolicName");
            if (name == null || name.isBlank()) {
                return Optional.empty();
            }
            int semicolon = name.indexOf(';');
            return Optional.of((semicolon >= 0 ? name.substring(0, semicolon) : name).trim());
        }
    }
}
