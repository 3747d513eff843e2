package io.printmaster.upstream.signatures;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import org.bouncycastle.crypto.digests.Blake2bDigest;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * Checks the signature an upstream publishes beside a release asset against the key a source is configured with
 * ({@link UpstreamPublicKey}). Fails closed: anything that is not a valid signature of these bytes by this key is
 * a problem, described for an admin.
 *
 * <p><b>minisign</b> ({@code <asset>.minisig}): the signature line is {@code ED} (minisign's default: Ed25519 over
 * the BLAKE2b-512 of the file, streamed) or legacy {@code Ed} (Ed25519 over the file itself, made by
 * {@code minisign -S -l}; read whole, so at most {@value #MAX_LEGACY_BYTES} bytes); its key id must be the key's;
 * and the global signature over signature and trusted comment must verify too, so the trusted comment cannot be
 * swapped.
 *
 * <p><b>SSH</b> ({@code <asset>.sig}, the SSHSIG format of {@code ssh-keygen -Y sign}): the embedded public key
 * must be the configured one, the namespace {@value #SSH_NAMESPACE} ({@code ssh-keygen -Y sign -n file}: the
 * namespace OpenSSH documents for signing files, so upstreams need no PrintMaster-specific step; a signature made
 * for another purpose, such as a Git commit, is refused), the hash {@code sha512} or {@code sha256}, and the
 * Ed25519 signature over the SSHSIG signed data must verify.
 *
 * <p>Stateless and thread-safe.
 */
public final class UpstreamSignatures {

    /** The SSHSIG namespace release assets are signed under: {@code ssh-keygen -Y sign -n file}. */
    public static final String SSH_NAMESPACE = "file";
    /** The largest signature file read. */
    public static final int MAX_SIGNATURE_BYTES = 64 * 1024;
    /** The largest file a legacy minisign signature ({@code Ed}, not prehashed) is checked on: it is read whole. */
    public static final long MAX_LEGACY_BYTES = 256L * 1024 * 1024;

    private static final byte[] SSHSIG_MAGIC = "SSHSIG".getBytes(StandardCharsets.US_ASCII);

    private UpstreamSignatures() {
    }

    /**
     * @param key       the upstream's key
     * @param file      the asset's bytes
     * @param signature the signature file's bytes ({@code .minisig} for a minisign key, {@code .sig} for an SSH key)
     * @return empty when the signature is valid; otherwise why it is not
     * @throws IOException when {@code file} cannot be read
     */
    public static Optional<String> check(UpstreamPublicKey key, Path file, byte[] signature) throws IOException {
        if (signature.length > MAX_SIGNATURE_BYTES) {
            return Optional.of("the signature file is larger than " + MAX_SIGNATURE_BYTES + " bytes");
        }
        try {
            return key.kind() == UpstreamPublicKey.Kind.MINISIGN ? minisign(key, file, signature) : ssh(key, file, signature);
        } catch (IllegalArgumentException | IllegalStateException | java.nio.BufferUnderflowException e) {
            return Optional.of("the signature is malformed: " + e.getMessage());
        }
    }

    // ---- minisign ---------------------------------------------------------------------------------------------

    private static Optional<String> minisign(UpstreamPublicKey key, Path file, byte[] signatureFile) throws IOException {
        // ISO-8859-1 maps bytes to chars one to one, so the trusted comment's bytes come back exactly
        String[] lines = new String(signatureFile, StandardCharsets.ISO_8859_1).split("\r?\n");
        if (lines.length < 4 || !lines[0].startsWith("untrusted comment:") || !lines[2].startsWith("trusted comment: ")) {
            return Optional.of("not a minisign signature: expected an untrusted comment, the signature, a trusted comment "
                    + "and the global signature");
        }
        byte[] sig = base64(lines[1].strip(), "signature line");
        byte[] global = base64(lines[3].strip(), "global signature line");
        if (sig.length != 74 || global.length != 64) {
            return Optional.of("not a minisign signature: the signature lines have the wrong length");
        }
        String algorithm = new String(sig, 0, 2, StandardCharsets.US_ASCII);
        byte[] keyId = Arrays.copyOfRange(sig, 2, 10);
        byte[] signature = Arrays.copyOfRange(sig, 10, 74);
        if (!MessageDigest.isEqual(keyId, key.minisignKeyId())) {
            return Optional.of("signed by another key (key id " + UpstreamPublicKey.keyIdText(keyId) + "; expected " + key + ")");
        }
        byte[] message;
        if (algorithm.equals("ED")) {
            message = blake2b512(file);
        } else if (algorithm.equals("Ed")) {
            if (Files.size(file) > MAX_LEGACY_BYTES) {
                return Optional.of("a legacy (not prehashed) minisign signature over a file larger than " + MAX_LEGACY_BYTES
                        + " bytes; sign it with minisign's default (prehashed)");
            }
            message = Files.readAllBytes(file);
        } else {
            return Optional.of("unknown minisign signature algorithm '" + algorithm + "'");
        }
        if (!ed25519(key.ed25519(), message, signature)) {
            return Optional.of("the minisign signature does not verify: the file or the signature was altered, or another key signed it");
        }
        byte[] trustedComment = lines[2].substring("trusted comment: ".length()).getBytes(StandardCharsets.ISO_8859_1);
        byte[] globalMessage = new byte[64 + trustedComment.length];
        System.arraycopy(signature, 0, globalMessage, 0, 64);
        System.arraycopy(trustedComment, 0, globalMessage, 64, trustedComment.length);
        if (!ed25519(key.ed25519(), globalMessage, global)) {
            return Optional.of("the minisign global signature does not verify: the trusted comment was altered");
        }
        return Optional.empty();
    }

    private static byte[] blake2b512(Path file) throws IOException {
        Blake2bDigest digest = new Blake2bDigest(512);
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
        }
        byte[] out = new byte[64];
        digest.doFinal(out, 0);
        return out;
    }

    // ---- SSHSIG -----------------------------------------------------------------------------------------------

    private static Optional<String> ssh(UpstreamPublicKey key, Path file, byte[] signatureFile) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(SshSignature.unarmor(new String(signatureFile, StandardCharsets.US_ASCII)));
        byte[] magic = new byte[6];
        b.get(magic);
        if (!Arrays.equals(magic, SSHSIG_MAGIC) || b.getInt() != 1) {
            return Optional.of("not an SSHSIG signature of version 1");
        }
        ByteBuffer publicKey = ByteBuffer.wrap(SshSignature.string(b));
        String namespace = SshSignature.ascii(SshSignature.string(b));
        byte[] reserved = SshSignature.string(b);
        String hashAlgorithm = SshSignature.ascii(SshSignature.string(b));
        ByteBuffer sig = ByteBuffer.wrap(SshSignature.string(b));
        String keyType = SshSignature.ascii(SshSignature.string(publicKey));
        if (!keyType.equals("ssh-ed25519")) {
            return Optional.of("signed with a " + keyType + " key; expected " + key);
        }
        if (!MessageDigest.isEqual(SshSignature.string(publicKey), key.ed25519())) {
            return Optional.of("signed by another key; expected " + key);
        }
        if (!namespace.equals(SSH_NAMESPACE)) {
            return Optional.of("signed for namespace '" + namespace + "'; release assets are signed with ssh-keygen -Y sign -n "
                    + SSH_NAMESPACE);
        }
        String jdkHash = switch (hashAlgorithm) {
            case "sha512" -> "SHA-512";
            case "sha256" -> "SHA-256";
            default -> null;
        };
        if (jdkHash == null) {
            return Optional.of("unsupported SSHSIG hash algorithm '" + hashAlgorithm + "'");
        }
        String sigType = SshSignature.ascii(SshSignature.string(sig));
        byte[] signature = SshSignature.string(sig);
        if (!sigType.equals("ssh-ed25519") || signature.length != 64) {
            return Optional.of("not an ssh-ed25519 signature");
        }
        byte[] hash = digest(jdkHash, file);
        byte[] ns = namespace.getBytes(StandardCharsets.US_ASCII);
        byte[] alg = hashAlgorithm.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer signed = ByteBuffer.allocate(6 + 4 + ns.length + 4 + reserved.length + 4 + alg.length + 4 + hash.length);
        signed.put(SSHSIG_MAGIC);
        SshSignature.putString(signed, ns);
        SshSignature.putString(signed, reserved);
        SshSignature.putString(signed, alg);
        SshSignature.putString(signed, hash);
        if (!ed25519(key.ed25519(), signed.array(), signature)) {
            return Optional.of("the SSH signature does not verify: the file or the signature was altered");
        }
        return Optional.empty();
    }

    private static byte[] digest(String algorithm, Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is missing from the JDK", e);
        }
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
        }
        return digest.digest();
    }

    // ---- shared -----------------------------------------------------------------------------------------------

    private static boolean ed25519(byte[] publicKey, byte[] message, byte[] signature) {
        try {
            Ed25519Signer verifier = new Ed25519Signer();
            verifier.init(false, new Ed25519PublicKeyParameters(publicKey, 0));
            verifier.update(message, 0, message.length);
            return verifier.verifySignature(signature);
        } catch (IllegalArgumentException e) {
            return false; // not a valid public key point: nothing verifies against it
        }
    }

    private static byte[] base64(String text, String what) {
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the " + what + " is not base64");
        }
    }
}
