package io.printmaster.core.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One trust statement of a check-in answer ({@link CheckInAnswer#trustStatements()}): a change to the keys agents
 * trust, signed by a key the agent already trusts (docs/manifests.md, "Trust statements"). The agent trusts nothing
 * here but {@link #statementBase64()} and {@link #signature()}: it reads the statement's meaning from those exact
 * bytes once their signature verified; {@link #type()} and {@link #keyId()} only route and log.
 *
 * @param sequence        the server's global, increasing number of the statement: the agent reports the newest it
 *                        holds as {@link CheckInRequest#trustVersion()}
 * @param type            {@value #ROTATION}, {@value #DELEGATION} or {@value #REVOCATION}
 * @param keyId           the key the statement is about: the new key of a rotation, the delegated or revoked key
 * @param statement       the signed bytes as a string (they are UTF-8 canonical JSON), for people
 * @param statementBase64 the same bytes, base64: what the agent verifies
 * @param signature       the Ed25519 signature over those bytes, base64
 * @since 1.1
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TrustStatement(
        @JsonProperty("sequence") long sequence,
        @JsonProperty("type") String type,
        @JsonProperty("key_id") String keyId,
        @JsonProperty("statement") String statement,
        @JsonProperty("statement_base64") String statementBase64,
        @JsonProperty("signature") String signature) {

    /** The old key vouches for the new one and is retired by it. */
    public static final String ROTATION = "rotation";
    /** The offline root authorizes a key until an expiry. */
    public static final String DELEGATION = "delegation";
    /** A key is no longer trusted, whatever it signed. */
    public static final String REVOCATION = "revocation";
}
