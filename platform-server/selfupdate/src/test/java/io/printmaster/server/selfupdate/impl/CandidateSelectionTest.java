package io.printmaster.server.selfupdate.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.platform.Platform;
import io.printmaster.api.release.Channel;
import io.printmaster.api.version.PinStrategy;
import io.printmaster.api.version.SemanticVersion;
import io.printmaster.server.releases.api.ReleaseNotes;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Which server release a run takes: this platform's archive, within the pin and channel, or the exact target. */
class CandidateSelectionTest {
    private static final Platform LINUX = Platform.parse("linux-amd64");
    private static final SemanticVersion RUNNING = SemanticVersion.parse("1.4.2");
    private final Fixtures.Catalog catalog = new Fixtures.Catalog();

    @BeforeEach
    void releases() {
        for (String v : new String[] {"1.4.1", "1.4.2", "1.4.3", "1.4.5", "1.5.0", "2.0.0"}) {
            catalog.add(v, "linux", "amd64", "tar.gz", "stable", null, "a".repeat(63) + v.charAt(4), 10);
        }
        catalog.add("1.4.6-rc.1", "linux", "amd64", "tar.gz", "beta", null, "b".repeat(64), 10);
        catalog.add("1.4.9", "linux", "arm64", "tar.gz", "stable", null, "c".repeat(64), 10);
        catalog.add("1.4.8", "windows", "amd64", "zip", "stable", null, "d".repeat(64), 10);
        catalog.add("1.4.7", "linux", "amd64", "zip", "stable", null, "e".repeat(64), 10);
        catalog.notes.put("1.4.5", new ReleaseNotes("Fixes **things**", "<p>Fixes <strong>things</strong></p>"));
    }

    private Optional<String> pick(UpdatePolicy p) throws Exception {
        return CandidateSelection.select(catalog, p, RUNNING, LINUX).map(c -> c.artifact().version());
    }

    private static UpdatePolicy policy(PinStrategy pin, boolean major, String target, Channel channel) {
        return new UpdatePolicy(Cadence.DAILY, pin, major, target == null ? null : SemanticVersion.parse(target), channel);
    }

    @Test
    void byDefaultTheNewestPatchOfTheRunningMinorLineForThisPlatformAndFormat() throws Exception {
        Optional<CandidateSelection.Candidate> c = CandidateSelection.select(catalog, UpdatePolicy.DEFAULT, RUNNING, LINUX);
        assertEquals("1.4.5", c.orElseThrow().artifact().version(), "not arm64's 1.4.9, not the zip 1.4.7, not the beta");
        assertEquals("<p>Fixes <strong>things</strong></p>", c.get().notes().html());
    }

    @Test
    void thePinAndTheMajorFlagWidenIt() throws Exception {
        assertEquals(Optional.of("1.5.0"), pick(policy(PinStrategy.MAJOR, false, null, Channel.STABLE)));
        assertEquals(Optional.of("2.0.0"), pick(policy(PinStrategy.MAJOR, true, null, Channel.STABLE)));
        assertEquals(Optional.empty(), pick(policy(PinStrategy.PATCH, false, null, Channel.STABLE)));
    }

    @Test
    void aBetaChannelTakesPreReleases() throws Exception {
        assertEquals(Optional.of("1.4.6-rc.1"), pick(policy(PinStrategy.MINOR, false, null, Channel.BETA)));
    }

    @Test
    void anExactTargetWinsButNeverGoesBack() throws Exception {
        assertEquals(Optional.of("1.4.3"), pick(policy(PinStrategy.MINOR, false, "1.4.3", Channel.STABLE)));
        assertEquals(Optional.empty(), pick(policy(PinStrategy.MINOR, false, "1.4.1", Channel.STABLE)), "a downgrade");
        assertEquals(Optional.empty(), pick(policy(PinStrategy.MINOR, false, "1.4.4", Channel.STABLE)), "not published");
    }

    @Test
    void windowsTakesTheZip() throws Exception {
        assertEquals("zip", CandidateSelection.formatFor(Platform.parse("windows-amd64")));
        assertEquals(Optional.of("1.4.8"), CandidateSelection.select(catalog, UpdatePolicy.DEFAULT, RUNNING,
                Platform.parse("windows-amd64")).map(c -> c.artifact().version()));
    }

    @Test
    void nothingNewerIsNothing() throws Exception {
        assertTrue(CandidateSelection.select(catalog, UpdatePolicy.DEFAULT, SemanticVersion.parse("1.4.5"), LINUX).isEmpty());
    }
}
