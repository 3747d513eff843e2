package io.printmaster.server.console;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ContentTypesTest {

    @Test
    void consoleFilesGetTheirTypeWithUtf8ForText() {
        assertEquals("text/html; charset=utf-8", ContentTypes.of("index.html"));
        assertEquals("text/javascript; charset=utf-8", ContentTypes.of("js/app.js"));
        assertEquals("text/css; charset=utf-8", ContentTypes.of("console.css"));
        assertEquals("image/svg+xml", ContentTypes.of("favicon.svg"));
        assertEquals("image/png", ContentTypes.of("LOGO.PNG"));
    }

    @Test
    void unknownExtensionsAreOpaqueBytesSoNosniffKeepsThemInert() {
        assertEquals(ContentTypes.FALLBACK, ContentTypes.of("thing.exe"));
        assertEquals(ContentTypes.FALLBACK, ContentTypes.of("noextension"));
        assertEquals(ContentTypes.FALLBACK, ContentTypes.of("trailingdot."));
    }
}
