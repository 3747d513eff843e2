package io.printmaster.agent.enrollment.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class HostFactsTest {
    @Test
    void platformsAndArchitecturesUseTheWireNames() {
        assertEquals("linux", HostFacts.platform("Linux"));
        assertEquals("windows", HostFacts.platform("Windows Server 2022"));
        assertEquals("darwin", HostFacts.platform("Mac OS X"));
        assertEquals("amd64", HostFacts.arch("x86_64"));
        assertEquals("amd64", HostFacts.arch("amd64"));
        assertEquals("arm64", HostFacts.arch("aarch64"));
        assertEquals("arm64", HostFacts.arch("arm64"));
    }

    @Test
    void serverUrlsAreBaseUrls() {
        assertEquals("https://h:8443", FleetFiles.serverUrl("https://h:8443//").orElseThrow().toString());
        assertEquals(java.util.Optional.empty(), FleetFiles.serverUrl("ftp://h"));
        assertEquals(java.util.Optional.empty(), FleetFiles.serverUrl("https://user:pw@h"));
    }
}
