package io.printmaster.benchmarks.signing;

import io.printmaster.api.signing.KeyMaterial;
import io.printmaster.api.signing.SigningException;
import io.printmaster.api.signing.SigningProvider;
import io.printmaster.signing.bouncycastle.impl.BouncyCastleSigningProvider;
import io.printmaster.signing.jdk.impl.JdkSigningProvider;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Ed25519 sign and verify rates of the two built-in providers, through the {@link SigningProvider} contract the
 * server uses (raw keys in, so each call includes the provider's key decoding, as in production). The message is a
 * manifest-sized 1 KiB.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class Ed25519Benchmark {

    @Param({"bouncycastle", "jdk"})
    public String provider;

    @Param({"1024"})
    public int messageBytes;

    private SigningProvider signer;
    private byte[] privateKey;
    private byte[] publicKey;
    private byte[] message;
    private byte[] signature;

    @Setup
    public void setUp() throws SigningException {
        signer = switch (provider) {
            case "bouncycastle" -> new BouncyCastleSigningProvider();
            case "jdk" -> new JdkSigningProvider();
            default -> throw new IllegalArgumentException(provider);
        };
        KeyMaterial key = signer.generateKeyPair();
        privateKey = key.privateKey();
        publicKey = key.publicKey();
        message = new byte[messageBytes];
        new Random(8032).nextBytes(message);
        signature = signer.sign(privateKey, message);
        if (!signer.verify(publicKey, message, signature)) {
            throw new IllegalStateException(provider + " does not verify its own signature");
        }
    }

    @Benchmark
    public byte[] sign() throws SigningException {
        return signer.sign(privateKey, message);
    }

    @Benchmark
    public boolean verify() throws SigningException {
        return signer.verify(publicKey, message, signature);
    }
}
