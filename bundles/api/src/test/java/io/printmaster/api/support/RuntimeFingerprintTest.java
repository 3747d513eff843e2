package io.printmaster.api.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runtime fingerprint: what a restart depends on, computed the same way over a folder and over a file list. */
class RuntimeFingerprintTest {
    @TempDir
    Path program;

    @Test
    void onlyTheRuntimeFilesCountAndTheFolderGivesTheDocumentedHash() throws Exception {
        write("bin/pm-agent", "#!/bin/sh\nexec java -Xmx64m\n");
        write("lib/launcher.jar", "launcher");
        write("conf/logback.xml", "<configuration/>");
        String before = RuntimeFingerprint.ofProgramFolder(program);

        // the documented rule, by hand
        String text = "bin/pm-agent\0" + sha("#!/bin/sh\nexec java -Xmx64m\n") + "\n"
                + "conf/logback.xml\0" + sha("<configuration/>") + "\n"
                + "lib/launcher.jar\0" + sha("launcher") + "\n";
        assertEquals(sha(text), before);
        assertEquals(before, RuntimeFingerprint.of(Map.of("lib/launcher.jar", sha("launcher"),
                "bin/pm-agent", sha("#!/bin/sh\nexec java -Xmx64m\n"), "conf/logback.xml", sha("<configuration/>"))));

        // bundles, the version, an installation's fleet files, data and other versions do not count
        write("bundle/io.printmaster.agent.worker.jar", "worker 2");
        write("VERSION", "1.2.3");
        write("etc/join-token", "pmj_secret");
        write("data/logs/agent.log", "log");
        write("data.keys/master.key", "the agent's master key, beside its data folder");
        write("versions/1.2.4/bin/pm-agent", "other");
        assertEquals(before, RuntimeFingerprint.ofProgramFolder(program));

        // new JVM options do
        write("bin/pm-agent", "#!/bin/sh\nexec java -Xmx128m\n");
        assertNotEquals(before, RuntimeFingerprint.ofProgramFolder(program));
        assertTrue(RuntimeFingerprint.belongsToRuntime("service/printmaster-agent.service"));
        assertFalse(RuntimeFingerprint.belongsToRuntime("bundle/notes.txt"));
    }

    private void write(String relative, String content) throws Exception {
        Path p = program.resolve(relative);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
    }

    private static String sha(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }
}
