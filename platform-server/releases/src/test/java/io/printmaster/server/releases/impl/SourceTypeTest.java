package io.printmaster.server.releases.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.http.api.ApiException.FieldError;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a release source configuration must hold, field by field. */
class SourceTypeTest {

    private static List<String> fields(SourceType type, Map<String, Object> config) {
        List<FieldError> errors = new ArrayList<>();
        type.validate(config, errors);
        return errors.stream().map(FieldError::field).toList();
    }

    @Test
    void aGitHubSourceNeedsARepositoryAndAcceptsItsDocumentedKeys() {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("api_url", "http://127.0.0.1:9999");
        config.put("repository", "printmaster/printmaster");
        config.put("token", "ghp_secret");
        config.put("asset_pattern", "printmaster-{component}-v{version}-{os}-{arch}.{ext}");
        config.put("include_prereleases", true);
        List<FieldError> errors = new ArrayList<>();
        Map<String, Object> clean = SourceType.GITHUB.validate(config, errors);
        assertEquals(List.of(), errors);
        assertEquals(config, clean);
        assertEquals(List.of("token"), SourceType.GITHUB.secretKeys());
        assertEquals("io.printmaster.releasesource.github", SourceType.GITHUB.factoryPid());
    }

    @Test
    void unknownMissingAndMalformedKeysAreEachNamed() {
        assertEquals(List.of("config.repository"), fields(SourceType.GITHUB, Map.of()));
        assertEquals(List.of("config.branch"), fields(SourceType.GITHUB, Map.of("repository", "a/b", "branch", "main")));
        assertEquals(List.of("config.repository", "config.include_prereleases"),
                fields(SourceType.GITHUB, Map.of("repository", "not a repo", "include_prereleases", "yes")));
        assertEquals(List.of("config.api_url"), fields(SourceType.GITHUB, Map.of("repository", "a/b", "api_url", "ftp://x")));
        assertEquals(List.of("config.url"), fields(SourceType.HTTP_FEED, Map.of()));
        assertEquals(List.of("config.url"), fields(SourceType.HTTP_FEED, Map.of("url", "not a url")));
        assertEquals(List.of("config.path"), fields(SourceType.DIRECTORY, Map.of("path", "relative/dir")));
        assertEquals(List.of(), fields(SourceType.DIRECTORY, Map.of("path", "/srv/releases")));
        assertEquals(List.of("config.name", "config.path"), fields(SourceType.DIRECTORY, Map.of("name", "x")),
                "the name is not a config key: it is the source's own field");
    }

    @Test
    void tagPatternsAndUpstreamKeysAreCheckedWhereTheSourceTypeTakesThem() {
        String minisign = "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3";
        String ssh = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMepujpJbrhGMmgxItVCxShPgJuR2hwpdjYu4XL6wqm/ releases@example.com";
        assertEquals(List.of(), fields(SourceType.GITHUB, Map.of("repository", "a/b",
                "tag_pattern", "{component}-v{version}", "upstream_public_key", minisign)));
        assertEquals(List.of(), fields(SourceType.HTTP_FEED, Map.of("url", "https://x.example/feed.json",
                "upstream_public_key", "untrusted comment: minisign public key\n" + minisign)));
        assertEquals(List.of(), fields(SourceType.DIRECTORY, Map.of("path", "/srv/releases", "upstream_public_key", ssh)));
        assertEquals(List.of("config.tag_pattern", "config.upstream_public_key"), fields(SourceType.GITHUB,
                Map.of("repository", "a/b", "tag_pattern", "release-{build}", "upstream_public_key", "ssh-rsa AAAAB3 x")));
        assertEquals(List.of("config.upstream_public_key"), fields(SourceType.DIRECTORY,
                Map.of("path", "/srv/releases", "upstream_public_key", "RWQnotakey")));
        assertEquals(List.of("config.tag_pattern"), fields(SourceType.DIRECTORY,
                Map.of("path", "/srv/releases", "tag_pattern", "v{version}")), "a folder has no tags");
    }

    @Test
    void typesAreKnownByTheirWireNames() {
        assertEquals(SourceType.HTTP_FEED, SourceType.fromWireName("http-feed").orElseThrow());
        assertTrue(SourceType.fromWireName("ftp").isEmpty());
        assertEquals("github, http-feed, directory", SourceType.wireNames());
    }
}
