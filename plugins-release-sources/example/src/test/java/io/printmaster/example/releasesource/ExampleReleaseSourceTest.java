package io.printmaster.example.releasesource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.platform.ComponentName;
import io.printmaster.api.release.Channel;
import io.printmaster.api.release.Checksum;
import io.printmaster.api.release.Release;
import io.printmaster.api.release.ReleaseAsset;
import io.printmaster.api.release.ReleasePage;
import io.printmaster.api.release.ReleaseSourceException;
import io.printmaster.api.version.SemanticVersion;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;

class ExampleReleaseSourceTest {

    /**
     * The configuration as Declarative Services hands it over: the given values, the declared defaults otherwise; a
     * method {@code page__size()} reads the key {@code page_size}, as DS maps names.
     */
    static ExampleReleaseSource.Config config(Map<String, Object> values) {
        return (ExampleReleaseSource.Config) Proxy.newProxyInstance(ExampleReleaseSource.Config.class.getClassLoader(),
                new Class<?>[] {ExampleReleaseSource.Config.class}, (proxy, method, args) -> {
                    String key = method.getName().replace("__", "_");
                    return values.containsKey(key) ? values.get(key) : method.getDefaultValue();
                });
    }

    static ExampleReleaseSource withoutConfiguration() {
        return new ExampleReleaseSource(config(Map.of()));
    }

    static List<Release> allPages(ExampleReleaseSource source, List<Integer> pageSizes) throws Exception {
        List<Release> all = new ArrayList<>();
        Optional<String> token = Optional.empty();
        do {
            ReleasePage page = source.releases(token);
            pageSizes.add(page.releases().size());
            all.addAll(page.releases());
            token = page.nextPageToken();
        } while (token.isPresent());
        return all;
    }

    @Test
    void withoutConfigurationListsTheDemoReleasesNewestFirstInPagesOfTwo() throws Exception {
        List<Integer> pageSizes = new ArrayList<>();
        List<Release> releases = allPages(withoutConfiguration(), pageSizes);

        assertEquals(List.of("1.3.0-beta.1", "1.2.0", "1.1.0", "1.0.0"),
                releases.stream().map(r -> r.version().toString()).toList());
        assertEquals(List.of(2, 2), pageSizes);
        assertEquals(List.of("v1.3.0-beta.1", "v1.2.0", "v1.1.0", "v1.0.0"), releases.stream().map(Release::id).toList());
        assertEquals(Channel.BETA, releases.get(0).channel());
        assertEquals(Channel.STABLE, releases.get(1).channel());
        for (Release r : releases) {
            assertEquals(1, r.assets().size(), r.id());
            ReleaseAsset a = r.assets().get(0);
            assertEquals("example-widget-" + r.version() + ".zip", a.name());
            assertEquals(ComponentName.of("example-widget"), a.component());
            assertEquals("zip", a.format());
            assertTrue(a.upstreamSha256().isPresent(), "the listing publishes the checksum");
            assertTrue(a.size().isPresent(), "the listing publishes the size");
        }
    }

    @Test
    void configuredComponentVersionsAndPageSize() throws Exception {
        ExampleReleaseSource source = new ExampleReleaseSource(config(Map.of("component", "label-printer-driver",
                "versions", new String[] {"2.0.0", "10.0.0", "2.0.1", "3.0.0-rc.1", "v4.0.0"}, "page_size", 3)));
        List<Integer> pageSizes = new ArrayList<>();
        List<Release> releases = allPages(source, pageSizes);

        // SemVer order, not text order: 10.0.0 is the newest
        assertEquals(List.of("10.0.0", "4.0.0", "3.0.0-rc.1", "2.0.1", "2.0.0"),
                releases.stream().map(r -> r.version().toString()).toList());
        assertEquals(List.of(3, 2), pageSizes);
        assertEquals("label-printer-driver-10.0.0.zip", releases.get(0).assets().get(0).name());
    }

    @Test
    void aCfgFileListsVersionsSeparatedByCommas() throws Exception {
        // a .cfg file holds strings only: the list arrives as one value
        ExampleReleaseSource source = new ExampleReleaseSource(config(Map.of("versions", new String[] {"2.0.0, 2.1.0,2.2.0-rc.1"})));
        assertEquals(List.of("2.2.0-rc.1", "2.1.0", "2.0.0"),
                allPages(source, new ArrayList<>()).stream().map(r -> r.version().toString()).toList());
    }

    @Test
    void aSinglePageHasNoNextToken() throws Exception {
        ExampleReleaseSource source = new ExampleReleaseSource(config(Map.of("page_size", 10)));
        ReleasePage page = source.releases(Optional.empty());
        assertEquals(4, page.releases().size());
        assertEquals(Optional.empty(), page.nextPageToken());
    }

    @Test
    void openServesBytesWhoseSha256IsThePublishedChecksum() throws Exception {
        ExampleReleaseSource source = withoutConfiguration();
        for (Release r : allPages(source, new ArrayList<>())) {
            ReleaseAsset asset = r.assets().get(0);
            byte[] bytes;
            try (InputStream in = source.open(asset).orElseThrow()) {
                bytes = in.readAllBytes();
            }
            Checksum published = source.upstreamChecksum(asset).orElseThrow();
            assertEquals(asset.upstreamSha256().orElseThrow(), published);
            assertTrue(published.matches(MessageDigest.getInstance("SHA-256").digest(bytes)), asset.name());
            assertEquals(OptionalLong.of(bytes.length), asset.size());
            // and the bytes are the artifact they claim to be: a ZIP naming its version
            assertEquals(r.version() + "\n", zipEntries(bytes).get("example-widget/VERSION"));
        }
    }

