package io.printmaster.api.release;

import io.printmaster.api.platform.Arch;
import io.printmaster.api.platform.ComponentName;
import io.printmaster.api.platform.Os;
import io.printmaster.api.platform.Platform;
import io.printmaster.api.version.SemanticVersion;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads component, version, platform and format out of an asset file name with a pattern such as
 * {@value #DEFAULT}. Placeholders: {@code {component}} and {@code {ext}} (required), {@code {version}},
 * {@code {os}} with {@code {arch}}, or {@code {platform}} (= {@code {os}-{arch}}); everything else is literal.
 * OS and architecture names are matched ignoring case; {@code x86_64}/{@code x64} read as {@code amd64} and
 * {@code aarch64} as {@code arm64}. The extension becomes the format ({@code tar.gz}, {@code zip}, {@code msi};
 * {@code tgz} reads as {@code tar.gz}). Side files (checksums, signatures) and copies in progress never match, even
 * when their names extend an artifact's ({@code ….tar.gz.sha256}, {@code ….tar.gz.part}).
 *
 * <p>Release sources that read artifact names (a GitHub release, a local folder) share this, so every source reads
 * names the same way. Immutable and thread-safe.
 *
 * @since 1.2
 */
public final class AssetNamePattern {

    /** The asset names PrintMaster's own release pipeline publishes. */
    public static final String DEFAULT = "printmaster-{component}-v{version}-{os}-{arch}.{ext}";

    /**
     * Last extensions of files that are never artifacts: checksums and signatures published next to them, and
     * copies in progress ({@code x.tar.gz.part}).
     */
    private static final Set<String> NOT_ARTIFACT_EXTENSIONS = Set.of("sha1", "sha256", "sha256sum", "sha512",
            "sha512sum", "md5", "sig", "asc", "minisig", "pem", "crt", "cert", "sbom", "intoto", "jsonl",
            "part", "partial", "tmp", "temp", "crdownload", "download", "swp", "bak");

    private static final String COMPONENT = "(?<component>[a-z0-9](?:[a-z0-9-]*?[a-z0-9])?)";
    private static final String VERSION = "(?<version>(?:0|[1-9]\\d*)\\.(?:0|[1-9]\\d*)\\.(?:0|[1-9]\\d*)"
            + "(?:-[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?)";
    private static final String OS = "(?<os>(?i:" + Arrays.stream(Os.values()).map(Os::wireName)
            .collect(Collectors.joining("|")) + "))";
    private static final String ARCH = "(?<arch>(?i:amd64|x86_64|x64|arm64|aarch64))";
    private static final String EXT = "(?<ext>[A-Za-z0-9]+(?:[.-][A-Za-z0-9]+)*)";
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^{}]*)}");

    /** What a matching name says. */
    public record Parsed(ComponentName component, Optional<SemanticVersion> version, Optional<Platform> platform,
                  String format) {
    }

    private final String source;
    private final Pattern regex;
    private final boolean hasVersion;
    private final boolean hasPlatform;

    private AssetNamePattern(String source, Pattern regex, boolean hasVersion, boolean hasPlatform) {
        this.source = source;
        this.regex = regex;
        this.hasVersion = hasVersion;
        this.hasPlatform = hasPlatform;
    }

    /**
     * @throws IllegalArgumentException naming what is wrong: an unknown or repeated placeholder, a missing
     *                                  {@code {component}} or {@code {ext}}, {@code {os}} without {@code {arch}}
     */
    public static AssetNamePattern compile(String pattern) {
        if (pattern == null || pattern.isBlank()) {
            throw new IllegalArgumentException("must not be empty; the default is " + DEFAULT);
        }
        if (pattern.contains("/") || pattern.contains("\\")) {
            throw new IllegalArgumentException("'" + pattern + "' must be a file name pattern without '/' or '\\'");
        }
        StringBuilder regex = new StringBuilder();
        Set<String> seen = new HashSet<>();
        Matcher m = PLACEHOLDER.matcher(pattern);
        int last = 0;
        while (m.find()) {
            regex.append(literal(pattern.substring(last, m.start()), pattern));
            String name = m.group(1);
            if (!seen.add(name)) {
                throw new IllegalArgumentException("'" + pattern + "' uses {" + name + "} twice");
            }
            regex.append(switch (name) {
                case "component" -> COMPONENT;
                case "version" -> VERSION;
                case "os" -> OS;
                case "arch" -> ARCH;
                case "platform" -> OS + "-" + ARCH;
                case "ext" -> EXT;
                default -> throw new IllegalArgumentException("'" + pattern + "' has an unknown placeholder {" + name
                        + "}: expected {component}, {version}, {os}, {arch}, {platform} or {ext}");
            });
            last = m.end();
        }
        regex.append(literal(pattern.substring(last), pattern));
        for (String required : new String[] {"component", "ext"}) {
            if (!seen.contains(required)) {
                throw new IllegalArgumentException("'" + pattern + "' must contain {" + required + "}");
            }
        }
        if (seen.contains("platform") && (seen.contains("os") || seen.contains("arch"))) {
            throw new IllegalArgumentException("'" + pattern + "' uses {platform} together with {os} or {arch}");
        }
        if (seen.contains("os") != seen.contains("arch")) {
            throw new IllegalArgumentException("'" + pattern + "' must use {os} and {arch} together");
        }
        return new AssetNamePattern(pattern, Pattern.compile(regex.toString()), seen.contains("version"),
                seen.contains("os") || seen.contains("platform"));
    }

    private static String literal(String text, String pattern) {
        if (text.indexOf('{') >= 0 || text.indexOf('}') >= 0) {
            throw new IllegalArgumentException("'" + pattern + "' has an unbalanced '{' or '}'");
        }
        return text.isEmpty() ? "" : Pattern.quote(text);
    }

    /** What {@code fileName} says, or empty when it does not match (or is a checksum or signature file). */
    public Optional<Parsed> parse(String fileName) {
        Matcher m = regex.matcher(fileName);
        if (!m.matches()) {
            return Optional.empty();
        }
        String ext = m.group("ext").toLowerCase(Locale.ROOT);
        if (NOT_ARTIFACT_EXTENSIONS.contains(ext.substring(ext.lastIndexOf('.') + 1))) {
            return Optional.empty();
        }
        try {
            ComponentName component = ComponentName.of(m.group("component"));
            Optional<SemanticVersion> version = hasVersion
                    ? Optional.of(SemanticVersion.parse(m.group("version"))) : Optional.empty();
            Optional<Platform> platform = Optional.empty();
            if (hasPlatform) {
                Arch arch = Arch.fromJavaArch(m.group("arch")).orElseThrow();
                platform = Optional.of(new Platform(Os.fromWireName(m.group("os")), arch));
            }
            return Optional.of(new Parsed(component, version, platform, ext.equals("tgz") ? "tar.gz" : ext));
        } catch (IllegalArgumentException | java.util.NoSuchElementException e) {
            return Optional.empty(); // looked like ours but is not a valid name: not one of our artifacts
        }
    }

    @Override
    public String toString() {
        return source;
    }
}
