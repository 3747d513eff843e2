package io.printmaster.launcher;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** Regression: with its port taken, the launcher reported "started" and ran without HTTP. */
class PortCheckTest {

    @Test
    void aTakenPortFailsTheStartNamingThePort() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            FelixLauncher.PortInUseException e = assertThrows(FelixLauncher.PortInUseException.class,
                    () -> FelixLauncher.ensurePortFree("127.0.0.1", taken.getLocalPort()));
            assertTrue(e.getMessage().contains("port " + taken.getLocalPort() + " on 127.0.0.1"), e.getMessage());
            assertTrue(e.getMessage().contains("--port"), e.getMessage());
        }
    }

    @Test
    void aFreePortAndPortZeroPass() throws Exception {
        int free;
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            free = s.getLocalPort();
        }
        int port = free;
        assertDoesNotThrow(() -> FelixLauncher.ensurePortFree("127.0.0.1", port));
        assertDoesNotThrow(() -> FelixLauncher.ensurePortFree("127.0.0.1", 0));
    }
}
