package io.printmaster.server.selfupdate.impl;

import io.printmaster.api.release.Channel;
import io.printmaster.api.version.PinStrategy;
import io.printmaster.api.version.SemanticVersion;
import io.printmaster.api.version.VersionSelector;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * When and how far the server updates itself. The default asks nothing of a new installation: no automatic checks
 * (cadence {@code disabled}, an admin opts in), and when an update does run it stays on the running minor line
 * (patches only), on the {@code stable} channel, never to another major version.
 *
 * @param targetVersion an exact version to move to (wins over the pin, as for fleets), or null
 */
record UpdatePolicy(Cadence cadence, PinStrategy versionPinStrategy, boolean allowMajorUpgrade,
                    SemanticVersion targetVersion, Channel channel) {

    static final UpdatePolicy DEFAULT = new UpdatePolicy(Cadence.DISABLED, PinStrategy.MINOR, false, null, Channel.STABLE);

    /** The selector of the candidates this policy allows (pre-releases only off the stable channel). */
    VersionSelector selector() {
        VersionSelector s = VersionSelector.of(versionPinStrategy).allowMajorUpgrade(allowMajorUpgrade)
                .allowPreReleases(channel != Channel.STABLE);
        return targetVersion == null ? s : s.target(targetVersion);
    }

    /** As the API shows it. */
    Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cadence", cadence.wireName());
        m.put("version_pin_strategy", versionPinStrategy.wireName());
        m.put("allow_major_upgrade", allowMajorUpgrade);
        m.put("target_version", targetVersion == null ? null : targetVersion.toString());
        m.put("channel", channel.wireName());
        return m;
    }
}
