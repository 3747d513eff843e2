package io.printmaster.agent.enrollment.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class HostFactsTest {
    @Test
    void serverUrlsAreBaseUrls() {
        assertEquals("https://h:8443", FleetFiles.serverUrl("https://h:8443//").orElseThrow().toString());
        assertEquals(java.util.Optional.empty(), FleetFiles.serverUrl("ftp://h"));
        assertEquals(java.util.Optional.empty(), FleetFiles.serverUrl("https://user:pw@h"));
    }
}
