package io.printmaster.releasesource.httpfeed.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.api.release.Channel;
import io.printmaster.api.release.Release;
import io.printmaster.api.release.ReleaseAsset;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The example of docs/release-feed.md is a valid feed and means what the page says. */
class FeedDocumentTest {

    @Test
    void theDocumentedExampleParsesAsDocumented() throws Exception {
        // surefire runs in the module folder
        String page = Files.readString(Path.of("../../docs/release-feed.md"));
        int start = page.indexOf("```json\n") + "```json\n".length();
        String example = page.substring(start, page.indexOf("```", start));

        FeedDocument.Page feed = FeedDocument.parse(new ObjectMapper().readTree(example),
                URI.create("https://downloads.example.com/printmaster/feed.json"));

        assertEquals(Optional.of(URI.create("https://downloads.example.com/printmaster/feed-2024.json")), feed.next());
        assertEquals(List.of("1.5.0-rc.1", "1.4.0"), feed.releases().stream().map(r -> r.version().toString()).toList());
        assertEquals(Channel.BETA, feed.releases().get(0).channel());
        Release stable = feed.releases().get(1);
        assertEquals(List.of(
                URI.create("https://downloads.example.com/printmaster/1.4.0/printmaster-agent-v1.4.0-linux-amd64.tar.gz"),
                URI.create("https://downloads.example.com/printmaster/1.4.0/printmaster-agent-v1.4.0-windows-amd64.msi"),
                URI.create("https://cdn.example.net/printmaster/1.4.0/printmaster-server-v1.4.0-bundles.zip")),
                stable.assets().stream().map(ReleaseAsset::downloadUrl).toList());
        assertEquals(Optional.empty(), stable.assets().get(2).platform());
    }
}
