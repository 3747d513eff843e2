package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** HTTP/1.1 over a plain socket, for requests that java.net.http refuses to send (bad URIs, headers, framing). */
final class RawHttp {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RawHttp() {
    }

    record Answer(int status, String contentType, String body) {
        JsonNode error() throws IOException {
            return JSON.readTree(body).path("error");
        }
    }

    /** Sends the bytes as they are and reads the answer until the server closes the connection. */
    static Answer send(int port, String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            int n;
            try {
                while ((n = in.read(buf)) >= 0) {
                    all.write(buf, 0, n);
                    Answer done = parse(all.toString(StandardCharsets.ISO_8859_1), false);
                    if (done != null) {
                        return done;
                    }
                }
            } catch (java.net.SocketException reset) {
                // the server may reset after answering a request it will not read to the end
            }
            return parse(all.toString(StandardCharsets.ISO_8859_1), true);
        }
    }

    /** The answer once head and body (by Content-Length) are complete; null while more is to come. */
    private static Answer parse(String text, boolean eof) {
        int head = text.indexOf("\r\n\r\n");
        if (head < 0) {
            assertFalse("no complete answer before the connection closed: " + text, eof);
            return null;
        }
        String[] lines = text.substring(0, head).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        String contentType = null;
        int length = -1;
        for (String line : lines) {
            String lower = line.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-type:")) {
                contentType = line.substring(13).trim();
            } else if (lower.startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        String body = text.substring(head + 4);
        if (length >= 0 && body.getBytes(StandardCharsets.ISO_8859_1).length < length) {
            assertFalse("answer cut short: " + text, eof);
            return null;
        }
        if (length < 0 && !eof) {
            return null;
        }
        return new Answer(status, contentType, length >= 0 ? body.substring(0, length) : body);
    }

    static String post(String path, String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        return "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                + bytes.length + "\r\nConnection: close\r\n\r\n" + json;
    }

    /** The answer is JSON in the API's error shape with the given status, naming no Java type; returns its error. */
    static JsonNode assertErrorShape(Answer a, int status, String what) throws IOException {
        assertEquals(what + ": " + a, status, a.status());
        assertNotNull(what + " has a content type: " + a, a.contentType());
        assertTrue(what + " answers JSON: " + a, a.contentType().startsWith("application/json"));
        JsonNode error = a.error();
        assertTrue(what + " has error.code: " + a, error.path("code").isTextual());
        assertTrue(what + " has error.message: " + a, error.path("message").isTextual());
        assertFalse(what + " names no Java type: " + a, a.body().contains("java.") || a.body().contains("Exception"));
        return error;
    }
}
