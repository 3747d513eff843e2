package io.printmaster.server.installers.impl;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the configured CA bundle: a PEM file of one or more X.509 certificates, and nothing else. */
final class CaBundle {
    static final int MAX_BYTES = 1024 * 1024;
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]*?)-----END \\1-----");

    private CaBundle() {
    }

    /**
     * The file's text, normalized to {@code \n} line ends.
     *
     * @throws IOException naming the file and what is wrong: unreadable, too large, not PEM, a block that is not a
     *                     certificate, a certificate that does not parse
     */
    static String read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("ca_bundle " + file + " is not a readable file");
        }
        if (Files.size(file) > MAX_BYTES) {
            throw new IOException("ca_bundle " + file + " is larger than " + MAX_BYTES + " bytes");
        }
        String text;
        try {
            text = StandardCharsets.US_ASCII.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new IOException("ca_bundle " + file + " is not PEM text (it holds non-ASCII bytes)");
        }
        text = text.replace("\r\n", "\n");
        Matcher m = BLOCK.matcher(text);
        int certificates = 0;
        StringBuilder rest = new StringBuilder();
        int last = 0;
        CertificateFactory x509;
        try {
            x509 = CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException("every JVM reads X.509", e);
        }
        while (m.find()) {
            rest.append(text, last, m.start());
            last = m.end();
            if (!m.group(1).equals("CERTIFICATE")) {
                throw new IOException("ca_bundle " + file + " holds a " + m.group(1) + " block; only certificates belong in it");
            }
            try {
                byte[] der = Base64.getMimeDecoder().decode(m.group(2));
                x509.generateCertificate(new ByteArrayInputStream(der));
            } catch (IllegalArgumentException | CertificateException e) {
                throw new IOException("ca_bundle " + file + ": certificate " + (certificates + 1) + " does not parse: "
                        + e.getMessage());
            }
            certificates++;
        }
        rest.append(text.substring(last));
        if (certificates == 0) {
            throw new IOException("ca_bundle " + file + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }
        if (rest.toString().contains("-----")) {
            throw new IOException("ca_bundle " + file + " holds an incomplete PEM block");
        }
        return text.endsWith("\n") ? text : text + "\n";
    }
}
