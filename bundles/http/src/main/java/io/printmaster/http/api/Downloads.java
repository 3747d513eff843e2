package io.printmaster.http.api;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Answers a download of content whose length and strong entity tag are known (a cached file, an encrypted cached
 * installer): {@code 200} with the whole content, {@code 206} for one byte range ({@code Range: bytes=a-b},
 * {@code bytes=a-}, {@code bytes=-n}), {@code 304} when {@code If-None-Match} names the tag, {@code 416} for a range
 * past the end. {@code If-Range} with another tag serves the whole content, as RFC 9110 asks, so a resumed download
 * never mixes two versions. Several ranges in one request are answered with the whole content (allowed by RFC 9110;
 * download clients resume with one range). Every answer carries {@code Accept-Ranges}, {@code ETag} and, for
 * content, {@code Content-Length}.
 */
public final class Downloads {
    private static final Pattern SINGLE_RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");

    private Downloads() {
    }

    /**
     * Writes {@code length} bytes of the content starting at {@code offset} to {@code out}. {@link #serve} calls it
     * once per piece of the answer (consecutive ranges of at most 1 MiB, from the server's threads, never two at a
     * time), so it must serve any range and keep no state between calls.
     */
    @FunctionalInterface
    public interface RangeWriter {
        void write(long offset, long length, OutputStream out) throws IOException;
    }

    /** The part of the content to send: {@code length} bytes from {@code offset}. */
    public record ByteRange(long offset, long length) {
        /** The last byte's position, as {@code Content-Range} writes it. */
        public long last() {
            return offset + length - 1;
        }
    }

    /**
     * The answer to {@code request} for this content.
     *
     * @param etag        a strong entity tag, quoted ({@code "\"3f2a…\""}), that changes whenever the bytes do
     * @param contentType the media type
     * @param fileName    the name a browser saves it under ({@code Content-Disposition: attachment}), or null for
     *                    none; characters other than letters, digits, {@code .-_+} become {@code _}
     * @throws ApiException 416 for a range that starts past the end, with {@code Content-Range: bytes *}{@code /length}
     */
    public static ApiResponse serve(ApiRequest request, long length, String etag, String contentType, String fileName,
                                    RangeWriter writer) throws ApiException {
        Objects.requireNonNull(writer, "writer");
        // written in pieces whenever the connection can take more: a slow client holds a connection, not a thread
        return answer(request, length, etag, fileName,
                (status, r) -> ApiResponse.ranged(status, contentType, writer, r.offset(), r.length()));
    }

    /**
     * The answer to {@code request} for the content of a file, as {@link #serve} gives it, but written without a
     * thread waiting on the client: a download to a slow client costs a connection, not a server thread. Use it for
     * content that is a file as it is.
     *
     * @throws IOException when the file cannot be read
     * @since 1.5
     */
    public static ApiResponse serveFile(ApiRequest request, java.nio.file.Path file, String etag, String contentType,
                                        String fileName) throws ApiException, IOException {
        long length = java.nio.file.Files.size(file);
        return answer(request, length, etag, fileName,
                (status, r) -> ApiResponse.file(status, contentType, file, r.offset(), r.length()));
    }

    private static ApiResponse answer(ApiRequest request, long length, String etag, String fileName,
                                      java.util.function.BiFunction<Integer, ByteRange, ApiResponse> body) throws ApiException {
        Objects.requireNonNull(etag, "etag");
        if (length < 0) {
            throw new IllegalArgumentException("length must not be negative: " + length);
        }
        if (request.header("If-None-Match").map(v -> matches(v, etag)).orElse(false)) {
            return withCommonHeaders(ApiResponse.raw(304, null, out -> { }), etag, null);
        }
        boolean rangeApplies = request.header("If-Range").map(etag::equals).orElse(true);
        Optional<ByteRange> range = rangeApplies
                ? parse(request.header("Range").orElse(null), length)
                : Optional.empty();
        if (range.isEmpty()) {
            ApiResponse whole = body.apply(200, new ByteRange(0, length))
                    .header("Content-Length", Long.toString(length));
            return withCommonHeaders(whole, etag, fileName);
        }
        ByteRange r = range.get();
        ApiResponse partial = body.apply(206, r)
                .header("Content-Length", Long.toString(r.length()))
                .header("Content-Range", "bytes " + r.offset() + "-" + r.last() + "/" + length);
        return withCommonHeaders(partial, etag, fileName);
    }

