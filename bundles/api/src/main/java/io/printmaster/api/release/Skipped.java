package io.printmaster.api.release;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Something a source saw upstream and deliberately did not list: a tag that is not a version, a draft, a
 * pre-release while pre-releases are excluded, an asset whose name the asset pattern does not match. The server
 * counts and shows each one with its reason, so a source that lists nothing says why instead of staying silent.
 *
 * @param release the upstream release it belongs to (its tag, feed entry id or folder), as the upstream names it
 * @param asset   the asset's file name when one asset of the release was skipped; empty when the whole release was
 * @param reason  a wire name: lowercase letters, digits and {@code _}, such as {@value #TAG_NOT_A_VERSION}
 * @param message a sentence for an admin: what was skipped and what would change it
 * @since 1.4
 */
public record Skipped(String release, Optional<String> asset, String reason, String message) {

    /** The tag (or entry name) matches none of the source's tag patterns. */
    public static final String TAG_NOT_A_VERSION = "tag_not_a_version";
    /** An unpublished draft release. */
    public static final String DRAFT = "draft";
    /** A pre-release while the source is configured for stable releases only. */
    public static final String PRERELEASE_EXCLUDED = "prerelease_excluded";
    /** An asset whose file name the source's asset pattern does not match. */
    public static final String ASSET_NAME_NOT_MATCHED = "asset_name_not_matched";
    /** A release whose tag (or feed entry id) names another version than the release says it is. */
    public static final String TAG_VERSION_MISMATCH = "tag_version_mismatch";
    /** An asset whose name carries another version than its release's. */
    public static final String ASSET_NOT_OF_RELEASE = "asset_not_of_release";

    private static final Pattern REASON = Pattern.compile("[a-z0-9_]{1,64}");

    /**
     * @throws IllegalArgumentException for a blank release or message, or a reason that is not a wire name
     */
    public Skipped {
        Objects.requireNonNull(release, "release");
        Objects.requireNonNull(asset, "asset");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(message, "message");
        if (release.isBlank()) {
            throw new IllegalArgumentException("skipped: release must not be blank");
        }
        if (!REASON.matcher(reason).matches()) {
            throw new IllegalArgumentException("skipped: reason '" + reason
                    + "' must be 1-64 lowercase letters, digits and '_' (such as " + TAG_NOT_A_VERSION + ")");
        }
        if (message.isBlank()) {
            throw new IllegalArgumentException("skipped: message must not be blank");
        }
    }

    /** A whole release skipped. */
    public static Skipped release(String release, String reason, String message) {
        return new Skipped(release, Optional.empty(), reason, message);
    }

    /** One asset of a release skipped. */
    public static Skipped asset(String release, String asset, String reason, String message) {
        return new Skipped(release, Optional.of(asset), reason, message);
    }
}
