package io.printmaster.server.releases.impl;

import io.printmaster.api.signing.SigningException;
import io.printmaster.server.signing.api.ManifestSigner;
import io.printmaster.server.signing.api.Rotation;
import io.printmaster.server.signing.api.RotationStatement;
import io.printmaster.server.signing.api.Signature;
import io.printmaster.server.signing.api.SigningKey;
import io.printmaster.server.signing.api.SigningKeys;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * A real Ed25519 signer and key list on the JDK's EdDSA, in memory: what the signing bundle provides, enough for the
 * release module's tests. Rotation signs a statement naming the new key with the old one.
 */
final class JdkEd25519Keys implements ManifestSigner, SigningKeys {
    private record Entry(String id, KeyPair pair, Instant createdAt, Instant rotatedAt, String notes) {
    }

    private final List<Entry> keys = new ArrayList<>();
    private final List<RotationStatement> statements = new ArrayList<>();
    private int counter;

    JdkEd25519Keys() {
        keys.add(newKey(null));
    }

    private Entry newKey(String notes) {
        try {
            return new Entry("test-key-" + (++counter), KeyPairGenerator.getInstance("Ed25519").generateKeyPair(),
                    Instant.now(), null, notes);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private synchronized Entry activeEntry() {
        return keys.get(keys.size() - 1);
    }

    @Override
    public synchronized Signature sign(byte[] message) throws SigningException {
        Entry e = activeEntry();
        return new Signature(e.id(), sign(e, message));
    }

    private static byte[] sign(Entry e, byte[] message) throws SigningException {
        try {
            java.security.Signature s = java.security.Signature.getInstance("Ed25519");
            s.initSign(e.pair().getPrivate());
            s.update(message);
            return s.sign();
        } catch (GeneralSecurityException ex) {
            throw new SigningException("sign", ex);
        }
    }

    @Override
    public synchronized List<SigningKey> list() {
        return keys.stream().map(this::view).toList();
    }

    private SigningKey view(Entry e) {
        byte[] x509 = e.pair().getPublic().getEncoded();
        String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(x509) + "\n-----END PUBLIC KEY-----\n";
        byte[] raw = java.util.Arrays.copyOfRange(x509, x509.length - 32, x509.length);
        return new SigningKey(e.id(), "Ed25519", raw, pem, e.notes(), e == activeEntry(), e.createdAt(), e.rotatedAt());
    }

    @Override
    public synchronized SigningKey active() {
        return view(activeEntry());
    }

    @Override
    public synchronized Optional<SigningKey> find(String keyId) {
        return keys.stream().filter(e -> e.id().equals(keyId)).findFirst().map(this::view);
    }

    @Override
    public synchronized Rotation rotate(String notes, String actor) throws SigningException {
        Entry old = activeEntry();
        keys.set(keys.size() - 1, new Entry(old.id(), old.pair(), old.createdAt(), Instant.now(), old.notes()));
        Entry next = newKey(notes);
        keys.add(next);
        byte[] statement = ("{\"new_key_id\":\"" + next.id() + "\",\"old_key_id\":\"" + old.id() + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        RotationStatement s = new RotationStatement(old.id(), next.id(), statement, sign(old, statement));
        statements.add(s);
        return new Rotation(view(next), s);
    }

    @Override
    public long trustVersion() {
        return statements.size();
    }

    @Override
    public List<io.printmaster.server.signing.api.TrustStatement> trustStatements(long after) {
        return List.of(); // the trust statements are the signing bundle's tests' subject
    }

    @Override
    public Optional<io.printmaster.server.signing.api.RootKey> root() {
        return Optional.empty();
    }

    @Override
    public io.printmaster.server.signing.api.TrustStatement revoke(String keyId, String reason, String actor) {
        throw new UnsupportedOperationException("not needed by the release module's tests");
    }

    @Override
    public SigningKey addPendingKey(String notes, String actor) {
        throw new IllegalStateException("no root of trust is configured");
    }

    @Override
    public io.printmaster.server.signing.api.AcceptedStatement acceptRootStatement(byte[] statement, byte[] signature,
                                                                                 String actor) {
        throw new UnsupportedOperationException("not needed by the release module's tests");
    }

    @Override
    public io.printmaster.server.signing.api.AgentTrust agentTrust() {
        return new io.printmaster.server.signing.api.AgentTrust(trustVersion(), active(), null, List.of(), null);
    }

    @Override
    public synchronized List<RotationStatement> statements() {
        return List.copyOf(statements);
    }

    @Override
    public boolean verify(String keyId, byte[] message, byte[] signature) throws SigningException {
        SigningKey key = find(keyId).orElseThrow(() -> new SigningException("unknown key " + keyId));
        return verifyWithPem(key.publicKeyPem(), message, signature);
    }

    /** Verifies with nothing but a PEM public key, as anyone outside would. */
    static boolean verifyWithPem(String pem, byte[] message, byte[] signature) {
        try {
            String b64 = pem.replace("-----BEGIN PUBLIC KEY-----", "").replace("-----END PUBLIC KEY-----", "").replaceAll("\\s", "");
            PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(b64)));
            java.security.Signature s = java.security.Signature.getInstance("Ed25519");
            s.initVerify(key);
            s.update(message);
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
