package io.printmaster.server.releases.api;

import java.time.Instant;

/**
 * One cached artifact: a verified file of a release, identified by component, version, platform, arch and format
 * (two formats of the same build are two artifacts, never one overwriting the other).
 *
 * @param id            the record's number
 * @param component     {@code agent}, {@code server}, …
 * @param version       the semantic version, as published
 * @param platform      the operating system ({@code linux}, {@code windows}, {@code darwin}), or {@value #ANY} for
 *                      an artifact that runs anywhere
 * @param arch          {@code amd64}, {@code arm64}, or {@value #ANY}
 * @param format        {@code zip}, {@code tar.gz}, {@code msi}, …
 * @param channel       {@code stable}, {@code beta} or {@code alpha}
 * @param sha256        the content's SHA-256 (lowercase hex), verified against the upstream checksum
 * @param sizeBytes     its size
 * @param assetName     the file name the upstream published
 * @param sourceName    the release source it came from (its configuration name)
 * @param sourceType    that source's type ({@code github}, {@code http-feed}, {@code directory}, …)
 * @param upstreamUrl   where the source fetched it
 * @param releaseNotes  the release notes, or null
 * @param publishedAt   when the upstream published the release, or null when unknown
 * @param downloadedAt  when it entered the cache
 */
public record Artifact(long id, String component, String version, String platform, String arch, String format,
                       String channel, String sha256, long sizeBytes, String assetName, String sourceName,
                       String sourceType, String upstreamUrl, String releaseNotes, Instant publishedAt,
                       Instant downloadedAt) {

    /** The platform and arch of an artifact that is not tied to one. */
    public static final String ANY = "any";
}
