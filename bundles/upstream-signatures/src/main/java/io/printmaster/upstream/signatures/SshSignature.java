package io.printmaster.upstream.signatures;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** The SSH wire format pieces an SSHSIG signature is made of ({@code string} = uint32 length + bytes). */
final class SshSignature {
    static final String NAMESPACE = UpstreamSignatures.SSH_NAMESPACE;

    private SshSignature() {
    }

    /** A {@code string} of the SSH wire format; {@link IllegalStateException} when it overruns the buffer. */
    static byte[] string(ByteBuffer b) {
        int length = b.getInt();
        if (length < 0 || length > b.remaining()) {
            throw new IllegalStateException("an SSH string overruns its buffer");
        }
        byte[] out = new byte[length];
        b.get(out);
        return out;
    }

    static void putString(ByteBuffer b, byte[] s) {
        b.putInt(s.length);
        b.put(s);
    }

    /** The blob inside {@code -----BEGIN SSH SIGNATURE-----} … {@code -----END SSH SIGNATURE-----}. */
    static byte[] unarmor(String text) {
        String t = text.strip();
        String begin = "-----BEGIN SSH SIGNATURE-----";
        String end = "-----END SSH SIGNATURE-----";
        int from = t.indexOf(begin);
        int to = t.indexOf(end);
        if (from < 0 || to < from) {
            throw new IllegalArgumentException("not an SSH signature (no BEGIN/END SSH SIGNATURE lines)");
        }
        String body = t.substring(from + begin.length(), to).replaceAll("\\s+", "");
        try {
            return Base64.getDecoder().decode(body);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the SSH signature is not base64");
        }
    }

    static String ascii(byte[] b) {
        return new String(b, StandardCharsets.US_ASCII);
    }
}
