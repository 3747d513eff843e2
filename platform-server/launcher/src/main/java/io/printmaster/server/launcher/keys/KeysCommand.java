package io.printmaster.server.launcher.keys;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.printmaster.server.signing.api.CanonicalJson;
import java.io.Console;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code ./pm keys}: the offline root of trust (docs/admin-guide.md, "Signing keys and the offline root").
 * <ul>
 *   <li>{@code root-init --out DIR}: a new root key pair; {@code DIR/root-key.json} (the private key, encrypted under
 *       the passphrase, 0600) and {@code DIR/root-public.pem}.</li>
 *   <li>{@code delegate --root DIR --public-key FILE --expires-days N --out FILE}: the root authorizes the server key
 *       in the PEM {@code FILE} for N days.</li>
 *   <li>{@code revoke --root DIR --key-id ID [--reason TEXT] --out FILE}: the root revokes a key.</li>
 * </ul>
 * The statement files are what {@code POST /api/v1/releases/trust/statements} takes. The passphrase comes from the
 * console, or from {@code PM_ROOT_PASSPHRASE} for scripts; it is never printed. Runs on the machine that keeps the
 * root, offline: it needs no server.
 */
public final class KeysCommand {
    static final String DELEGATION_TYPE = "printmaster.key-delegation.v1";
    static final String REVOCATION_TYPE = "printmaster.key-revocation.v1";
    static final String PRIVATE_FILE = "root-key.json";
    static final String PUBLIC_FILE = "root-public.pem";
    static final int MIN_PASSPHRASE = 12;
    /** A delegation longer than this is refused: the root must be used again within a year (renewal). */
    static final int MAX_DAYS = 400;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Map<String, String> env;
    private final Console console;
    private final PrintStream out;
    private final PrintStream err;
    private final Clock clock;

    KeysCommand(Map<String, String> env, Console console, PrintStream out, PrintStream err, Clock clock) {
        this.env = env;
        this.console = console;
        this.out = out;
        this.err = err;
        this.clock = clock;
    }

    public static void main(String[] args) {
        System.exit(new KeysCommand(System.getenv(), System.console(), System.out, System.err, Clock.systemUTC())
                .run(args));
    }

    /** The exit code: 0 done, 1 failed, 2 usage. */
    int run(String[] args) {
        if (args.length == 0 || List.of("-h", "--help", "help").contains(args[0])) {
            usage(args.length == 0 ? err : out);
            return args.length == 0 ? 2 : 0;
        }
        Map<String, String> options;
        try {
            options = options(Arrays.copyOfRange(args, 1, args.length));
            return switch (args[0]) {
                case "root-init" -> rootInit(Path.of(required(options, "out")));
                case "delegate" -> delegate(options);
                case "revoke" -> revoke(options);
                default -> throw new Usage("unknown keys command '" + args[0] + "'");
            };
        } catch (Usage e) {
            err.println("pm keys: " + e.getMessage());
            usage(err);
            return 2;
        } catch (IllegalArgumentException | IOException | GeneralSecurityException e) {
            err.println("pm keys: " + e.getMessage());
            return 1;
        }
    }

    private int rootInit(Path dir) throws IOException, GeneralSecurityException, Usage {
        Path privateFile = dir.resolve(PRIVATE_FILE);
        if (Files.exists(privateFile)) {
            throw new IllegalArgumentException(privateFile + " exists: refusing to replace a root key");
        }
        char[] passphrase = passphrase(true);
        KeyPair pair = RootKeyFile.generate();
        Map<String, Object> sealed;
        try {
            sealed = RootKeyFile.seal(pair, passphrase);
        } finally {
            Arrays.fill(passphrase, '\0');
        }
        Files.createDirectories(dir);
        ownerOnly(dir, "rwx------");
        writeNew(privateFile, JSON.writeValueAsBytes(sealed), "rw-------");
        byte[] raw = Ed25519.raw(pair.getPublic());
        Files.writeString(dir.resolve(PUBLIC_FILE), Ed25519.pem(raw), StandardCharsets.US_ASCII);
        out.println("root key " + Ed25519.keyId(raw) + " written to " + dir.toAbsolutePath()
                + " (keep the folder offline; the passphrase is the only way to use it)");
        return 0;
    }

    private int delegate(Map<String, String> o) throws IOException, GeneralSecurityException, Usage {
        // everything that can be wrong with the command line is found before the passphrase is asked for
        int days = number(required(o, "expires-days"), "expires-days", n -> n >= 1 && n <= MAX_DAYS,
                "1 to " + MAX_DAYS);
        Path pem = Path.of(required(o, "public-key"));
        Path target = Path.of(required(o, "out"));
        if (!Files.isRegularFile(pem)) {
            throw new Usage("--public-key: " + pem + " is not a file (the server key's PEM: GET "
                    + "/api/v1/releases/signing-keys/{id}/pem)");
        }
        byte[] key = Ed25519.fromPem(Files.readString(pem, StandardCharsets.US_ASCII));
        RootKeyFile.Opened root = openRoot(Path.of(required(o, "root")));
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Map<String, Object> statement = Map.of(
                "type", DELEGATION_TYPE,
                "root_key_id", root.keyId(),
                "root_public_key", Base64.getEncoder().encodeToString(root.publicKey()),
                "key_id", Ed25519.keyId(key),
                "public_key", Base64.getEncoder().encodeToString(key),
                "issued_at", now.toString(),
                "expires_at", now.plus(Duration.ofDays(days)).toString());
        write(target, "delegation", Ed25519.keyId(key), statement, root);
        out.println("delegation of key " + Ed25519.keyId(key) + " until " + statement.get("expires_at")
                + " written to " + o.get("out") + ": POST it to /api/v1/releases/trust/statements");
        return 0;
    }

