package io.printmaster.server.selfupdate.impl;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.printmaster.api.release.Channel;
import io.printmaster.api.version.PinStrategy;
import io.printmaster.api.version.SemanticVersion;
import io.printmaster.http.api.ApiException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The body of {@code PUT /api/v1/server/update/policy}: {@code {"policy":{…}}}. Members left out keep their current
 * value ({@code target_version: null} clears the target); every problem is reported at once, each naming its field
 * ({@code policy.cadence}…), and nothing is changed when there is one.
 */
final class PolicyInput {
    private static final ObjectMapper JSON = JsonMapper.builder().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();
    private static final Set<String> MEMBERS = Set.of("cadence", "version_pin_strategy", "allow_major_upgrade",
            "target_version", "channel");

    private PolicyInput() {
    }

    /**
     * @param body    the request body
     * @param current the policy in force, whose values members left out keep
     * @param running the version this server runs (a target must not be older, nor on another major line unless allowed)
     */
    static UpdatePolicy apply(byte[] body, UpdatePolicy current, SemanticVersion running) throws ApiException {
        JsonNode root;
        try {
            root = body == null || body.length == 0 ? null : JSON.readTree(body);
        } catch (IOException e) {
            throw ApiException.invalid("policy", "the body is not valid JSON: expected {\"policy\":{…}}");
        }
        if (root == null || !root.isObject()) {
            throw ApiException.invalid("policy", "the body must be a JSON object {\"policy\":{…}}");
        }
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("policy")) {
                throw ApiException.invalid(name, "unknown field '" + name + "': the body is {\"policy\":{…}}");
            }
        }
        JsonNode p = root.get("policy");
        if (p == null || !p.isObject()) {
            throw ApiException.invalid("policy", "policy is required and must be an object");
        }
        List<ApiException.FieldError> errors = new ArrayList<>();
        for (Iterator<String> names = p.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!MEMBERS.contains(name)) {
                errors.add(new ApiException.FieldError("policy." + name, "unknown field 'policy." + name
                        + "': expected cadence, version_pin_strategy, allow_major_upgrade, target_version, channel"));
            }
        }
        Cadence cadence = current.cadence();
        if (p.has("cadence")) {
            JsonNode v = p.get("cadence");
            try {
                cadence = Cadence.fromWireName(v.isTextual() ? v.asText() : null);
            } catch (IllegalArgumentException e) {
                errors.add(new ApiException.FieldError("policy.cadence", "cadence must be one of " + Cadence.names()));
            }
        }
        PinStrategy pin = current.versionPinStrategy();
        if (p.has("version_pin_strategy")) {
            JsonNode v = p.get("version_pin_strategy");
            try {
                pin = PinStrategy.fromWireName(v.isTextual() ? v.asText().strip() : null);
            } catch (IllegalArgumentException e) {
                errors.add(new ApiException.FieldError("policy.version_pin_strategy",
                        "version_pin_strategy must be one of major, minor, patch"));
            }
        }
        boolean allowMajor = current.allowMajorUpgrade();
        if (p.has("allow_major_upgrade")) {
            JsonNode v = p.get("allow_major_upgrade");
            if (v.isBoolean()) {
                allowMajor = v.booleanValue();
            } else {
                errors.add(new ApiException.FieldError("policy.allow_major_upgrade", "allow_major_upgrade must be true or false"));
            }
        }
        Channel channel = current.channel();
        if (p.has("channel")) {
            JsonNode v = p.get("channel");
            try {
                channel = Channel.fromWireName(v.isTextual() ? v.asText().strip() : null);
            } catch (IllegalArgumentException e) {
                errors.add(new ApiException.FieldError("policy.channel", "channel must be one of stable, beta, alpha"));
            }
        }
        SemanticVersion target = current.targetVersion();
        boolean targetGiven = p.has("target_version");
        if (targetGiven) {
            JsonNode v = p.get("target_version");
            if (v.isNull() || (v.isTextual() && v.asText().isBlank())) {
                target = null;
            } else if (!v.isTextual()) {
                errors.add(new ApiException.FieldError("policy.target_version",
                        "target_version must be a version such as 1.4.2, or null for none"));
                target = null;
            } else {
                target = SemanticVersion.tryParse(v.asText().strip()).orElse(null);
                if (target == null) {
                    errors.add(new ApiException.FieldError("policy.target_version", "target_version '" + v.asText()
                            + "' is not a version such as 1.4.2"));
                }
            }
        }
        if (target != null && (targetGiven || p.has("allow_major_upgrade"))) {
            if (target.compareTo(running) < 0) {
                errors.add(new ApiException.FieldError("policy.target_version", "target_version " + target
                        + " is older than the running " + running + ": a server does not downgrade itself (its "
                        + "database may already have the newer schema)"));
            } else if (target.major() != running.major() && !allowMajor) {
                errors.add(new ApiException.FieldError("policy.target_version", "target_version " + target
                        + " is on another major line than the running " + running
                        + ": set allow_major_upgrade to true to allow it"));
            }
        }
        if (!errors.isEmpty()) {
            throw ApiException.invalid(errors);
        }
        return new UpdatePolicy(cadence, pin, allowMajor, target, channel);
    }
}
