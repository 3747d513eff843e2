package io.printmaster.core.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlainHttpRuleTest {
    @Test
    void loopbackByTheUrlsTextOnly() {
        for (String url : List.of("http://127.0.0.1:8080", "http://127.8.9.10", "http://localhost:8080", "http://LOCALHOST",
                "http://localhost.:1", "http://[::1]:8080", "http://[0:0:0:0:0:0:0:1]", "http://[0000::1]/base",
                "http://[::ffff:127.0.0.1]:80")) {
            assertTrue(PlainHttpRule.refusal(URI.create(url), false).isEmpty(), url);
        }
    }

    @Test
    void everyOtherHostIsRemoteEvenNamesThatLookLocal() {
        for (String url : List.of("http://10.0.0.5:8080", "http://192.168.1.2", "http://printmaster.example.com",
                "http://localhost.example.com", "http://my-localhost", "http://128.0.0.1", "http://[::2]",
                "http://[::ffff:10.0.0.1]", "http://0.0.0.0:8080", "http://127.1", "http://2130706433",
                "http://[fe80::1]", "http://127.0.0.1.nip.io")) {
            assertTrue(PlainHttpRule.refusal(URI.create(url), false).isPresent(), url);
        }
    }

    @Test
    void httpsIsAlwaysFineAndTheSettingAllowsPlainHttpAnywhere() {
        assertTrue(PlainHttpRule.refusal(URI.create("https://printmaster.example.com"), false).isEmpty());
        assertTrue(PlainHttpRule.refusal(URI.create("http://printmaster.example.com"), true).isEmpty());
    }

    @Test
    void theRefusalSaysWhatToDo() {
        String why = PlainHttpRule.refusal(URI.create("http://10.0.0.5:8080"), false).orElseThrow();
        assertTrue(why.startsWith("refusing plain HTTP to http://10.0.0.5:8080"), why);
        assertTrue(why.contains("allow_insecure_http=true"), why);
        assertEquals("allow_insecure_http", PlainHttpRule.ALLOW_INSECURE_HTTP);
        assertFalse(PlainHttpRule.isLoopback(null));
    }
}
