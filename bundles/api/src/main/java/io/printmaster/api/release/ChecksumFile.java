package io.printmaster.api.release;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * SHA-256 checksum files as release pipelines publish them: {@code sha256sum} output
 * ({@code <hex>  <file>} or {@code <hex> *<file>}), BSD style ({@code SHA256 (<file>) = <hex>}), or a single-file
 * {@code <artifact>.sha256} holding just the digest. Entries are keyed by file name without directories (pipelines
 * often hash {@code dist/<file>}); a name listed twice with different digests has no entry at all, so nothing is
 * verified against a guess.
 *
 * <p>Shared by the release sources that read such files, so all of them accept the same forms. Stateless.
 *
 * @since 1.2
 */
public final class ChecksumFile {

    private static final Pattern GNU = Pattern.compile("([0-9A-Fa-f]{64}) [ *]?(.+)");
    private static final Pattern BSD = Pattern.compile("SHA256 ?\\((.+)\\) ?= ?([0-9A-Fa-f]{64})");
    private static final Pattern BARE = Pattern.compile("([0-9A-Fa-f]{64})");

    private ChecksumFile() {
    }

    /** True for file names that hold checksums of other assets of the same release. */
    public static boolean isChecksumFileName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.equals("sha256sums") || n.equals("sha256sums.txt") || n.endsWith("checksums.txt")
                || n.endsWith(".sha256") || n.endsWith(".sha256sum");
    }

    /** For {@code x.tar.gz.sha256}: {@code x.tar.gz}, the one file it is about; empty for a list of checksums. */
    public static Optional<String> subjectOf(String checksumFileName) {
        String n = checksumFileName.toLowerCase(Locale.ROOT);
        for (String suffix : new String[] {".sha256", ".sha256sum"}) {
            if (n.endsWith(suffix) && n.length() > suffix.length()) {
                return Optional.of(checksumFileName.substring(0, checksumFileName.length() - suffix.length()));
            }
        }
        return Optional.empty();
    }

    /**
     * The entries of a checksum file; lines that are not entries (comments, blanks, other algorithms) are skipped.
     *
     * @param subject for a single-file checksum ({@link #subjectOf}) the file a bare digest belongs to
     */
    public static Map<String, Checksum> parse(String text, Optional<String> subject) {
        Map<String, Checksum> entries = new HashMap<>();
        Set<String> conflicting = new HashSet<>();
        for (String raw : text.split("\r?\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String file;
            String hex;
            Matcher m;
            if ((m = GNU.matcher(line)).matches()) {
                hex = m.group(1);
                file = m.group(2).strip();
            } else if ((m = BSD.matcher(line)).matches()) {
                file = m.group(1).strip();
                hex = m.group(2);
            } else if (subject.isPresent() && (m = BARE.matcher(line)).matches()) {
                hex = m.group(1);
                file = subject.get();
            } else {
                continue;
            }
            file = baseName(file);
            Checksum checksum = Checksum.sha256(hex);
            Checksum before = entries.putIfAbsent(file, checksum);
            if (before != null && !before.equals(checksum)) {
                conflicting.add(file);
            }
        }
        conflicting.forEach(entries::remove);
        return entries;
    }

    private static String baseName(String path) {
        String p = path.replace('\\', '/');
        return p.substring(p.lastIndexOf('/') + 1);
    }
}
