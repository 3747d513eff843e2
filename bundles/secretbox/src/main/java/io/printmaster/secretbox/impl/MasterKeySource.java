package io.printmaster.secretbox.impl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the master key comes from, so that a copy of the data folder alone never holds it:
 * <ol>
 *   <li>{@code PM_MASTER_KEY}: base64 of 32 bytes, from the environment (a secret manager, a container platform);</li>
 *   <li>a key file named by {@code --master-key-file} (the launcher passes it as the framework property
 *   {@value #PROP_FILE}) or, when the launcher did not, by {@code PM_MASTER_KEY_FILE};</li>
 *   <li>by default {@code <data>.keys/master.key}: a folder <em>beside</em> the data folder, named after it
 *   ({@code /var/lib/printmaster} → {@code /var/lib/printmaster.keys/master.key}). Beside, not inside: the service
 *   account that owns the data folder can be given that folder too (systemd: a second {@code StateDirectory}), it
 *   survives {@code ProtectHome=} (a per-user configuration folder would not, and a service account's home is often
 *   its data folder), and every data folder gets its own key, so servers on temporary data folders never share
 *   one.</li>
 * </ol>
 * Both {@code PM_MASTER_KEY} and a key file at once are refused: which one sealed the secrets would be a guess.
 *
 * <p>A key file is created on first use (folder 0700, file 0600, written to a temporary file and renamed into place)
 * and its path is logged once, with the advice to back it up apart from the data folder. A key file others can read
 * is refused (fail closed rather than trust a key that may have leaked).
 *
 * <p><b>Upgrade.</b> Versions before this one kept the key in {@code <data>/keys/master.key}. When a key file is in
 * use and that old file exists, it is copied to the key file (temporary file, forced, atomic rename, read back and
 * compared) and only then deleted, so a crash at any moment leaves at least one complete copy; the next start finds
 * both, equal, and finishes the move. Both present and different is refused. When the default key folder cannot be
 * created (the service account may not write beside its data folder), the old file keeps being used, with a warning
 * at every start: an agent must not stop updating because of it.
 */
final class MasterKeySource {
    private static final Logger LOG = LoggerFactory.getLogger(MasterKeySource.class);

    static final String ENV_KEY = "PM_MASTER_KEY";
    static final String ENV_FILE = "PM_MASTER_KEY_FILE";
    /** Framework property the launcher sets from {@code --master-key-file} or {@code PM_MASTER_KEY_FILE}. */
    static final String PROP_FILE = "pm.master.key.file";
    static final String KEY_FILE_NAME = "master.key";
    static final int KEY_BYTES = 32;

    private static final Set<PosixFilePermission> OWNER_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_FOLDER = PosixFilePermissions.fromString("rwx------");

    /** The key and where it came from (a description for the log: never the key). */
    record Loaded(byte[] key, String origin) {
        @Override
        public String toString() {
            return "Loaded[origin=" + origin + "]";
        }
    }

    /** Called between the copy of an old key file and its deletion; tests simulate a crash there. */
    interface MigrationHook {
        void copied(Path from, Path to) throws IOException;
    }

    private MasterKeySource() {
    }

    /** The key folder beside a data folder: {@code <parent>/<name>.keys}. */
    static Path defaultKeyFile(Path dataDir) throws IOException {
        Path data = dataDir.toAbsolutePath().normalize();
        if (data.getParent() == null || data.getFileName() == null) {
            throw new IOException("the data folder " + data + " has no parent folder to keep the master key beside it: "
                    + "set --master-key-file or PM_MASTER_KEY_FILE");
        }
        return data.resolveSibling(data.getFileName() + ".keys").resolve(KEY_FILE_NAME);
    }

    /** Where versions before this one kept the key: inside the data folder. */
    static Path legacyKeyFile(Path dataDir) {
        return dataDir.resolve("keys").resolve(KEY_FILE_NAME);
    }

    /**
     * The master key, as described in the class comment.
     *
     * @param env          the environment ({@value #ENV_KEY}, {@value #ENV_FILE})
     * @param fileProperty the framework property {@value #PROP_FILE}, or null
     * @param dataDir      the data folder, or null when there is none (then a key source must be given)
     */
    static Loaded load(Map<String, String> env, String fileProperty, Path dataDir) throws IOException {
        return load(env, fileProperty, dataDir, (from, to) -> { });
    }

    static Loaded load(Map<String, String> env, String fileProperty, Path dataDir, MigrationHook hook) throws IOException {
        String fromEnv = env.get(ENV_KEY);
        String configuredFile = present(fileProperty) ? fileProperty.strip()
                : present(env.get(ENV_FILE)) ? env.get(ENV_FILE).strip() : null;
        if (present(fromEnv)) {
            if (configuredFile != null) {
                throw new IOException(ENV_KEY + " and a master key file (--master-key-file / " + ENV_FILE + ": "
                        + configuredFile + ") are both set; set only one, the one the secrets were sealed with");
            }
            byte[] key = decodeEnvironmentKey(fromEnv);
            if (dataDir != null && Files.exists(legacyKeyFile(dataDir))) {
                LOG.warn("{} holds a master key inside the data folder, which is not used while {} is set; delete it "
                        + "once you know it is not the key your secrets were sealed with", legacyKeyFile(dataDir), ENV_KEY);
            }
            return new Loaded(key, "the environment variable " + ENV_KEY);
        }
        Path file;
        boolean explicit = configuredFile != null;
        if (explicit) {
            file = Path.of(configuredFile).toAbsolutePath().normalize();
        } else if (dataDir != null) {
            file = defaultKeyFile(dataDir);
        } else {
            throw new IOException("no master key: set " + ENV_KEY + ", --master-key-file or " + ENV_FILE);
        }
        if (dataDir != null && file.startsWith(dataDir.toAbsolutePath().normalize())) {
            LOG.warn("the master key file {} is inside the data folder {}: a copy of the data folder then opens every "
                    + "secret; keep it elsewhere", file, dataDir);
        }
        Path legacy = dataDir == null ? null : legacyKeyFile(dataDir.toAbsolutePath().normalize());
        if (legacy != null && !legacy.equals(file) && Files.exists(legacy)) {
            return migrate(legacy, file, explicit, hook);
        }
        return new Loaded(readOrCreate(file), file.toString());
    }

    private static Loaded migrate(Path legacy, Path target, boolean explicit, MigrationHook hook) throws IOException {
        byte[] old = readKeyFile(legacy);
        if (Files.exists(target)) {
            byte[] current = readKeyFile(target);
            if (!MessageDigest.isEqual(old, current)) {
                throw new IOException("two different master keys: " + target + " and " + legacy + " (inside the data "
                        + "folder, from an older version). The secrets of this data folder were sealed with one of them, "
                        + "most likely the old one: keep that one as " + target + " and delete the other");
            }
            // an earlier move stopped after the copy: the copy is complete (it is renamed into place whole), finish
            deleteLegacy(legacy);
            LOG.info("finished moving the master key out of the data folder: deleted {} (the key is {})", legacy, target);
            return new Loaded(current, target.toString());
        }
        try {
            writeKeyFile(target, old);
        } catch (IOException e) {
            if (explicit) {
                throw new IOException("cannot move the master key " + legacy + " to " + target + ": " + e.getMessage(), e);
            }
            LOG.warn("the master key stays inside the data folder at {}, because {} cannot be written ({}): a copy of "
                    + "the data folder opens every secret. Give this account the folder {} or set --master-key-file / {}",
                    legacy, target, e.toString(), target.getParent(), ENV_FILE);
            return new Loaded(old, legacy.toString());
        }
        if (!MessageDigest.isEqual(old, readKeyFile(target))) {
            Files.deleteIfExists(target); // the old file stays: it is the only good copy
            throw new IOException("the copy of the master key at " + target + " does not read back as " + legacy
                    + "; the key stays where it was");
        }
        hook.copied(legacy, target);
        deleteLegacy(legacy);
        LOG.info("moved the master key out of the data folder: {} -> {}. Back it up separately from the data folder: "
                + "without it, the secrets in the data folder (signing keys, credentials) cannot be opened", legacy, target);
        return new Loaded(old, target.toString());
    }

    private static void deleteLegacy(Path legacy) throws IOException {
        Files.delete(legacy);
        try {
            Files.deleteIfExists(legacy.getParent());
        } catch (DirectoryNotEmptyException e) {
            // something else lives there: leave it
        }
        forceFolder(legacy.getParent().getParent());
    }

    private static byte[] readOrCreate(Path file) throws IOException {
        if (Files.exists(file)) {
            return readKeyFile(file);
        }
        byte[] key = new byte[KEY_BYTES];
        new SecureRandom().nextBytes(key);
        try {
            writeKeyFile(file, key);
        } catch (IOException e) {
            if (e instanceof FileAlreadyExistsException && Files.isRegularFile(file)) {
                return readKeyFile(file); // another process made it meanwhile: use that one
            }
            throw new IOException("cannot create the master key file " + file + " (" + e.getMessage() + "): create the "
                    + "folder " + file.getParent() + " for the account the program runs as, or set --master-key-file / "
                    + ENV_FILE + " or " + ENV_KEY, e);
        }
        LOG.info("created the master key {}. Back it up separately from the data folder: it opens the secrets kept "
                + "there, and a backup of the data folder alone must not", file);
        return key;
    }

    /** Reads a key file, refusing one others may read. */
    static byte[] readKeyFile(Path file) throws IOException {
        if (posix(file)) {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
                throw new IOException(file + " is readable by others (" + PosixFilePermissions.toString(perms)
                        + "); run chmod 600 on it");
            }
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(Files.readString(file, StandardCharsets.US_ASCII).strip());
        } catch (IllegalArgumentException e) {
            throw new IOException(file + " does not hold a base64 key");
        }
        if (key.length != KEY_BYTES) {
            throw new IOException(file + " does not hold a " + KEY_BYTES + "-byte key");
        }
        return key;
    }

    /**
     * Writes a new key file whole: a temporary file in the same folder (owner-only from its creation), forced, then
     * linked or renamed into place without replacing a file that appeared meanwhile, and the folder forced.
     *
     * @throws FileAlreadyExistsException when {@code file} exists
     */
    static void writeKeyFile(Path file, byte[] key) throws IOException {
        Path folder = file.getParent();
        boolean posix = posix(folder);
        if (posix) {
            Files.createDirectories(folder, PosixFilePermissions.asFileAttribute(OWNER_FOLDER));
        } else {
            Files.createDirectories(folder);
        }
        Path tmp = posix
                ? Files.createTempFile(folder, "." + file.getFileName(), ".tmp", PosixFilePermissions.asFileAttribute(OWNER_FILE))
                : Files.createTempFile(folder, "." + file.getFileName(), ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buffer = ByteBuffer.wrap((Base64.getEncoder().encodeToString(key) + "\n").getBytes(StandardCharsets.US_ASCII));
                while (buffer.hasRemaining()) {
                    ch.write(buffer);
                }
                ch.force(true);
            }
            try {
                Files.createLink(file, tmp); // fails when the file exists: never replaces a key
            } catch (UnsupportedOperationException | java.nio.file.FileSystemException e) {
                if (e instanceof FileAlreadyExistsException exists) {
                    throw exists;
                }
                if (Files.exists(file)) {
                    throw new FileAlreadyExistsException(file.toString());
                }
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        forceFolder(folder);
    }

    /** Makes a rename or deletion in {@code folder} durable where the OS lets a folder be opened (not Windows). */
    private static void forceFolder(Path folder) {
        try (FileChannel ch = FileChannel.open(folder, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            // not supported here: the rename is as durable as the file system makes it
        }
    }

    private static byte[] decodeEnvironmentKey(String value) throws IOException {
        byte[] key;
        try {
            key = Base64.getDecoder().decode(value.strip());
        } catch (IllegalArgumentException e) {
            throw new IOException(ENV_KEY + " is not base64");
        }
        if (key.length != KEY_BYTES) {
            throw new IOException(ENV_KEY + " must be the base64 of " + KEY_BYTES + " bytes, got " + key.length + " bytes");
        }
        return key;
    }

    private static boolean posix(Path p) {
        return p.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    private static boolean present(String s) {
        return s != null && !s.isBlank();
    }
}
