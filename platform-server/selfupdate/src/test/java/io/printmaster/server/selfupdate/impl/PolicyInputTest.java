package io.printmaster.server.selfupdate.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.release.Channel;
import io.printmaster.api.version.PinStrategy;
import io.printmaster.api.version.SemanticVersion;
import io.printmaster.http.api.ApiException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The policy body: members merge into the current policy; every bad member is named; nothing partial. */
class PolicyInputTest {
    private static final SemanticVersion RUNNING = SemanticVersion.parse("1.4.2");

    private static UpdatePolicy put(String json, UpdatePolicy current) throws ApiException {
        return PolicyInput.apply(json.getBytes(StandardCharsets.UTF_8), current, RUNNING);
    }

    private static ApiException refused(String json) {
        return assertThrows(ApiException.class, () -> put(json, UpdatePolicy.DEFAULT));
    }

    @Test
    void theDefaultIsSafe() {
        assertEquals(Cadence.DISABLED, UpdatePolicy.DEFAULT.cadence(), "no automatic checks until an admin opts in");
        assertEquals(PinStrategy.MINOR, UpdatePolicy.DEFAULT.versionPinStrategy(), "the running minor line");
        assertEquals(false, UpdatePolicy.DEFAULT.allowMajorUpgrade());
        assertEquals(Channel.STABLE, UpdatePolicy.DEFAULT.channel());
    }

    @Test
    void membersLeftOutKeepTheirValue() throws Exception {
        UpdatePolicy p = put("{\"policy\":{\"cadence\":\"weekly\",\"target_version\":\"1.4.9\"}}", UpdatePolicy.DEFAULT);
        assertEquals(Cadence.WEEKLY, p.cadence());
        assertEquals("1.4.9", p.targetVersion().toString());
        UpdatePolicy q = put("{\"policy\":{\"channel\":\"BETA\",\"version_pin_strategy\":\"major\"}}", p);
        assertEquals(Cadence.WEEKLY, q.cadence(), "kept");
        assertEquals("1.4.9", q.targetVersion().toString(), "kept");
        assertEquals(Channel.BETA, q.channel());
        assertEquals(PinStrategy.MAJOR, q.versionPinStrategy());
        assertNull(put("{\"policy\":{\"target_version\":null}}", q).targetVersion(), "null clears the target");
    }

    @Test
    void eachBadMemberIsNamed() {
        ApiException e = refused("{\"policy\":{\"cadence\":\"hourly\",\"version_pin_strategy\":\"nearest\","
                + "\"allow_major_upgrade\":\"yes\",\"channel\":\"nightly\",\"target_version\":\"soon\",\"colour\":1}}");
        assertEquals(400, e.status());
        List<String> fields = e.details().stream().map(ApiException.FieldError::field).toList();
        assertEquals(List.of("policy.colour", "policy.cadence", "policy.version_pin_strategy",
                "policy.allow_major_upgrade", "policy.channel", "policy.target_version"), fields);
        assertTrue(e.details().get(1).message().contains("disabled, daily, weekly, monthly"), e.details().get(1).message());
    }

    @Test
    void theBodyMustHoldAPolicyObject() {
        assertEquals("policy", refused("").field());
        assertEquals("policy", refused("[1]").field());
        assertEquals("policy", refused("{\"policy\":\"daily\"}").field());
        assertEquals("cadence", refused("{\"cadence\":\"daily\"}").field());
        assertEquals("policy", refused("{\"policy\":{\"cadence\":\"daily\"}").field(), "malformed JSON");
    }

    @Test
    void aTargetMayNotGoBackNorLeaveTheMajorLineUnlessAllowed() throws Exception {
        ApiException older = refused("{\"policy\":{\"target_version\":\"1.3.9\"}}");
        assertEquals("policy.target_version", older.field());
        assertTrue(older.getMessage().contains("older than the running 1.4.2"), older.getMessage());
        ApiException major = refused("{\"policy\":{\"target_version\":\"2.0.0\"}}");
        assertTrue(major.getMessage().contains("allow_major_upgrade"), major.getMessage());
        UpdatePolicy ok = put("{\"policy\":{\"target_version\":\"2.0.0\",\"allow_major_upgrade\":true}}", UpdatePolicy.DEFAULT);
        assertEquals("2.0.0", ok.targetVersion().toString());
    }
}