    /**
     * The single range a {@code Range} header asks for, clipped to the content; empty when there is no header, it
     * is not one {@code bytes} range, or it is malformed (then the whole content is the answer).
     *
     * @throws ApiException 416 when the range starts at or past the end (or asks for a zero-length suffix)
     */
    public static Optional<ByteRange> parse(String header, long length) throws ApiException {
        if (header == null) {
            return Optional.empty();
        }
        Matcher m = SINGLE_RANGE.matcher(header.strip());
        if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
            return Optional.empty();
        }
        try {
            if (m.group(1).isEmpty()) { // suffix: the last n bytes
                long n = Long.parseLong(m.group(2));
                if (n == 0 || length == 0) {
                    throw unsatisfiable(length);
                }
                long take = Math.min(n, length);
                return Optional.of(new ByteRange(length - take, take));
            }
            long first = Long.parseLong(m.group(1));
            if (first >= length) {
                throw unsatisfiable(length);
            }
            long last = m.group(2).isEmpty() ? length - 1 : Math.min(Long.parseLong(m.group(2)), length - 1);
            if (last < first) {
                return Optional.empty(); // syntactically invalid range: ignored, as RFC 9110 asks
            }
            return Optional.of(new ByteRange(first, last - first + 1));
        } catch (NumberFormatException e) { // more digits than a long holds
            return Optional.empty();
        }
    }

    /**
     * Copies {@code count} bytes of {@code file} from {@code position} to a response body as fast as this server can:
     * when {@code out} is the servlet's own stream, through a direct buffer handed to
     * {@code ServletOutputStream.write(ByteBuffer)} (Servlet 6.1), so the bytes go from the file to the socket without
     * passing through heap arrays; otherwise through a heap buffer. Use it in a {@link RangeWriter} for file content.
     *
     * @throws IOException when the file ends before {@code position + count}, or writing fails
     * @since 1.3
     */
    public static void copy(java.nio.channels.FileChannel file, long position, long count, OutputStream out)
            throws IOException {
        if (position < 0 || count < 0) {
            throw new IllegalArgumentException("position and count must not be negative");
        }
        int size = (int) Math.min(COPY_BUFFER_BYTES, Math.max(1, count));
        boolean direct = out instanceof jakarta.servlet.ServletOutputStream;
        java.nio.ByteBuffer buffer = direct ? java.nio.ByteBuffer.allocateDirect(size) : java.nio.ByteBuffer.allocate(size);
        long end = position + count;
        while (position < end) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), end - position));
            int n = file.read(buffer, position);
            if (n < 0) {
                throw new IOException("the file ends at " + position + ", before the " + end + " bytes asked for");
            }
            buffer.flip();
            if (direct) {
                ((jakarta.servlet.ServletOutputStream) out).write(buffer);
            } else {
                out.write(buffer.array(), 0, n);
            }
            position += n;
        }
    }

    /** Big enough that a 200 MB download is a couple of hundred writes, small enough to stay out of the way. */
    private static final int COPY_BUFFER_BYTES = 1024 * 1024;

    private static ApiException unsatisfiable(long length) {
        return new ApiException(416, "range_not_satisfiable", "the range starts past the end of the " + length
                + " bytes", "Range").withHeader("Content-Range", "bytes */" + length);
    }

    private static boolean matches(String ifNoneMatch, String etag) {
        for (String candidate : ifNoneMatch.split(",")) {
            String c = candidate.strip();
            if (c.equals("*") || c.equals(etag) || c.equals("W/" + etag)) {
                return true;
            }
        }
        return false;
    }

    private static ApiResponse withCommonHeaders(ApiResponse response, String etag, String fileName) {
        response.header("ETag", etag).header("Accept-Ranges", "bytes");
        if (fileName != null) {
            response.header("Content-Disposition", "attachment; filename=\"" + fileName.replaceAll("[^A-Za-z0-9._+-]",
                    "_") + "\"");
        }
        return response;
    }
}
