package io.printmaster.core.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/**
 * An admin's command delivered with a check-in answer; each is delivered by exactly one check-in.
 *
 * @param id        the command's id
 * @param command   {@code check_update}, {@code force_update} or {@code cancel_update} (a newer server may send
 *                  others: an agent ignores a command it does not know)
 * @param createdAt when the admin issued it
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AgentCommand(
        @JsonProperty("id") String id,
        @JsonProperty("command") String command,
        @JsonProperty("created_at") Instant createdAt) {

    public static final String CHECK_UPDATE = "check_update";
    public static final String FORCE_UPDATE = "force_update";
    public static final String CANCEL_UPDATE = "cancel_update";
}
