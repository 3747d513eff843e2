package io.printmaster.signing.bouncycastle.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.signing.KeyMaterial;
import io.printmaster.api.signing.SigningException;
import io.printmaster.api.signing.SigningProvider;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The Bouncy Castle provider against RFC 8032's test vectors, and what it does with bad signatures and malformed keys. */
class BouncyCastleSigningProviderTest {
    static final List<Rfc8032Vectors> VECTORS = Rfc8032Vectors.ALL;
    private static final HexFormat HEX = HexFormat.of();

    final SigningProvider provider = new BouncyCastleSigningProvider();

    @ParameterizedTest
    @FieldSource("VECTORS")
    void producesExactlyTheRfc8032Signature(Rfc8032Vectors v) throws Exception {
        assertEquals(HEX.formatHex(v.signature()), HEX.formatHex(provider.sign(v.privateKey(), v.message())));
        assertTrue(provider.verify(v.publicKey(), v.message(), v.signature()));
    }

    @ParameterizedTest
    @FieldSource("VECTORS")
    void theRfc8032PublicKeyIsTheOneDerivedFromThePrivateKey(Rfc8032Vectors v) {
        assertArrayEquals(v.publicKey(), new Ed25519PrivateKeyParameters(v.privateKey(), 0).generatePublicKey().getEncoded());
    }

    @Test
    void rejectsAnythingButTheExactSignedBytesAndKey() throws Exception {
        Rfc8032Vectors v = Rfc8032Vectors.ALL.get(2);
        byte[] flipped = v.signature().clone();
        flipped[10] ^= 1;
        assertFalse(provider.verify(v.publicKey(), v.message(), flipped), "altered signature");
        assertFalse(provider.verify(v.publicKey(), new byte[] {(byte) 0xaf, (byte) 0x83}, v.signature()), "altered message");
        assertFalse(provider.verify(Rfc8032Vectors.ALL.get(0).publicKey(), v.message(), v.signature()), "another key");
        assertFalse(provider.verify(v.publicKey(), v.message(), new byte[63]), "too short");
        assertFalse(provider.verify(v.publicKey(), v.message(), new byte[65]), "too long");
        assertFalse(provider.verify(v.publicKey(), v.message(), null), "none");
        assertFalse(provider.verify(v.publicKey(), v.message(), new byte[64]), "zeros");
    }

    @Test
    void rejectsASignatureWhoseScalarIsNotReduced() throws Exception {
        // S + L signs the same equation but RFC 8032 (5.1.7) requires S < L: accepting it would make signatures malleable
        Rfc8032Vectors v = Rfc8032Vectors.ALL.get(0);
        assertFalse(provider.verify(v.publicKey(), v.message(), addGroupOrderToScalar(v.signature())));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            // y = p = 2^255 - 19: not a canonical encoding
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            // y = 2: x^2 has no square root, not on the curve
            "0200000000000000000000000000000000000000000000000000000000000000",
            // y = 1 means x = 0, which cannot be odd
            "0100000000000000000000000000000000000000000000000000000000000080"})
    void refusesAPublicKeyThatIsNoPointOfTheCurve(String hex) {
        SigningException e = assertThrows(SigningException.class,
                () -> provider.verify(HEX.parseHex(hex), new byte[] {1}, new byte[64]));
        assertTrue(e.getMessage().contains("not a valid Ed25519 point"), e.getMessage());
    }

    @Test
    void refusesKeysOfTheWrongLength() {
        assertEquals("an Ed25519 private key has 32 bytes, not 31",
                assertThrows(SigningException.class, () -> provider.sign(new byte[31], new byte[1])).getMessage());
        assertEquals("an Ed25519 public key has 32 bytes, not 33",
                assertThrows(SigningException.class, () -> provider.verify(new byte[33], new byte[1], new byte[64])).getMessage());
        assertThrows(SigningException.class, () -> provider.sign(null, new byte[1]));
    }

    @Test
    void generatesFreshKeyPairsThatSignAndVerify() throws Exception {
        KeyMaterial a = provider.generateKeyPair();
        KeyMaterial b = provider.generateKeyPair();
        assertEquals(SigningProvider.ED25519, a.algorithm());
        assertNotEquals(a, b);
        assertArrayEquals(a.publicKey(), new Ed25519PrivateKeyParameters(a.privateKey(), 0).generatePublicKey().getEncoded(),
                "the public key belongs to the private key");
        byte[] message = "manifest bytes".getBytes(StandardCharsets.UTF_8);
        byte[] signature = provider.sign(a.privateKey(), message);
        assertEquals(64, signature.length);
        assertTrue(provider.verify(a.publicKey(), message, signature));
        assertFalse(provider.verify(b.publicKey(), message, signature));
    }

    /** Adds the group order L = 2^252 + 27742317777372353535851937790883648493 to S, the signature's second half. */
    static byte[] addGroupOrderToScalar(byte[] signature) {
        BigInteger l = BigInteger.TWO.pow(252).add(new BigInteger("27742317777372353535851937790883648493"));
        byte[] s = new byte[32];
        for (int i = 0; i < 32; i++) {
            s[i] = signature[63 - i];
        }
        byte[] sum = new BigInteger(1, s).add(l).toByteArray();
        byte[] out = signature.clone();
        for (int i = 0; i < 32; i++) {
            out[32 + i] = i < sum.length ? sum[sum.length - 1 - i] : 0;
        }
        return out;
    }
}
