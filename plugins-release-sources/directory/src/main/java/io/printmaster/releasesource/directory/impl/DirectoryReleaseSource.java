package io.printmaster.releasesource.directory.impl;

import io.printmaster.api.release.AssetNamePattern;
import io.printmaster.api.release.ChecksumFile;

import io.printmaster.api.plugin.PluginName;
import io.printmaster.api.release.Channel;
import io.printmaster.api.release.Checksum;
import io.printmaster.api.release.Release;
import io.printmaster.api.release.ReleaseAsset;
import io.printmaster.api.release.ReleasePage;
import io.printmaster.api.release.ReleaseSource;
import io.printmaster.api.release.ReleaseSourceException;
import io.printmaster.api.release.ReleaseSourceType;
import io.printmaster.api.release.Refusal;
import io.printmaster.api.release.Skipped;
import io.printmaster.upstream.signatures.UpstreamPublicKey;
import io.printmaster.upstream.signatures.UpstreamSignatures;
import io.printmaster.api.version.SemanticVersion;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Releases in a local folder, for air-gapped sites: artifacts named {@value AssetNamePattern#DEFAULT}, their
 * checksums in {@value #CHECKSUM_FILE} ({@code sha256sum} output), and release notes in
 * {@code NOTES-<version>.md} ({@code NOTES-1.4.0.md}). One instance per factory configuration of PID
 * {@value #FACTORY_PID} ({@code etc/io.printmaster.releasesource.directory-<name>.cfg}, or
 * {@code POST /api/v1/release-sources} with type {@code directory}). Keys:
 * <table>
 * <caption>configuration</caption>
 * <tr><th>key</th><th>default</th><th>meaning</th></tr>
 * <tr><td>{@code name}</td><td>the folder</td><td>display name of this source</td></tr>
 * <tr><td>{@code path}</td><td>(required)</td><td>absolute path of the folder</td></tr>
 * <tr><td>{@code upstream_public_key}</td><td>none</td><td>a minisign public key or an {@code ssh-ed25519} line:
 *     every artifact must then have a valid {@code <file>.minisig} or {@code <file>.sig} beside it, or it is refused
 *     ({@link Refusal#SIGNATURE_INVALID})</td></tr>
 * </table>
 *
 * <p>A folder has no tags: version and component come from each file name, so {@code tag_pattern} does not apply.
 * Files that are not artifacts are reported as skipped ({@value Skipped#ASSET_NAME_NOT_MATCHED}), except the
 * checksum file, release notes, checksum and signature files and hidden files.
 *
 * <p>The folder is listed on every call (cheap), so files copied in are picked up without a restart; copy them in
 * under a temporary name ({@code .x}, {@code x.part}) and rename, so a half-copied file is never listed. Only
 * regular files directly in the folder count: sub-folders and symbolic links are ignored, and {@link #open} opens
 * nothing else, so no name can reach outside the folder. An artifact without an entry in {@value #CHECKSUM_FILE} is
 * listed without an upstream checksum, and the intake refuses it (nothing to verify it against). All releases come
 * in one page, newest version first; the channel follows the version ({@link Channel#forVersion}); the publication
 * time is the newest modification time of the release's artifacts.
 *
 * <p>Invalid configuration (no path, a relative one): the service is registered all the same (failing the
 * activation would leave a service that cannot be obtained and mark the server unhealthy for an admin's typo); it
 * logs an error naming the key when the configuration arrives, and every {@link #releases} call fails with a
 * non-retryable {@link ReleaseSourceException} carrying the same message. A folder that does not exist (yet: a disk not mounted) is reported on use, as a
 * retryable {@link ReleaseSourceException}.
 */
@Component(service = ReleaseSource.class, configurationPid = DirectoryReleaseSource.FACTORY_PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE,
        // activated when its configuration arrives, so a configuration error is logged at once, not on first use
        immediate = true,
        // built-in: a vendor's source of the same type wins
        property = "service.ranking:Integer=-100")
@Designate(ocd = DirectoryReleaseSource.Config.class, factory = true)
@ReleaseSourceType(type = "directory")
@PluginName("Local release directory")
public class DirectoryReleaseSource implements ReleaseSource {
    /** Factory PID of the configurations, one per folder. */
    public static final String FACTORY_PID = "io.printmaster.releasesource.directory";
    static final String CHECKSUM_FILE = "SHA256SUMS";
    static final String NOTES_PREFIX = "NOTES-";
    static final String NOTES_SUFFIX = ".md";
    static final int MAX_TEXT_BYTES = 1024 * 1024;

    private static final System.Logger LOG = System.getLogger(DirectoryReleaseSource.class.getName());
    private static final AssetNamePattern PATTERN = AssetNamePattern.compile(AssetNamePattern.DEFAULT);

    /** The configuration keys. */
    @ObjectClassDefinition(name = "PrintMaster release source: local directory",
            description = "Lists releases from a local folder of artifacts with a SHA256SUMS file (air-gapped sites).")
    public @interface Config {
        @AttributeDefinition(name = "Name", required = false, description = "Display name of this source; the folder "
                + "when empty.")
        String name() default "";

        @AttributeDefinition(name = "Path", description = "Absolute path of the folder, such as /srv/printmaster/releases.")
        String path() default "";

        @AttributeDefinition(name = "Upstream public key", required = false, description = "A minisign public key "
                + "(the base64 line of its .pub) or an 'ssh-ed25519 AAAA…' line: every artifact must then have a valid "
                + "<file>.minisig or <file>.sig (ssh-keygen -Y sign -n file) beside it, or it is refused.")
        String upstream__public__key() default "";
    }

    private final String name;
    /** Null when the configuration is invalid; then {@link #configurationError} says why. */
    private final Path folder;
    private final String configurationError;
    private final Optional<UpstreamPublicKey> upstreamKey;

    @Activate
    public DirectoryReleaseSource(Config config) {
        this(config.name(), validFolder(config.path()), error(config.path(), config.upstream__public__key()),
                validKey(config.upstream__public__key()));
        if (folder == null) {
            LOG.log(Level.ERROR, "directory release source '" + name + "' cannot list anything: " + configurationError);
        } else {
            LOG.log(Level.INFO, () -> "directory release source '" + name + "' lists " + folder);
        }
    }

    DirectoryReleaseSource(String name, Path folder) {
        this(name, folder, null, Optional.empty());
    }

    DirectoryReleaseSource(String name, Path folder, UpstreamPublicKey upstreamKey) {
        this(name, folder, null, Optional.of(upstreamKey));
    }

    private DirectoryReleaseSource(String name, Path folder, String configurationError,
                                   Optional<UpstreamPublicKey> upstreamKey) {
        // an invalid configuration lists nothing, so no asset can pass without its signature
        this.folder = folder == null || configurationError != null ? null : folder.toAbsolutePath().normalize();
        this.upstreamKey = upstreamKey;
        this.configurationError = configurationError;
        this.name = name != null && !name.isBlank() ? name.strip() : folder != null ? folder.toAbsolutePath().normalize().toString()
                : "(unnamed)";
    }

    private static Path validFolder(String text) {
        try {
            return folder(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String error(String path, String key) {
        try {
            folder(path);
            upstreamKey(key);
            return null;
        } catch (IllegalArgumentException e) {
            return "invalid configuration: " + e.getMessage();
        }
    }

    private static Optional<UpstreamPublicKey> validKey(String text) {
        try {
            return upstreamKey(text);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The {@code upstream_public_key}; empty when none is set. */
    static Optional<UpstreamPublicKey> upstreamKey(String text) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(UpstreamPublicKey.parse(text));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("upstream_public_key: " + e.getMessage(), e);
        }
    }

    static Path folder(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("path: required, the absolute path of the release folder");
        }
        Path p;
        try {
            p = Path.of(text.strip());
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("path: '" + text.strip() + "' is not a path: " + e.getReason(), e);
        }
        if (!p.isAbsolute()) {
            throw new IllegalArgumentException("path: '" + text.strip() + "' must be absolute, such as "
                    + "/srv/printmaster/releases");
        }
        return p;
    }

    @Override
    public ReleasePage releases(Optional<String> pageToken) throws ReleaseSourceException {
        if (folder == null) {
            // every listing fails the same way while the configuration is invalid: the intake shows why
            throw new ReleaseSourceException("directory release source '" + name + "': " + configurationError
                    + "; fix its configuration", false);
        }
        if (pageToken.isPresent()) {
            throw new ReleaseSourceException("page token '" + pageToken.get() + "' was not given by this source: a "
                    + "folder is listed in one page", false);
        }
        checkFolder();
        Map<String, Checksum> checksums = checksums();
        // newest version first; within a release, assets by name
        Map<SemanticVersion, List<ReleaseAsset>> byVersion = new TreeMap<>(Comparator.reverseOrder());
        Map<SemanticVersion, Instant> newest = new TreeMap<>();
        List<Skipped> skipped = new ArrayList<>();
        for (Path file : regularFiles()) {
            String fileName = file.getFileName().toString();
            if (fileName.startsWith(".")) {
                continue; // hidden: a copy in progress (rsync) or an editor's file
            }
            Optional<AssetNamePattern.Parsed> parsed = PATTERN.parse(fileName);
            if (parsed.isEmpty()) {
                if (!isCompanionFile(fileName)) {
                    skipped.add(Skipped.asset(folder.getFileName() == null ? folder.toString() : folder.getFileName().toString(),
                            fileName, Skipped.ASSET_NAME_NOT_MATCHED, "file " + fileName + " in " + folder
                                    + " is not named " + AssetNamePattern.DEFAULT));
                }
                continue;
            }
            AssetNamePattern.Parsed p = parsed.get();
            SemanticVersion version = p.version().orElseThrow(); // the default pattern has {version}
            BasicFileAttributes attributes;
            try {
                attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                continue; // removed while listing
            } catch (IOException e) {
                throw new ReleaseSourceException("cannot read " + file + ": " + e, true, e);
            }
            ReleaseAsset asset = new ReleaseAsset(fileName, p.component(), version, p.platform(), p.format(),
                    Channel.forVersion(version), OptionalLong.of(attributes.size()), file.toUri(),
                    Optional.ofNullable(checksums.get(fileName)));
            byVersion.computeIfAbsent(version, v -> new ArrayList<>()).add(asset);
            newest.merge(version, attributes.lastModifiedTime().toInstant(), (a, b) -> a.isAfter(b) ? a : b);
        }
        List<Release> releases = new ArrayList<>();
        for (Map.Entry<SemanticVersion, List<ReleaseAsset>> e : byVersion.entrySet()) {
            SemanticVersion version = e.getKey();
            List<ReleaseAsset> assets = new ArrayList<>(e.getValue());
            assets.sort(Comparator.comparing(ReleaseAsset::name));
            releases.add(new Release(version.toString(), version, Channel.forVersion(version),
                    Optional.of(newest.get(version)), notes(version), assets));
        }
        return new ReleasePage(releases, Optional.empty(), skipped, List.of());
    }

    /** Files that accompany artifacts and are expected in the folder: never reported as skipped. */
    private static boolean isCompanionFile(String fileName) {
        String n = fileName.toLowerCase(java.util.Locale.ROOT);
        return fileName.equals(CHECKSUM_FILE) || ChecksumFile.isChecksumFileName(fileName)
                || fileName.startsWith(NOTES_PREFIX) && fileName.endsWith(NOTES_SUFFIX)
                || n.endsWith(".minisig") || n.endsWith(".sig") || n.endsWith(".asc") || n.endsWith(".part")
                || n.endsWith(".partial") || n.endsWith(".tmp");
    }

    /**
     * With {@code upstream_public_key} set, the artifact needs a valid signature of that key beside it in the folder
     * ({@code <file>.minisig} for a minisign key, {@code <file>.sig} for an SSH key); otherwise it is refused.
     */
    @Override
    public Optional<Refusal> verify(ReleaseAsset asset, Path file) throws ReleaseSourceException {
        if (upstreamKey.isEmpty()) {
            return Optional.empty();
        }
        if (fileOf(asset).isEmpty()) {
            // fail closed: an asset this folder no longer holds as a plain file (gone, or replaced by a link or a
            // folder since it was listed) cannot be tied to a signature beside it
            return Optional.of(new Refusal(asset, Refusal.SIGNATURE_INVALID, "upstream_public_key is set, but "
                    + asset.name() + " is no longer a plain file of " + folder + ", so its signature cannot be checked"));
        }
        UpstreamPublicKey key = upstreamKey.get();
        String signatureName = key.signatureFileFor(asset.name());
        Path signature = folder.resolve(signatureName);
        if (!Files.isRegularFile(signature, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.of(new Refusal(asset, Refusal.SIGNATURE_INVALID, "upstream_public_key is set, but there is no "
                    + signatureName + " beside " + asset.name() + " in " + folder));
        }
        try (InputStream in = Files.newInputStream(signature, LinkOption.NOFOLLOW_LINKS)) {
            byte[] bytes = in.readNBytes(UpstreamSignatures.MAX_SIGNATURE_BYTES + 1);
            return UpstreamSignatures.check(key, file, bytes)
                    .map(problem -> new Refusal(asset, Refusal.SIGNATURE_INVALID, signatureName + ": " + problem));
        } catch (IOException e) {
            throw new ReleaseSourceException("cannot read " + signature + " or the downloaded " + asset.name() + ": " + e,
                    true, e);
        }
    }

    /** Opens an asset this folder lists: a regular file directly in the folder, never through a link. */
    @Override
    public Optional<InputStream> open(ReleaseAsset asset) throws ReleaseSourceException {
        Optional<Path> file = fileOf(asset);
        if (file.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.newInputStream(file.get(), LinkOption.NOFOLLOW_LINKS));
        } catch (NoSuchFileException e) {
            throw new ReleaseSourceException(asset.name() + " was removed from " + folder + " after it was listed", false, e);
        } catch (IOException e) {
            throw new ReleaseSourceException("cannot open " + file.get() + ": " + e, true, e);
        }
    }

    /** Resumes an interrupted copy: the file from byte {@code offset} on. */
    @Override
    public Optional<InputStream> open(ReleaseAsset asset, long offset) throws ReleaseSourceException {
        Optional<Path> file = fileOf(asset);
        if (file.isEmpty() || offset < 0) {
            return Optional.empty();
        }
        try {
            SeekableByteChannel channel = Files.newByteChannel(file.get(), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
            try {
                channel.position(offset);
            } catch (IOException e) {
                channel.close();
                throw e;
            }
            return Optional.of(Channels.newInputStream(channel));
        } catch (NoSuchFileException e) {
            throw new ReleaseSourceException(asset.name() + " was removed from " + folder + " after it was listed", false, e);
        } catch (IOException e) {
            throw new ReleaseSourceException("cannot open " + file.get() + ": " + e, true, e);
        }
    }

    /** Read from {@value #CHECKSUM_FILE} at the time of asking, so a corrected file counts at once. */
    @Override
    public Optional<Checksum> upstreamChecksum(ReleaseAsset asset) throws ReleaseSourceException {
        if (fileOf(asset).isEmpty()) {
            return asset.upstreamSha256();
        }
        checkFolder();
        return Optional.ofNullable(checksums().get(asset.name()));
    }

    /** The file of an asset that this folder listed (same file URL); empty for anything else. */
    private Optional<Path> fileOf(ReleaseAsset asset) {
        if (folder == null) {
            return Optional.empty();
        }
        // ReleaseAsset guarantees a plain name (no separators, not "." or ".."); resolving it stays in the folder
        Path file = folder.resolve(asset.name()).normalize();
        if (!folder.equals(file.getParent()) || !file.toUri().equals(asset.downloadUrl())) {
            return Optional.empty();
        }
        if (Files.isSymbolicLink(file) || Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        return Optional.of(file);
    }

    private void checkFolder() throws ReleaseSourceException {
        if (!Files.isDirectory(folder)) {
            throw new ReleaseSourceException("release folder " + folder + " does not exist or is not a folder "
                    + "(path key of source '" + name + "')", true);
        }
    }

    private List<Path> regularFiles() throws ReleaseSourceException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)).toList();
        } catch (IOException e) {
            throw new ReleaseSourceException("cannot list " + folder + ": " + e, true, e);
        }
    }

    private Map<String, Checksum> checksums() throws ReleaseSourceException {
        return readText(folder.resolve(CHECKSUM_FILE))
                .map(text -> ChecksumFile.parse(text, Optional.empty())).orElse(Map.of());
    }

    private Optional<String> notes(SemanticVersion version) throws ReleaseSourceException {
        return readText(folder.resolve(NOTES_PREFIX + version + NOTES_SUFFIX)).filter(n -> !n.isBlank());
    }

    /** A small UTF-8 text file of the folder; empty when it is absent (or a link, which is not followed). */
    private Optional<String> readText(Path file) throws ReleaseSourceException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            byte[] bytes = in.readNBytes(MAX_TEXT_BYTES + 1);
            if (bytes.length > MAX_TEXT_BYTES) {
                throw new ReleaseSourceException(file + " is larger than " + MAX_TEXT_BYTES + " bytes; refused", false);
            }
            return Optional.of(StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (CharacterCodingException e) {
            throw new ReleaseSourceException(file + " is not UTF-8 text", false, e);
        } catch (IOException e) {
            throw new ReleaseSourceException("cannot read " + file + ": " + e, true, e);
        }
    }

    @Override
    public String toString() {
        return "DirectoryReleaseSource[" + name + ", " + (folder != null ? folder : configurationError) + "]";
    }
}
