package io.printmaster.http.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.eclipse.jetty.http.HttpFields;
import org.junit.jupiter.api.Test;

class TrustedProxiesTest {

    @Test
    void addressesAndBlocksOfBothFamiliesAreMatchedByPrefix() throws Exception {
        TrustedProxies p = TrustedProxies.parse(" 10.0.0.0/8, 192.168.1.7 ,::1, 2001:db8::/32 ");
        assertTrue(p.contains(InetAddress.getByName("10.255.0.1")));
        assertFalse(p.contains(InetAddress.getByName("11.0.0.1")));
        assertTrue(p.contains(InetAddress.getByName("192.168.1.7")));
        assertFalse(p.contains(InetAddress.getByName("192.168.1.8")));
        assertTrue(p.contains(InetAddress.getByName("::1")));
        assertTrue(p.contains(InetAddress.getByName("2001:db8:ffff::5")));
        assertFalse(p.contains(InetAddress.getByName("2001:db9::5")));
        assertTrue(p.contains(new InetSocketAddress(InetAddress.getByName("10.1.2.3"), 4711)));
        assertTrue(TrustedProxies.parse("0.0.0.0/0").contains(InetAddress.getByName("203.0.113.1")));
        assertTrue(TrustedProxies.parse("").isEmpty());
        assertFalse(TrustedProxies.NONE.contains(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 1)));
    }

    @Test
    void namesAndMalformedEntriesAreRefusedNeverLookedUp() {
        for (String bad : new String[] {"localhost", "proxy.example", "10.0.0.256", "10.0.0.0/", "10.0.0.0/x", "::1/129", "1.2.3"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrustedProxies.parse("10.0.0.1," + bad), bad);
            assertTrue(e.getMessage().startsWith("'" + bad + "'"), e.getMessage());
        }
    }

    @Test
    void forwardedHopsAreReadWithPortsBracketsAndQuotes() throws Exception {
        assertEquals(InetAddress.getByName("2001:db8::1"), TrustedProxies.hopAddress("\"[2001:db8::1]:4711\"").orElseThrow());
        assertEquals(InetAddress.getByName("10.0.0.1"), TrustedProxies.hopAddress("10.0.0.1:80").orElseThrow());
        assertEquals(InetAddress.getByName("2001:db8::2"), TrustedProxies.hopAddress("2001:db8::2").orElseThrow());
        assertTrue(TrustedProxies.hopAddress("unknown").isEmpty());
        assertTrue(TrustedProxies.hopAddress("_hidden").isEmpty());
    }

    @Test
    void aTrustedPeersHeadersKeepOnlyTheNearestUntrustedHop() {
        TrustedProxies p = TrustedProxies.parse("10.0.0.0/8");
        HttpFields in = HttpFields.build()
                .add("Host", "x")
                .add("X-Forwarded-For", "6.6.6.6, 198.51.100.1")
                .add("X-Forwarded-For", "10.0.0.3")
                .add("X-Forwarded-Proto", "http, https")
                .add("Forwarded", "for=6.6.6.6, for=\"[2001:db8::9]\";proto=https, for=10.0.0.4");
        HttpFields out = TrustedProxyCustomizer.nearestHops(in, p);
        assertEquals("198.51.100.1", out.get("X-Forwarded-For"));
        assertEquals("https", out.get("X-Forwarded-Proto"));
        assertEquals("for=\"[2001:db8::9]\";proto=https", out.get("Forwarded"));
        assertEquals("x", out.get("Host"));
        HttpFields stripped = TrustedProxyCustomizer.without(in);
        assertEquals(1, stripped.size());
    }
}
