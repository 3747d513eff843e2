package io.printmaster.api.release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.platform.ComponentName;
import io.printmaster.api.platform.Platform;
import io.printmaster.api.version.SemanticVersion;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AssetNamePatternTest {
    final AssetNamePattern standard = AssetNamePattern.compile(AssetNamePattern.DEFAULT);

    AssetNamePattern.Parsed parse(String name) {
        return standard.parse(name).orElseThrow(() -> new AssertionError(name + " should match"));
    }

    @Test
    void readsComponentVersionPlatformAndFormat() {
        AssetNamePattern.Parsed p = parse("printmaster-agent-v1.4.0-linux-amd64.tar.gz");
        assertEquals(ComponentName.AGENT, p.component());
        assertEquals(Optional.of(SemanticVersion.parse("1.4.0")), p.version());
        assertEquals(Optional.of(Platform.parse("linux-amd64")), p.platform());
        assertEquals("tar.gz", p.format());
    }

    @Test
    void hyphenatedComponentsAndPreReleaseVersionsAreUnambiguous() {
        AssetNamePattern.Parsed p = parse("printmaster-label-printer-driver-v2.0.0-rc.1-windows-arm64.msi");
        assertEquals(ComponentName.of("label-printer-driver"), p.component());
        assertEquals(Optional.of(SemanticVersion.parse("2.0.0-rc.1")), p.version());
        assertEquals(Optional.of(Platform.parse("windows-arm64")), p.platform());
        assertEquals("msi", p.format());
        assertEquals(Optional.of(SemanticVersion.parse("1.0.0-beta-2+build.7")),
                parse("printmaster-agent-v1.0.0-beta-2+build.7-darwin-arm64.zip").version());
    }

    @Test
    void toleratesCommonSpellingsOfPlatformsAndFormats() {
        AssetNamePattern.Parsed p = parse("printmaster-agent-v1.0.0-Linux-x86_64.TGZ");
        assertEquals(Optional.of(Platform.parse("linux-amd64")), p.platform());
        assertEquals("tar.gz", p.format());
        assertEquals(Optional.of(Platform.parse("darwin-arm64")), parse("printmaster-agent-v1.0.0-darwin-aarch64.zip").platform());
    }

    @Test
    void ignoresNamesThatAreNotArtifacts() {
        for (String name : new String[] {"SHA256SUMS", "printmaster-agent-v1.4.0-linux-amd64.tar.gz.sha256",
                "printmaster-agent-v1.4.0-linux-amd64.tar.gz.sig", "printmaster-agent-v1.4.0-linux-amd64.tar.gz.asc",
                "printmaster-agent-v1.4.0-linux-amd64.tar.gz.part",
                "printmaster-agent-v1.4-linux-amd64.zip", "printmaster-agent-v1.4.0-solaris-sparc.zip",
                "printmaster-Agent-v1.4.0-linux-amd64.zip", "printmaster-agent-v01.4.0-linux-amd64.zip",
                "printmaster-agent-v1.4.0-linux-amd64", "source.tar.gz"}) {
            assertEquals(Optional.empty(), standard.parse(name), name);
        }
    }

    @Test
    void customPatternsMayOmitTheVersionOrThePlatform() {
        AssetNamePattern noVersion = AssetNamePattern.compile("{component}_{platform}.{ext}");
        AssetNamePattern.Parsed p = noVersion.parse("agent_linux-arm64.zip").orElseThrow();
        assertEquals(Optional.empty(), p.version(), "the release's version applies");
        assertEquals(Optional.of(Platform.parse("linux-arm64")), p.platform());
        AssetNamePattern anywhere = AssetNamePattern.compile("{component}-{version}.{ext}");
        AssetNamePattern.Parsed bundles = anywhere.parse("server-bundles-1.2.3.zip").orElseThrow();
        assertEquals(ComponentName.of("server-bundles"), bundles.component());
        assertEquals(Optional.empty(), bundles.platform(), "runs anywhere");
        assertEquals("zip", bundles.format());
    }

    @Test
    void invalidPatternsAreRefusedWithTheReason() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AssetNamePattern.compile("{component}-{colour}.{ext}"))
                .getMessage().contains("unknown placeholder {colour}"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AssetNamePattern.compile("{component}-{version}"))
                .getMessage().contains("must contain {ext}"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AssetNamePattern.compile("{component}-{os}.{ext}"))
                .getMessage().contains("{os} and {arch} together"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AssetNamePattern.compile("dist/{component}.{ext}"))
                .getMessage().contains("without '/'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AssetNamePattern.compile("{component}-{ext"))
                .getMessage().contains("unbalanced"));
    }
}
