package io.printmaster.upstream.signatures;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real tools upstreams sign with, run at test time: {@code minisign} (Debian package {@code minisign}) and
 * {@code ssh-keygen} (package {@code openssh-client}); {@code .ci/run} installs both.
 */
final class SigningTools {
    private SigningTools() {
    }

    /** A minisign key pair without a password: the {@code .pub} file's key line, and the secret key file. */
    record MinisignKey(String publicKeyLine, String publicKeyFile, Path secretKey) {
    }

    /** An ssh-ed25519 key pair: the public key line, and the private key file. */
    record SshKey(String publicKeyLine, Path privateKey) {
    }

    static MinisignKey minisignKey(Path dir, String name) throws IOException {
        Path pub = dir.resolve(name + ".pub");
        Path sec = dir.resolve(name + ".key");
        run(dir, "minisign", "-G", "-W", "-p", pub.toString(), "-s", sec.toString());
        String file = Files.readString(pub);
        return new MinisignKey(file.lines().filter(l -> !l.startsWith("untrusted comment:")).findFirst().orElseThrow(),
                file, sec);
    }

    /** {@code minisign -S}: prehashed (the default) or legacy ({@code -l}); returns the {@code .minisig} file. */
    static Path minisignSign(MinisignKey key, Path file, boolean legacy, String trustedComment) throws IOException {
        Path sig = file.resolveSibling(file.getFileName() + ".minisig");
        List<String> command = new ArrayList<>(List.of("minisign", "-S", "-s", key.secretKey().toString(),
                "-m", file.toString(), "-x", sig.toString(), "-t", trustedComment));
        if (legacy) {
            command.add("-l");
        }
        run(file.getParent(), command.toArray(String[]::new));
        return sig;
    }

    static SshKey sshKey(Path dir, String name) throws IOException {
        Path key = dir.resolve(name);
        run(dir, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name + "@upstream.example", "-f", key.toString());
        return new SshKey(Files.readString(dir.resolve(name + ".pub")).strip(), key);
    }

    /** {@code ssh-keygen -Y sign -n <namespace>}; returns the {@code .sig} file. */
    static Path sshSign(SshKey key, Path file, String namespace) throws IOException {
        run(file.getParent(), "ssh-keygen", "-Y", "sign", "-f", key.privateKey().toString(), "-n", namespace, file.toString());
        return file.resolveSibling(file.getFileName() + ".sig");
    }

    static String run(Path dir, String... command) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException(command[0] + " is not installed (Debian: apt-get install minisign openssh-client): "
                    + e.getMessage(), e);
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return out;
    }
}
