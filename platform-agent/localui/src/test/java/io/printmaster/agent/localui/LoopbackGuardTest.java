package io.printmaster.agent.localui;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LoopbackGuardTest {
    @Test
    void loopbackHostsPass() {
        for (String host : List.of("127.0.0.1", "127.0.0.1:8181", "localhost", "LOCALHOST:8181", "[::1]:8181", "127.1.2.3:1")) {
            assertTrue(LoopbackGuard.isLoopbackHost(Optional.of(host)), host);
        }
        assertTrue(LoopbackGuard.isLoopbackHost(Optional.empty()), "HTTP/1.0 without Host");
    }

    @Test
    void otherHostsAreRefused() {
        for (String host : List.of("evil.example", "evil.example:8181", "127.0.0.1.evil.example", "localhost.evil.example:8181",
                "10.0.0.5:8181", "127.0.0.256", "[::2]:8181")) {
            assertFalse(LoopbackGuard.isLoopbackHost(Optional.of(host)), host);
        }
    }

    @Test
    void onlyLoopbackHttpOriginsMayChangeThings() {
        assertTrue(LoopbackGuard.isLoopbackOrigin(Optional.empty()));
        assertTrue(LoopbackGuard.isLoopbackOrigin(Optional.of("http://127.0.0.1:8181")));
        assertTrue(LoopbackGuard.isLoopbackOrigin(Optional.of("http://localhost:18281")));
        assertFalse(LoopbackGuard.isLoopbackOrigin(Optional.of("null")));
        assertFalse(LoopbackGuard.isLoopbackOrigin(Optional.of("https://evil.example")));
        assertFalse(LoopbackGuard.isLoopbackOrigin(Optional.of("http://127.0.0.1.evil.example")));
    }
}
