package io.printmaster.signing.bouncycastle.impl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.signing.KeyMaterial;
import io.printmaster.api.signing.SigningProvider;
import io.printmaster.signing.jdk.impl.JdkSigningProvider;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.junit.jupiter.api.Test;

/**
 * The two built-in providers are interchangeable: keys made by either sign with the other, each verifies what the
 * other signed, and both produce the same bytes (Ed25519 signatures are deterministic). A manifest signed on a
 * server configured for one verifies on an agent that uses the other.
 */
class ProvidersInteroperateTest {
    private final SigningProvider bouncyCastle = new BouncyCastleSigningProvider();
    private final SigningProvider jdk = new JdkSigningProvider();

    @Test
    void eachVerifiesTheOthersSignatures() throws Exception {
        Random sizes = new Random(8032);
        for (SigningProvider generator : List.of(bouncyCastle, jdk)) {
            for (int round = 0; round < 20; round++) {
                KeyMaterial key = generator.generateKeyPair();
                byte[] message = new byte[sizes.nextInt(2048)];
                sizes.nextBytes(message);

                byte[] byBouncyCastle = bouncyCastle.sign(key.privateKey(), message);
                byte[] byJdk = jdk.sign(key.privateKey(), message);
                assertArrayEquals(byBouncyCastle, byJdk, "deterministic: the same key and message give the same signature");
                assertTrue(jdk.verify(key.publicKey(), message, byBouncyCastle), "the JDK verifies Bouncy Castle's signature");
                assertTrue(bouncyCastle.verify(key.publicKey(), message, byJdk), "Bouncy Castle verifies the JDK's signature");

                byte[] altered = message.length == 0 ? new byte[] {0} : message.clone();
                altered[altered.length - 1] ^= 0x40;
                assertFalse(jdk.verify(key.publicKey(), altered, byBouncyCastle));
                assertFalse(bouncyCastle.verify(key.publicKey(), altered, byJdk));
            }
        }
    }

    @Test
    void bothAgreeOnTheRfc8032Vectors() throws Exception {
        for (Rfc8032Vectors v : Rfc8032Vectors.ALL) {
            assertTrue(jdk.verify(v.publicKey(), v.message(), bouncyCastle.sign(v.privateKey(), v.message())), v.name());
            assertTrue(bouncyCastle.verify(v.publicKey(), v.message(), jdk.sign(v.privateKey(), v.message())), v.name());
        }
    }

    @Test
    void aKeyPairFromOneCarriesTheSamePublicKeyTheOtherWouldUse() throws Exception {
        // the JDK's public key encoding (point → bytes) agrees with Bouncy Castle's derivation from the private key
        // (50 keys: about half have an odd x, which lands in the top bit of the last byte)
        for (int i = 0; i < 50; i++) {
            KeyMaterial fromJdk = jdk.generateKeyPair();
            byte[] derived = new Ed25519PrivateKeyParameters(fromJdk.privateKey(), 0).generatePublicKey().getEncoded();
            assertArrayEquals(derived, fromJdk.publicKey());
        }
    }
}
