package io.printmaster.example.releasesource;

import io.printmaster.api.platform.ComponentName;
import io.printmaster.api.plugin.PluginName;
import io.printmaster.api.release.Channel;
import io.printmaster.api.release.Checksum;
import io.printmaster.api.release.Release;
import io.printmaster.api.release.ReleaseAsset;
import io.printmaster.api.release.ReleasePage;
import io.printmaster.api.release.ReleaseSource;
import io.printmaster.api.release.ReleaseSourceException;
import io.printmaster.api.release.ReleaseSourceType;
import io.printmaster.api.release.Skipped;
import io.printmaster.api.release.TagPattern;
import io.printmaster.api.version.SemanticVersion;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * An example {@link ReleaseSource} for plugin authors to copy: it publishes a few releases of a demo component,
 * each with one small ZIP asset served from memory together with its real SHA-256, so the server's intake can
 * download and verify it like any upstream artifact.
 *
 * <p>What a vendor keeps when copying it:
 * <ul>
 * <li>the three annotations that make it a plugin: {@code @Component(service = ReleaseSource.class)},
 * {@link ReleaseSourceType @ReleaseSourceType} (what kind of source) and {@link PluginName @PluginName} (how the
 * console and {@code GET /api/v1/plugins} name it);</li>
 * <li>the configuration as a nested {@link ObjectClassDefinition}, read once in the {@link Activate} constructor and
 * validated there: a bad value fails activation with a message naming the key;</li>
 * <li>the contract's rules: list newest first in cheap pages, decline (empty) what it did not list, throw
 * {@link ReleaseSourceException} only for what it should be able to answer but cannot;</li>
 * <li>the tag rules every built-in source follows: read the upstream's tags with a {@link TagPattern} from the
 * {@code tag_pattern} key (default {@value TagPattern#DEFAULT}), and report every tag it leaves out as a
 * {@link Skipped} with its reason on the page ({@link ReleasePage#skipped()}), never silently. A source that finds
 * an artifact it must not take (its tag names another component) refuses it on the page instead
 * ({@link ReleasePage#refused()}, {@code Refusal.COMPONENT_MISMATCH}); one that checks upstream signatures
 * overrides {@link ReleaseSource#verify} ({@code Refusal.SIGNATURE_INVALID}).</li>
 * </ul>
 * It runs without any configuration ({@code configurationPolicy = OPTIONAL}), so dropping the jar into
 * {@code plugins/} is enough to see it. A source for several upstreams would instead be a factory configuration:
 * {@code configurationPolicy = REQUIRE} and {@code @Designate(ocd = Config.class, factory = true)}, one service per
 * {@code etc/<pid>~<name>.cfg} file.
 *
 * <p>Immutable after construction, so safe to call from several threads at once as the contract requires.
 */
@Component(service = ReleaseSource.class, configurationPid = ExampleReleaseSource.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = ExampleReleaseSource.Config.class)
@ReleaseSourceType(type = ExampleReleaseSource.TYPE)
@PluginName("Example release source")
public class ExampleReleaseSource implements ReleaseSource {

    /** Configuration PID: {@code etc/io.printmaster.example.releasesource.cfg}. */
    public static final String PID = "io.printmaster.example.releasesource";
    /** The {@link ReleaseSource#TYPE} of this source. */
    public static final String TYPE = "example";
    /** Where the demo artifacts would live if they were real; informational only, the bytes come from memory. */
    static final String DOWNLOAD_BASE = "https://downloads.example.com/";

    @ObjectClassDefinition(name = "Example release source",
            description = "Publishes demo releases of one component, with in-memory artifacts.")
    public @interface Config {
        @AttributeDefinition(name = "Component", description = "The component released: 1 to 64 lowercase "
                + "letters, digits and '-'.")
        String component() default "example-widget";

        @AttributeDefinition(name = "Versions", description = "The versions published (Semantic Versioning, any "
                + "order); they are listed newest first. In a .cfg file: comma-separated, versions=2.0.0,2.1.0.")
        String[] versions() default {"1.0.0", "1.1.0", "1.2.0", "1.3.0-beta.1"};

        @AttributeDefinition(name = "Page size", description = "Releases per page of the listing.", min = "1", max = "100")
        int page__size() default 2;

        @AttributeDefinition(name = "Tag pattern", description = "How the demo upstream's tags (v<version>, and the "
                + "other tags) are read: alternatives separated by '|', placeholders {version} and {component}.")
        String tag__pattern() default TagPattern.DEFAULT;

        @AttributeDefinition(name = "Other tags", description = "Tags the demo upstream also has; those that are "
                + "not versions are reported as skipped, the others listed as releases without files.")
        String[] other__tags() default {"nightly"};
    }

    /** One listed release with the bytes of its only asset. */
    private record Published(Release release, ReleaseAsset asset, DemoArtifact artifact) {
    }

    private final List<Published> newestFirst;
    private final Map<String, Published> byAssetName;
    private final int pageSize;
    /** The upstream's tags that are not releases, with why: reported on the first page. */
    private final List<Skipped> skipped;

    /**
     * @throws IllegalArgumentException naming the configuration key that is wrong; activation fails with it and
     *                                  the service is not registered
     */
    @Activate
    public ExampleReleaseSource(Config config) {
        if (config.page__size() < 1 || config.page__size() > 100) {
            throw new IllegalArgumentException("page_size must be between 1 and 100, not " + config.page__size());
        }
        this.pageSize = config.page__size();
        ComponentName component;
        try {
            component = ComponentName.of(config.component());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("component: " + e.getMessage(), e);
        }
        List<String> versions = versionList(config.versions());
        if (versions.isEmpty()) {
            throw new IllegalArgumentException("versions: at least one version is required");
        }
        List<SemanticVersion> parsed = new ArrayList<>();
        Set<SemanticVersion> seen = new HashSet<>();
        for (int i = 0; i < versions.size(); i++) {
            SemanticVersion v;
            try {
                v = SemanticVersion.parse(versions.get(i));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("versions[" + i + "]: " + e.getMessage(), e);
            }
            if (!seen.add(v)) {
                throw new IllegalArgumentException("versions[" + i + "]: " + v + " is listed twice");
            }
            parsed.add(v);
        }
        TagPattern tags;
        try {
            tags = TagPattern.compile(config.tag__pattern());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tag_pattern: " + e.getMessage(), e);
        }
        parsed.sort(Comparator.reverseOrder());
        List<Published> list = new ArrayList<>();
        Map<String, Published> byName = new HashMap<>();
        List<Skipped> left = new ArrayList<>();
        for (SemanticVersion v : parsed) {
            String tag = "v" + v;
            // the tag, not the configuration, says what a release is: a pattern that does not read it skips it
            if (tags.parse(tag).filter(t -> t.version().equals(v)).isEmpty()) {
                left.add(Skipped.release(tag, Skipped.TAG_NOT_A_VERSION, "tag '" + tag + "' matches no alternative of "
                        + "tag_pattern '" + tags + "'"));
                continue;
            }
            Published p = publish(component, v);
            list.add(p);
            byName.put(p.asset().name(), p);
        }
        for (String tag : versionList(config.other__tags())) {
            if (tag.isEmpty()) {
                continue;
            }
            Optional<TagPattern.Parsed> t = tags.parse(tag);
            if (t.isEmpty()) {
                left.add(Skipped.release(tag, Skipped.TAG_NOT_A_VERSION, "tag '" + tag + "' matches no alternative of "
                        + "tag_pattern '" + tags + "'"));
            } else if (!seen.contains(t.get().version())) {
                SemanticVersion v = t.get().version();
                list.add(new Published(new Release(tag, v, Channel.forVersion(v), Optional.empty(), Optional.empty(),
                        List.of()), null, null));
            }
        }
        list.sort(Comparator.comparing((Published p) -> p.release().version()).reversed());
        this.newestFirst = List.copyOf(list);
        this.byAssetName = Map.copyOf(byName);
        this.skipped = List.copyOf(left);
    }

    /**
     * The versions, each value also split at commas: a {@code .cfg} file holds only strings, so there a list is
     * written {@code versions=2.0.0,2.1.0} and arrives as one value; a typed {@code .config} file or the metatype
     * default gives a real array.
     */
    private static List<String> versionList(String[] values) {
        List<String> out = new ArrayList<>();
        for (String value : values == null ? new String[0] : values) {
            for (String v : value.split(",", -1)) {
                out.add(v.strip()); // an empty part is reported as the invalid version it is
            }
        }
        return out;
    }

    private static Published publish(ComponentName component, SemanticVersion version) {
        DemoArtifact artifact = DemoArtifact.of(component.value(), version.toString());
        String name = component + "-" + version + ".zip";
        Channel channel = Channel.forVersion(version);
        ReleaseAsset asset = new ReleaseAsset(name, component, version, Optional.empty(), "zip", channel,
                OptionalLong.of(artifact.size()), URI.create(DOWNLOAD_BASE + component + "/" + version + "/" + name),
                Optional.of(artifact.sha256()));
        Release release = new Release("v" + version, version, channel, Optional.empty(),
                Optional.of("Demo release " + version + " of " + component + "."), List.of(asset));
        return new Published(release, asset, artifact);
    }

    /**
     * Pages of {@link Config#page__size()} releases, newest first. The page token is the position of the page's
     * first release; a real source would pass on its upstream's cursor instead.
     */
    @Override
    public ReleasePage releases(Optional<String> pageToken) throws ReleaseSourceException {
        int from = pageToken.isEmpty() ? 0 : position(pageToken.get());
        int to = Math.min(from + pageSize, newestFirst.size());
        List<Release> page = newestFirst.subList(from, to).stream().map(Published::release).toList();
        // what the upstream has but this source does not list is reported once per listing, on its first page
        return new ReleasePage(page, to < newestFirst.size() ? Optional.of(Integer.toString(to)) : Optional.empty(),
                from == 0 ? skipped : List.of(), List.of());
    }

    private int position(String token) throws ReleaseSourceException {
        try {
            int p = Integer.parseInt(token);
            if (p > 0 && p < newestFirst.size()) {
                return p;
            }
        } catch (NumberFormatException e) {
            // reported below like any token this source did not hand out
        }
        // retrying the same token cannot help: the caller must start again from the first page
        throw new ReleaseSourceException("page token '" + token + "' was not issued by this source", false);
    }

    /** The asset's bytes when this source listed exactly that asset; empty (declined) for anything else. */
    @Override
    public Optional<InputStream> open(ReleaseAsset asset) {
        return listed(asset).map(p -> new ByteArrayInputStream(p.artifact().bytes()));
    }

    /** Declines assets it did not list, even if the listing carries a checksum, so a foreign one is never vouched for. */
    @Override
    public Optional<Checksum> upstreamChecksum(ReleaseAsset asset) {
        return listed(asset).map(p -> p.artifact().sha256());
    }

    private Optional<Published> listed(ReleaseAsset asset) {
        Published p = byAssetName.get(asset.name());
        if (p == null) {
            return Optional.empty();
        }
        ReleaseAsset ours = p.asset();
        boolean same = ours.component().equals(asset.component()) && ours.version().equals(asset.version())
                && ours.downloadUrl().equals(asset.downloadUrl());
        return same ? Optional.of(p) : Optional.empty();
    }
}
