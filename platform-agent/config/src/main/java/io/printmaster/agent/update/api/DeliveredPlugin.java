package io.printmaster.agent.update.api;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A vendor plugin in the agent's {@code <data>/plugins/} that follows a release stream of the update server: its
 * manifest names the component ({@value #HEADER}{@code : acme-label}), and its version is the first three numbers of
 * its {@code Bundle-Version}. The server offers newer releases of that component (format {@code jar}) at check-in,
 * and the update worker replaces the jar behind the health gate.
 *
 * @param component the release stream: lowercase letters, digits and {@code -}; never {@code agent} or {@code server}
 * @param version {@code major.minor.micro} of the bundle's version
 * @param symbolicName the bundle's symbolic name, without directives
 * @param jar the file in the plugins folder
 */
public record DeliveredPlugin(String component, String version, String symbolicName, Path jar) {
    /** The manifest header that ties a plugin to a release stream. */
    public static final String HEADER = "PrintMaster-Component";
    /** What a component name may be. */
    public static final Pattern COMPONENT = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");
    private static final Pattern BUNDLE_VERSION = Pattern.compile("(\\d+)(?:\\.(\\d+))?(?:\\.(\\d+))?(?:\\..*)?");

    /**
     * The delivered plugins of a plugins folder, sorted by file name. Jars without the header (plugins installed by
     * hand) are not listed; a component claimed by two jars is listed once, for the first.
     */
    public static List<DeliveredPlugin> scan(Path pluginsDir) {
        if (!Files.isDirectory(pluginsDir)) {
            return List.of();
        }
        List<DeliveredPlugin> found = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        try (Stream<Path> files = Files.list(pluginsDir)) {
            for (Path jar : files.filter(p -> p.getFileName().toString().endsWith(".jar")
                    && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList()) {
                read(jar).filter(p -> seen.add(p.component())).ifPresent(found::add);
            }
        } catch (IOException e) {
            return List.copyOf(found);
        }
        return List.copyOf(found);
    }

    /** The plugin a jar is, when it is a bundle with a valid {@value #HEADER} header. */
    public static Optional<DeliveredPlugin> read(Path jar) {
        try (InputStream in = Files.newInputStream(jar); JarInputStream j = new JarInputStream(in)) {
            Manifest m = j.getManifest();
            if (m == null) {
                return Optional.empty();
            }
            String component = m.getMainAttributes().getValue(HEADER);
            String name = m.getMainAttributes().getValue("Bundle-SymbolicName");
            if (component == null || name == null || !COMPONENT.matcher(component.strip()).matches()
                    || component.strip().equals("agent") || component.strip().equals("server")) {
                return Optional.empty();
            }
            int semicolon = name.indexOf(';');
            return Optional.of(new DeliveredPlugin(component.strip(),
                    releaseVersion(m.getMainAttributes().getValue("Bundle-Version")),
                    (semicolon >= 0 ? name.substring(0, semicolon) : name).strip(), jar));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // not a readable jar: FileInstall reports it
        }
    }

    /** {@code 1.2.0} for {@code 1.2.0.qualifier}, {@code 1.2.0} for {@code 1.2}, {@code 0.0.0} when absent. */
    static String releaseVersion(String bundleVersion) {
        if (bundleVersion == null) {
            return "0.0.0";
        }
        Matcher v = BUNDLE_VERSION.matcher(bundleVersion.strip());
        if (!v.matches()) {
            return "0.0.0";
        }
        return v.group(1) + "." + (v.group(2) == null ? "0" : v.group(2)) + "." + (v.group(3) == null ? "0" : v.group(3));
    }
}
