package io.printmaster.agent.enrollment.impl;

import io.printmaster.agent.files.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes the join token from the agent's disk once the agent holds its own credential: {@code <home>/etc/join-token}
 * (an installer's file) and a {@code join_token} line of {@code <data>/etc/io.printmaster.agent.cfg} (a hand install).
 * A token left behind would let whoever reads the disk enroll machines of their own into the fleet until it expires.
 *
 * <p>The caller removes it only after the credential is durably stored ({@link CredentialStore#save} forces the
 * file before renaming it into place): a crash before that leaves the token, and the agent enrolls again at its next
 * start; a crash after it leaves the credential, and the token goes at the next successful check-in.
 */
final class UsedJoinToken {
    private static final Logger LOG = LoggerFactory.getLogger(UsedJoinToken.class);
    /** A {@code join_token} entry of a properties file, in any of the separators the format allows. */
    private static final Pattern CFG_ENTRY = Pattern.compile("^\\s*join_token\\s*[=:\\s].*$|^\\s*join_token\\s*$");

    private final Path tokenFile;
    private final Path settingsFile;
    private final Path tempDir;

    /**
     * @param tokenFile    {@code <home>/etc/join-token}
     * @param settingsFile {@code <data>/etc/io.printmaster.agent.cfg}
     * @param tempDir      a folder on the settings file's file system that Felix FileInstall does not watch (it
     *                     would take a temporary file in {@code etc/} for a configuration)
     */
    UsedJoinToken(Path tokenFile, Path settingsFile, Path tempDir) {
        this.tokenFile = tokenFile;
        this.settingsFile = settingsFile;
        this.tempDir = tempDir;
    }

    /** Whether a token is still on disk in either place. */
    boolean present() {
        if (Files.exists(tokenFile)) {
            return true;
        }
        try {
            return Files.readAllLines(settingsFile, StandardCharsets.ISO_8859_1).stream().anyMatch(l -> CFG_ENTRY.matcher(l).matches());
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Deletes the token file and the {@code join_token} line; everything else in the settings file stays as it was.
     * A failure is logged (with what to delete by hand), never thrown: the agent is enrolled either way.
     *
     * @return the places the token was removed from
     */
    List<Path> remove() {
        List<Path> removed = new ArrayList<>();
        try {
            if (Files.deleteIfExists(tokenFile)) {
                AtomicFiles.syncDirectory(tokenFile.getParent());
                removed.add(tokenFile);
            }
        } catch (IOException e) {
            LOG.warn("enrolled, but cannot delete the used join token {} ({}): delete it by hand; whoever reads it can "
                    + "enroll machines into the fleet until it expires", tokenFile, e.toString());
        }
        try {
            if (removeSetting()) {
                removed.add(settingsFile);
            }
        } catch (IOException e) {
            LOG.warn("enrolled, but cannot remove join_token from {} ({}): remove that line by hand", settingsFile,
                    e.toString());
        }
        if (!removed.isEmpty()) {
            LOG.info("enrolled: removed the used join token from {}", removed);
        }
        return removed;
    }

    private boolean removeSetting() throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(settingsFile);
        } catch (NoSuchFileException e) {
            return false;
        }
        // properties files are ISO-8859-1: a byte-for-byte round trip whatever the file holds
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        StringBuilder kept = new StringBuilder(text.length());
        boolean found = false;
        for (String line : text.split("(?<=\n)", -1)) {
            if (CFG_ENTRY.matcher(line.stripTrailing()).matches()) {
                found = true;
            } else {
                kept.append(line);
            }
        }
        if (!found) {
            return false;
        }
        Set<PosixFilePermission> mode = settingsFile.getFileSystem().supportedFileAttributeViews().contains("posix")
                ? Files.getPosixFilePermissions(settingsFile) : null;
        AtomicFiles.write(settingsFile, kept.toString().getBytes(StandardCharsets.ISO_8859_1), tempDir, mode);
        return true;
    }
}
