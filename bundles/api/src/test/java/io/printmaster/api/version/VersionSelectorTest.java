package io.printmaster.api.version;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class VersionSelectorTest {

    private static final List<SemanticVersion> RELEASES = versions("0.8.9", "0.9.2", "0.9.3", "0.9.4", "0.9.7",
            "0.10.0", "0.10.1", "1.0.0", "1.1.0", "1.2.0-rc.1", "0.9.8-rc.1");

    private static List<SemanticVersion> versions(String... s) {
        return Arrays.stream(s).map(SemanticVersion::parse).toList();
    }

    private static SemanticVersion v(String s) {
        return SemanticVersion.parse(s);
    }

    private static Optional<SemanticVersion> some(String s) {
        return Optional.of(v(s));
    }

    @Test
    void minorPinGetsNewestPatchOfItsLineNotTheNextMinor() {
        assertEquals(some("0.9.7"), VersionSelector.of(PinStrategy.MINOR).select(RELEASES, v("0.9.3")));
    }

    @Test
    void majorPinStaysOnItsMajorLine() {
        assertEquals(some("0.10.1"), VersionSelector.of(PinStrategy.MAJOR).select(RELEASES, v("0.9.3")));
    }

    @Test
    void allowMajorUpgradeLetsTheMajorLineMove() {
        assertEquals(some("1.1.0"),
                VersionSelector.of(PinStrategy.MAJOR).allowMajorUpgrade(true).select(RELEASES, v("0.9.3")));
    }

    @Test
    void allowMajorUpgradeDoesNotWidenNarrowerPins() {
        assertEquals(some("0.9.7"),
                VersionSelector.of(PinStrategy.MINOR).allowMajorUpgrade(true).select(RELEASES, v("0.9.3")));
        assertEquals(Optional.empty(),
                VersionSelector.of(PinStrategy.PATCH).allowMajorUpgrade(true).select(RELEASES, v("0.9.3")));
    }

    @Test
    void patchPinNeverMovesOnItsOwn() {
        assertEquals(Optional.empty(), VersionSelector.of(PinStrategy.PATCH).select(RELEASES, v("0.9.3")));
    }

    @Test
    void upToDateStays() {
        assertEquals(Optional.empty(), VersionSelector.of(PinStrategy.MINOR).select(RELEASES, v("0.9.7")));
        assertEquals(Optional.empty(), VersionSelector.of(PinStrategy.MAJOR).allowMajorUpgrade(true)
                .select(RELEASES, v("1.1.0")));
    }

    @Test
    void neverDowngradesWithoutATarget() {
        // the newest 0.9.x available is older than what runs: stay
        assertEquals(Optional.empty(), VersionSelector.of(PinStrategy.MINOR).select(versions("0.9.1", "0.9.2"), v("0.9.3")));
    }

    @Test
    void preReleasesOnlyWhenAllowed() {
        List<SemanticVersion> candidates = versions("0.9.7", "0.9.8-rc.1", "1.2.0-rc.1", "1.1.0");
        assertEquals(some("0.9.7"), VersionSelector.of(PinStrategy.MINOR).select(candidates, v("0.9.3")));
        assertEquals(some("0.9.8-rc.1"),
                VersionSelector.of(PinStrategy.MINOR).allowPreReleases(true).select(candidates, v("0.9.3")));
        assertEquals(some("1.2.0-rc.1"), VersionSelector.of(PinStrategy.MAJOR).allowMajorUpgrade(true)
                .allowPreReleases(true).select(candidates, v("0.9.3")));
    }

    @Test
    void preReleaseHostFollowsItsOwnReleaseToFinal() {
        VersionSelector selector = VersionSelector.of(PinStrategy.MAJOR);
        assertEquals(some("1.0.0-rc.2"), selector.select(versions("1.0.0-rc.1", "1.0.0-rc.2"), v("1.0.0-rc.1")));
        assertEquals(some("1.0.0"), selector.select(versions("1.0.0-rc.2", "1.0.0"), v("1.0.0-rc.1")));
        // but is not carried on to other pre-releases
        assertEquals(some("1.0.0"), selector.select(versions("1.0.0", "1.1.0-alpha.1"), v("1.0.0-rc.1")));
        assertEquals(Optional.empty(), selector.select(versions("1.1.0-alpha.1"), v("1.0.0-rc.1")));
    }

    @Test
    void explicitTargetWinsOverPinAndMajorFlag() {
        VersionSelector selector = VersionSelector.of(PinStrategy.PATCH).target(v("1.1.0"));
        assertEquals(some("1.1.0"), selector.select(RELEASES, v("0.9.3")));
    }

    @Test
    void explicitTargetMayDowngrade() {
        assertEquals(some("0.9.2"), VersionSelector.of(PinStrategy.MINOR).target(v("0.9.2")).select(RELEASES, v("0.9.7")));
    }

    @Test
    void explicitTargetMayBeAPreRelease() {
        assertEquals(some("1.2.0-rc.1"),
                VersionSelector.of(PinStrategy.MINOR).target(v("1.2.0-rc.1")).select(RELEASES, v("0.9.3")));
    }

    @Test
    void explicitTargetNotAvailableMeansStay() {
        assertEquals(Optional.empty(), VersionSelector.of(PinStrategy.MAJOR).target(v("2.0.0")).select(RELEASES, v("0.9.3")));
    }

    @Test
    void explicitTargetAlreadyInstalledMeansStay() {
        assertEquals(Optional.empty(), VersionSelector.of(PinStrategy.MAJOR).target(v("0.9.3")).select(RELEASES, v("0.9.3")));
    }

    @Test
    void clearingTheTargetRestoresPinnedSelection() {
        VersionSelector selector = VersionSelector.of(PinStrategy.MINOR).target(v("1.1.0")).target(null);
        assertEquals(some("0.9.7"), selector.select(RELEASES, v("0.9.3")));
    }

    @Test
    void returnsTheCandidateInstanceWithItsBuildMetadata() {
        Optional<SemanticVersion> chosen = VersionSelector.of(PinStrategy.MINOR)
                .select(versions("0.9.4+build.77", "0.9.3+build.12"), v("0.9.3"));
        assertEquals("0.9.4+build.77", chosen.orElseThrow().toString());
        // the installed version with other build metadata is not an upgrade
        assertEquals(Optional.empty(), VersionSelector.of(PinStrategy.MINOR).select(versions("0.9.3+build.12"), v("0.9.3")));
    }

    @Test
    void emptyCandidates() {
        assertEquals(Optional.empty(), VersionSelector.of(PinStrategy.MAJOR).select(List.of(), v("0.9.3")));
        assertEquals(Optional.empty(), VersionSelector.of(PinStrategy.MAJOR).selectInitial(List.of()));
    }

    @Test
    void initialSelectionTakesNewestStableOrTarget() {
        assertEquals(some("1.1.0"), VersionSelector.of(PinStrategy.MINOR).selectInitial(RELEASES));
        assertEquals(some("1.2.0-rc.1"), VersionSelector.of(PinStrategy.MINOR).allowPreReleases(true).selectInitial(RELEASES));
        assertEquals(some("0.9.4"), VersionSelector.of(PinStrategy.MINOR).target(v("0.9.4")).selectInitial(RELEASES));
        assertEquals(Optional.empty(), VersionSelector.of(PinStrategy.MINOR).target(v("5.0.0")).selectInitial(RELEASES));
    }

    @Test
    void effectivePin() {
        SemanticVersion current = v("0.9.14");
        assertEquals("0.x", VersionSelector.of(PinStrategy.MAJOR).effectivePin(current).toString());
        assertTrue(VersionSelector.of(PinStrategy.MAJOR).allowMajorUpgrade(true).effectivePin(current).isAny());
        assertEquals("0.9.x", VersionSelector.of(PinStrategy.MINOR).allowMajorUpgrade(true).effectivePin(current).toString());
        assertEquals("0.9.14", VersionSelector.of(PinStrategy.PATCH).effectivePin(current).toString());
    }
}
