package io.printmaster.agent.update.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class HostPlatformTest {
    @Test
    void platformsAndArchitecturesUseTheWireNames() {
        assertEquals("linux", HostPlatform.platform("Linux"));
        assertEquals("windows", HostPlatform.platform("Windows Server 2022"));
        assertEquals("darwin", HostPlatform.platform("Mac OS X"));
        assertEquals("freebsd", HostPlatform.platform("FreeBSD"));
        assertEquals("amd64", HostPlatform.arch("x86_64"));
        assertEquals("amd64", HostPlatform.arch("amd64"));
        assertEquals("arm64", HostPlatform.arch("aarch64"));
        assertEquals("arm64", HostPlatform.arch("arm64"));
    }
}
