package io.printmaster.server.launcher.tls;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The few ASN.1 DER shapes the launcher reads and writes: enough to wrap PKCS#1 and SEC1 private keys as PKCS#8 and
 * to write a self-signed X.509 certificate, so the launcher needs nothing beyond the JDK on its class path.
 */
final class Der {
    static final int INTEGER = 0x02;
    static final int BIT_STRING = 0x03;
    static final int OCTET_STRING = 0x04;
    static final int NULL = 0x05;
    static final int OID = 0x06;
    static final int UTF8_STRING = 0x0c;
    static final int GENERALIZED_TIME = 0x18;
    static final int SEQUENCE = 0x30;
    static final int SET = 0x31;

    private Der() {
    }

    static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        int len = content.length;
        if (len < 0x80) {
            out.write(len);
        } else {
            byte[] l = BigInteger.valueOf(len).toByteArray();
            int start = l[0] == 0 ? 1 : 0;
            out.write(0x80 | (l.length - start));
            out.write(l, start, l.length - start);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    static byte[] sequence(byte[]... parts) {
        return tlv(SEQUENCE, concat(parts));
    }

    static byte[] set(byte[]... parts) {
        return tlv(SET, concat(parts));
    }

    static byte[] integer(BigInteger value) {
        return tlv(INTEGER, value.toByteArray());
    }

    static byte[] octets(byte[] value) {
        return tlv(OCTET_STRING, value);
    }

    static byte[] bits(byte[] value) {
        byte[] content = new byte[value.length + 1]; // no unused bits
        System.arraycopy(value, 0, content, 1, value.length);
        return tlv(BIT_STRING, content);
    }

    static byte[] utf8(String value) {
        return tlv(UTF8_STRING, value.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] nul() {
        return new byte[] {NULL, 0};
    }

    static byte[] bool(boolean value) {
        return new byte[] {0x01, 1, (byte) (value ? 0xff : 0)};
    }

    /** An explicitly tagged, constructed context-specific value: {@code [n] EXPLICIT}. */
    static byte[] explicit(int n, byte[] inner) {
        return tlv(0xa0 | n, inner);
    }

    /** A primitive context-specific value with implicit tagging: {@code [n] IMPLICIT}. */
    static byte[] implicit(int n, byte[] content) {
        return tlv(0x80 | n, content);
    }

    static byte[] oid(String dotted) {
        String[] arcs = dotted.split("\\.");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(Integer.parseInt(arcs[0]) * 40 + Integer.parseInt(arcs[1]));
        for (int i = 2; i < arcs.length; i++) {
            long v = Long.parseLong(arcs[i]);
            int groups = Math.max(1, (64 - Long.numberOfLeadingZeros(v) + 6) / 7);
            for (int g = groups - 1; g >= 0; g--) {
                int b = (int) ((v >>> (7 * g)) & 0x7f);
                out.write(g > 0 ? b | 0x80 : b);
            }
        }
        return tlv(OID, out.toByteArray());
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** One decoded element: its tag, its content, and its whole encoding. */
    record Element(int tag, byte[] content, byte[] encoded) {
        /** The elements inside a constructed element (a SEQUENCE, or an explicit tag). */
        List<Element> children() throws IOException {
            List<Element> list = new ArrayList<>();
            int[] pos = {0};
            while (pos[0] < content.length) {
                list.add(read(content, pos));
            }
            return list;
        }
    }

    /** Decodes one element that must fill {@code der} exactly. */
    static Element parse(byte[] der) throws IOException {
        int[] pos = {0};
        Element e = read(der, pos);
        if (pos[0] != der.length) {
            throw new IOException("trailing bytes after the DER structure");
        }
        return e;
    }

    private static Element read(byte[] der, int[] pos) throws IOException {
        int start = pos[0];
        if (start + 2 > der.length) {
            throw new IOException("truncated DER structure");
        }
        int tag = der[pos[0]++] & 0xff;
        if ((tag & 0x1f) == 0x1f) {
            throw new IOException("unsupported multi-byte DER tag");
        }
        int len = der[pos[0]++] & 0xff;
        if (len >= 0x80) {
            int n = len & 0x7f;
            if (n == 0 || n > 4 || pos[0] + n > der.length) {
                throw new IOException("unsupported DER length");
            }
            len = 0;
            for (int i = 0; i < n; i++) {
                len = (len << 8) | (der[pos[0]++] & 0xff);
            }
            if (len < 0) {
                throw new IOException("unsupported DER length");
            }
        }
        if (pos[0] + len > der.length) {
            throw new IOException("truncated DER structure");
        }
        byte[] content = java.util.Arrays.copyOfRange(der, pos[0], pos[0] + len);
        pos[0] += len;
        return new Element(tag, content, java.util.Arrays.copyOfRange(der, start, pos[0]));
    }
}
