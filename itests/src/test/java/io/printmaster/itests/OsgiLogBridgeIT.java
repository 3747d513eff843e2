package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.itests.hotswapfixture.BrokenComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What Declarative Services reports reaches the log file an operator reads: a plugin whose component fails to
 * activate is dropped into a running server's plugins/, and SCR's error, with the component's exception, appears in
 * {@code <data>/logs/server.log} (through the OSGi Log Service and core's OsgiLogBridge), not only on standard error.
 */
class OsgiLogBridgeIT {

    @Test
    void anActivationErrorOfAComponentReachesTheServerLogFile(@TempDir Path staging) throws Exception {
        try (ServerProcess server = ServerProcess.start("osgi-log-bridge")) {
            Path jar = FixtureBundles.brokenComponent(staging);
            Path plugins = Files.createDirectories(server.dataDir().resolve("plugins"));
            // moved in whole: FileInstall must never see a half-written jar
            Path part = plugins.resolve(jar.getFileName() + ".part");
            Files.copy(jar, part);
            Files.move(part, plugins.resolve(jar.getFileName()), StandardCopyOption.ATOMIC_MOVE);

            Path logFile = server.dataDir().resolve("logs/server.log");
            Eventually.within(Duration.ofSeconds(60), () -> {
                assertTrue(Files.isRegularFile(logFile), logFile + " exists");
                List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
                assertTrue(lines.stream().anyMatch(l -> l.contains(" ERROR ")
                                && l.contains("osgi." + FixtureBundles.BROKEN)
                                && l.contains(BrokenComponent.class.getName())),
                        "an ERROR line of logger osgi." + FixtureBundles.BROKEN + " naming the component in "
                                + logFile + ":\n" + String.join("\n", tail(lines)));
                assertTrue(lines.stream().anyMatch(l -> l.contains(BrokenComponent.FAILURE)),
                        "the component's exception is in the log file");
            }, () -> server.isAlive() ? null : "the server exited");
        }
    }

    private static List<String> tail(List<String> lines) {
        return lines.subList(Math.max(0, lines.size() - 40), lines.size());
    }
}