    private int revoke(Map<String, String> o) throws IOException, GeneralSecurityException, Usage {
        String keyId = required(o, "key-id");
        if (!keyId.matches("[0-9a-f]{16}")) {
            throw new Usage("--key-id: 16 lowercase hex digits, as the server lists keys");
        }
        Path target = Path.of(required(o, "out"));
        RootKeyFile.Opened root = openRoot(Path.of(required(o, "root")));
        String reason = o.getOrDefault("reason", "revoked by the offline root");
        Map<String, Object> statement = Map.of(
                "type", REVOCATION_TYPE,
                "key_id", keyId,
                "reason", reason,
                "revoked_at", clock.instant().truncatedTo(ChronoUnit.SECONDS).toString(),
                "signer_key_id", root.keyId());
        write(target, "revocation", keyId, statement, root);
        out.println("revocation of key " + keyId + " written to " + o.get("out")
                + ": POST it to /api/v1/releases/trust/statements");
        return 0;
    }

    /** Signs the canonical bytes of {@code statement} and writes the file the server's statements route takes. */
    private void write(Path file, String type, String keyId, Map<String, Object> statement, RootKeyFile.Opened root)
            throws IOException, GeneralSecurityException {
        byte[] bytes = CanonicalJson.bytes(statement);
        Map<String, Object> posted = new LinkedHashMap<>();
        posted.put("type", type);
        posted.put("key_id", keyId);
        posted.put("statement", Ed25519.utf8(bytes));
        posted.put("statement_base64", Base64.getEncoder().encodeToString(bytes));
        posted.put("signature", Base64.getEncoder().encodeToString(Ed25519.sign(root.privateKey(), bytes)));
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, ".statement", ".tmp");
        Files.write(tmp, JSON.writeValueAsBytes(posted));
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private RootKeyFile.Opened openRoot(Path dir) throws IOException, GeneralSecurityException, Usage {
        Path file = dir.resolve(PRIVATE_FILE);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--root: " + file + " does not exist (make one with ./pm keys root-init)");
        }
        Map<String, Object> sealed = JSON.readValue(file.toFile(), new TypeReference<Map<String, Object>>() { });
        char[] passphrase = passphrase(false);
        try {
            return RootKeyFile.open(sealed, passphrase);
        } finally {
            Arrays.fill(passphrase, '\0');
        }
    }

    /** From {@code PM_ROOT_PASSPHRASE}, else asked on the console (twice for a new root). */
    private char[] passphrase(boolean confirm) throws Usage {
        String fromEnv = env.get("PM_ROOT_PASSPHRASE");
        char[] p;
        if (fromEnv != null && !fromEnv.isEmpty()) {
            p = fromEnv.toCharArray();
        } else if (console == null) {
            throw new Usage("no console to ask for the root passphrase: set PM_ROOT_PASSPHRASE");
        } else {
            p = console.readPassword("root passphrase: ");
            if (p == null) {
                throw new Usage("no passphrase given");
            }
            if (confirm) {
                char[] again = console.readPassword("again: ");
                boolean same = Arrays.equals(p, again);
                if (again != null) {
                    Arrays.fill(again, '\0');
                }
                if (!same) {
                    Arrays.fill(p, '\0');
                    throw new Usage("the passphrases differ");
                }
            }
        }
        if (confirm && p.length < MIN_PASSPHRASE) {
            Arrays.fill(p, '\0');
            throw new Usage("the root passphrase needs at least " + MIN_PASSPHRASE + " characters");
        }
        return p;
    }

    private static void writeNew(Path file, byte[] bytes, String mode) throws IOException {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(mode)));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file); // not POSIX (Windows): the folder's ACL applies
        } catch (FileAlreadyExistsException e) {
            throw new IllegalArgumentException(file + " exists: refusing to replace a root key");
        }
        Files.write(file, bytes, StandardOpenOption.TRUNCATE_EXISTING);
    }

    private static void ownerOnly(Path dir, String mode) throws IOException {
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(mode));
        } catch (UnsupportedOperationException e) {
            // not POSIX
        }
    }

    private static Map<String, String> options(String[] args) throws Usage {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new Usage("expected --option value, got '" + args[i] + "'");
            }
            o.put(args[i].substring(2), args[++i]);
        }
        return o;
    }

    private static String required(Map<String, String> o, String name) throws Usage {
        String v = o.get(name);
        if (v == null || v.isBlank()) {
            throw new Usage("--" + name + " is required");
        }
        return v;
    }

    private static int number(String value, String name, Function<Integer, Boolean> ok, String range) throws Usage {
        try {
            int n = Integer.parseInt(value);
            if (ok.apply(n)) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new Usage("--" + name + ": " + range + ", got '" + value + "'");
    }

    private static void usage(PrintStream to) {
        to.println("""
                usage: pm keys root-init --out DIR
                       pm keys delegate --root DIR --public-key FILE --expires-days N --out FILE
                       pm keys revoke --root DIR --key-id ID [--reason TEXT] --out FILE
                The root passphrase is asked on the console, or read from PM_ROOT_PASSPHRASE.""");
    }

    /** A command line that cannot be run (exit 2). */
    static final class Usage extends Exception {
        private static final long serialVersionUID = 1L;

        Usage(String message) {
            super(message);
        }
    }
}
