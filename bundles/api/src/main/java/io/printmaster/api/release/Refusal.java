package io.printmaster.api.release;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An asset a source refuses: it is one of the upstream's artifacts, but something about it is wrong, so it must
 * not be taken in. The server reports it like its own refusals (a rejected asset with the reason as its code), and
 * never caches it. Sources refuse in a listing ({@link ReleasePage#refused()}) or after the bytes arrived
 * ({@link ReleaseSource#verify}).
 *
 * @param asset   the asset refused
 * @param reason  an error code: uppercase letters, digits and {@code _}, such as {@value #SIGNATURE_INVALID}
 * @param message a sentence for an admin: what is wrong and, when it can be known, what would fix it
 * @since 1.4
 */
public record Refusal(ReleaseAsset asset, String reason, String message) {

    /** The release's tag names another component than the asset's file name ({@code agent-v1.2.0} with a server archive). */
    public static final String COMPONENT_MISMATCH = "COMPONENT_MISMATCH";
    /**
     * The source is configured with an upstream public key, and the asset has no signature beside it, or one that
     * does not verify against that key.
     */
    public static final String SIGNATURE_INVALID = "SIGNATURE_INVALID";

    private static final Pattern REASON = Pattern.compile("[A-Z0-9_]{1,64}");

    /**
     * @throws IllegalArgumentException for a reason that is not an error code, or a blank message
     */
    public Refusal {
        Objects.requireNonNull(asset, "asset");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(message, "message");
        if (!REASON.matcher(reason).matches()) {
            throw new IllegalArgumentException("refusal: reason '" + reason
                    + "' must be 1-64 uppercase letters, digits and '_' (such as " + SIGNATURE_INVALID + ")");
        }
        if (message.isBlank()) {
            throw new IllegalArgumentException("refusal: message must not be blank");
        }
    }
}