    @Test
    void everyOpenGivesAFreshCompleteStream() throws Exception {
        ExampleReleaseSource source = withoutConfiguration();
        ReleaseAsset asset = source.releases(Optional.empty()).releases().get(0).assets().get(0);
        byte[] first;
        try (InputStream in = source.open(asset).orElseThrow()) {
            first = in.readAllBytes();
        }
        try (InputStream in = source.open(asset).orElseThrow()) {
            assertEquals(java.util.Arrays.toString(first), java.util.Arrays.toString(in.readAllBytes()));
        }
    }

    @Test
    void theSameReleaseHasTheSameChecksumAfterARestart() throws Exception {
        ReleaseAsset before = withoutConfiguration().releases(Optional.empty()).releases().get(1).assets().get(0);
        ReleaseAsset after = withoutConfiguration().releases(Optional.empty()).releases().get(1).assets().get(0);
        assertEquals(before.upstreamSha256(), after.upstreamSha256());
        assertEquals(before, after);
    }

    @Test
    void declinesAssetsItDidNotList() throws Exception {
        ExampleReleaseSource source = withoutConfiguration();
        ReleaseAsset ours = source.releases(Optional.empty()).releases().get(1).assets().get(0);

        ReleaseAsset otherName = new ReleaseAsset("other-1.2.0.zip", ours.component(), ours.version(), ours.platform(),
                ours.format(), ours.channel(), ours.size(), URI.create("https://elsewhere.example.org/other-1.2.0.zip"),
                ours.upstreamSha256());
        ReleaseAsset sameNameElsewhere = new ReleaseAsset(ours.name(), ours.component(), ours.version(), ours.platform(),
                ours.format(), ours.channel(), ours.size(), URI.create("https://elsewhere.example.org/" + ours.name()),
                ours.upstreamSha256());
        ReleaseAsset sameNameOtherVersion = new ReleaseAsset(ours.name(), ours.component(), SemanticVersion.of(9, 9, 9),
                ours.platform(), ours.format(), ours.channel(), ours.size(), ours.downloadUrl(), ours.upstreamSha256());

        for (ReleaseAsset foreign : List.of(otherName, sameNameElsewhere, sameNameOtherVersion)) {
            assertEquals(Optional.empty(), source.open(foreign), foreign.toString());
            assertEquals(Optional.empty(), source.upstreamChecksum(foreign), foreign.toString());
        }
        assertTrue(source.open(ours).isPresent());
    }

    @Test
    void aPageTokenItDidNotIssueIsRefusedAndNotRetryable() {
        ExampleReleaseSource source = withoutConfiguration();
        for (String token : List.of("abc", "0", "-1", "4", "99")) {
            ReleaseSourceException e = assertThrows(ReleaseSourceException.class, () -> source.releases(Optional.of(token)));
            assertTrue(e.getMessage().contains("'" + token + "'"), e.getMessage());
            assertFalse(e.retryable());
        }
    }

    @Test
    void badConfigurationFailsActivationNamingTheKey() {
        Map<Map<String, Object>, String> cases = new HashMap<>();
        cases.put(Map.of("component", "Example Widget"), "component:");
        cases.put(Map.of("versions", new String[] {"1.0.0", "1.0"}), "versions[1]:");
        cases.put(Map.of("versions", new String[] {"1.0.0", "v1.0.0"}), "versions[1]: 1.0.0 is listed twice");
        cases.put(Map.of("versions", new String[0]), "versions:");
        cases.put(Map.of("versions", new String[] {""}), "versions[0]:");
        cases.put(Map.of("versions", new String[] {"1.0.0,,1.1.0"}), "versions[1]:");
        cases.put(Map.of("page_size", 0), "page_size");
        cases.forEach((values, expected) -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new ExampleReleaseSource(config(values)));
            assertTrue(e.getMessage().startsWith(expected), expected + " expected, got: " + e.getMessage());
        });
    }

    private static Map<String, String> zipEntries(byte[] zip) throws Exception {
        Map<String, String> entries = new HashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                entries.put(e.getName(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        return entries;
    }

    @Test
    void tagsThatAreNotVersionsAreReportedAsSkippedOnTheFirstPageWithTheirReason() throws Exception {
        ExampleReleaseSource source = withoutConfiguration();
        ReleasePage first = source.releases(Optional.empty());
        assertEquals(List.of("nightly tag_not_a_version"),
                first.skipped().stream().map(s -> s.release() + " " + s.reason()).toList());
        assertTrue(first.skipped().get(0).message().contains("tag_pattern"), first.skipped().get(0).message());
        assertEquals(List.of(), source.releases(first.nextPageToken()).skipped(), "reported once per listing");

        ExampleReleaseSource custom = new ExampleReleaseSource(config(Map.of("tag_pattern", "release-{version}",
                "other_tags", new String[] {"release-2.0.0"})));
        List<Release> listed = allPages(custom, new ArrayList<>());
        assertEquals(List.of("release-2.0.0"), listed.stream().map(Release::id).toList(),
                "the pattern decides: v-tags are not versions under release-{version}");
        assertEquals(List.of(), listed.get(0).assets(), "a release without files");
        assertEquals(4, custom.releases(Optional.empty()).skipped().size(), "the four v-tags");

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ExampleReleaseSource(config(Map.of("tag_pattern", "{component}"))));
        assertTrue(e.getMessage().startsWith("tag_pattern: "), e.getMessage());
    }
}
