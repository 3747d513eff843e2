package io.printmaster.server.selfupdate.impl;

import io.printmaster.core.wire.ReleaseManifest;
import java.nio.file.Path;

/** A verified server release unpacked into its slot R/versions/<version>/ (complete program tree). */
public record StagedRelease(String runId, String fromVersion, String toVersion, Path slot,
                            ReleaseManifest manifest, String releaseNotes) {
}
