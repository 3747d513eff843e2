package io.printmaster.core.wire;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The check-in request's {@code known}: the etags of the policy and of the update offer the agent holds from an
 * earlier answer ({@link CheckInAnswer#policyEtag()}, {@link CheckInAnswer#manifestEtag()}). When one equals the
 * server's current etag, the answer leaves that part out ({@code null}) and names it in
 * {@link CheckInAnswer#unchanged()}, so an answer without news is small.
 *
 * @param policyEtag   the etag of the policy the agent holds; absent when it holds none
 * @param manifestEtag the etag of the update offer the agent holds; absent when it holds none
 * @since 1.4
 */
public record KnownEtags(
        @JsonProperty("policy_etag") @JsonInclude(JsonInclude.Include.NON_NULL) String policyEtag,
        @JsonProperty("manifest_etag") @JsonInclude(JsonInclude.Include.NON_NULL) String manifestEtag) {
}
