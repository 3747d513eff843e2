package io.printmaster.http.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class DownloadsTest {
    private static final byte[] CONTENT = "0123456789".getBytes(StandardCharsets.US_ASCII);
    private static final String ETAG = "\"abc\"";

    @Test
    void wholeContentWithLengthTagAndFileName() throws Exception {
        ApiResponse r = serve(Map.of());
        assertEquals(200, r.status());
        assertEquals(List.of("10"), r.headers().get("Content-Length"));
        assertEquals(List.of(ETAG), r.headers().get("ETag"));
        assertEquals(List.of("attachment; filename=\"agent_v1_.tar.gz\""), r.headers().get("Content-Disposition"));
        assertArrayEquals(CONTENT, body(r));
    }

    @Test
    void resumesFromAnOffset() throws Exception {
        ApiResponse r = serve(Map.of("Range", "bytes=4-"));
        assertEquals(206, r.status());
        assertEquals(List.of("bytes 4-9/10"), r.headers().get("Content-Range"));
        assertEquals("456789", new String(body(r), StandardCharsets.US_ASCII));
    }

    @Test
    void closedAndSuffixRangesAreClippedToTheContent() throws Exception {
        assertEquals("23", new String(body(serve(Map.of("Range", "bytes=2-3"))), StandardCharsets.US_ASCII));
        assertEquals("789", new String(body(serve(Map.of("Range", "bytes=-3"))), StandardCharsets.US_ASCII));
        assertEquals("89", new String(body(serve(Map.of("Range", "bytes=8-100"))), StandardCharsets.US_ASCII));
    }

    @Test
    void aRangePastTheEndIs416NamingTheLength() {
        ApiException e = assertThrows(ApiException.class, () -> serve(Map.of("Range", "bytes=10-")));
        assertEquals(416, e.status());
        assertEquals("bytes */10", e.headers().get("Content-Range"));
    }

    @Test
    void aChangedTagInIfRangeGetsTheWholeNewContent() throws Exception {
        ApiResponse r = serve(Map.of("Range", "bytes=4-", "If-Range", "\"old\""));
        assertEquals(200, r.status());
        assertArrayEquals(CONTENT, body(r));
    }

    @Test
    void aKnownTagIsNotModified() throws Exception {
        assertEquals(304, serve(Map.of("If-None-Match", "\"x\", " + ETAG)).status());
    }

    @Test
    void malformedOrMultipleRangesGetTheWholeContent() throws Exception {
        assertEquals(200, serve(Map.of("Range", "bytes=5-2")).status());
        assertEquals(200, serve(Map.of("Range", "bytes=0-1,4-5")).status());
        assertEquals(200, serve(Map.of("Range", "items=1-2")).status());
    }

    private static ApiResponse serve(Map<String, String> headers) throws ApiException {
        return Downloads.serve(new HeadersOnly(headers), CONTENT.length, ETAG, "application/gzip", "agent v1?.tar.gz",
                (offset, length, out) -> out.write(Arrays.copyOfRange(CONTENT, (int) offset, (int) (offset + length))));
    }

    private static byte[] body(ApiResponse r) throws IOException {
        if (r.raw() != null) {
            return new byte[0]; // a 304: no body
        }
        ApiResponse.WriterRange range = r.writerRange();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        range.writer().write(range.offset(), range.length(), out);
        return out.toByteArray();
    }

    /** A request that has only headers: all {@link Downloads} reads. */
    private record HeadersOnly(Map<String, String> headers) implements ApiRequest {
        public String method() { return "GET"; }
        public String path() { return "/api/v1/x"; }
        public String pathParam(String name) { throw new UnsupportedOperationException(); }
        public Optional<String> query(String name) { return Optional.empty(); }
        public Map<String, List<String>> queryParams() { return Map.of(); }
        public Optional<String> header(String name) { return Optional.ofNullable(headers.get(name)); }
        public Optional<String> cookie(String name) { return Optional.empty(); }
        public boolean isSecure() { return false; }
        public Optional<Caller> caller() { return Optional.empty(); }
        public Caller requireCaller() { throw new UnsupportedOperationException(); }
        public byte[] body() { return new byte[0]; }
        public <T> T body(Class<T> type) { throw new UnsupportedOperationException(); }
        public String remoteAddress() { return "127.0.0.1"; }
    }
}
