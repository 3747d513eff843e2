package io.printmaster.agent.localui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.agent.config.api.AgentSettings;
import io.printmaster.agent.config.api.LocalOverrideDisabledException;
import io.printmaster.agent.config.api.LocalPolicyStore;
import io.printmaster.agent.config.api.Mode;
import io.printmaster.agent.config.api.PolicySource;
import io.printmaster.core.policy.PolicyValidator;
import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.core.policy.Violation;
import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiResponse;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class LocalPolicyResourceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A store as the configuration bundle's: the server's validator, and a refusal while override is off. */
    private final class Store implements LocalPolicyStore {
        final AtomicReference<UpdatePolicy> saved = new AtomicReference<>(UpdatePolicy.defaults());

        @Override
        public Optional<UpdatePolicy> localPolicy() {
            return Optional.of(saved.get());
        }

        @Override
        public List<Violation> save(UpdatePolicy policy) throws LocalOverrideDisabledException {
            if (!override) {
                throw new LocalOverrideDisabledException("off");
            }
            List<Violation> v = PolicyValidator.validate(policy);
            if (v.isEmpty()) {
                saved.set(policy);
            }
            return v;
        }
    }

    private boolean override = true;
    private final Store store = new Store();
    private final LocalPolicyResource resource = new LocalPolicyResource(() -> new AgentSettings(Optional.of("a"),
            Optional.empty(), Optional.empty(), Optional.empty(), Mode.LOCAL, override, PolicySource.LOCAL,
            store.localPolicy(), List.of()), store);

    private static String body(UpdatePolicy p) throws Exception {
        return JSON.writeValueAsString(Map.of("policy", p));
    }

    private static UpdatePolicy withCheckDays(int days) {
        UpdatePolicy d = UpdatePolicy.defaults();
        return new UpdatePolicy(days, d.versionPinStrategy(), d.allowMajorUpgrade(), d.targetVersion(),
                d.collectTelemetry(), d.maintenanceWindow(), d.rolloutControl());
    }

    @SuppressWarnings("unchecked")
    @Test
    void withOverrideAValidPolicyIsSavedAndShown() throws Exception {
        ApiResponse r = resource.put(FakeRequest.put(LocalPolicyResource.PATH, body(withCheckDays(2)))
                .with("Origin", "http://127.0.0.1:8181"));
        assertEquals(200, r.status());
        Map<String, Object> shown = (Map<String, Object>) r.json();
        assertEquals(withCheckDays(2), shown.get("policy"));
        assertEquals(true, shown.get("editable"));
        assertNull(shown.get("reason"));
        assertEquals(true, shown.get("in_force"));
        assertEquals(withCheckDays(2), store.saved.get());
    }

    @Test
    void anInvalidPolicyNamesEveryFieldAsTheServerDoes() throws Exception {
        ApiException e = assertThrows(ApiException.class, () -> resource.put(FakeRequest.put(LocalPolicyResource.PATH,
                body(withCheckDays(400)).replace("\"UTC\"", "\"Mars/Olympus\""))));
        assertEquals(400, e.status());
        assertEquals("invalid_field", e.code());
        assertEquals(List.of("policy.update_check_days", "policy.maintenance_window.timezone"),
                e.details().stream().map(ApiException.FieldError::field).toList());
        assertTrue(e.details().get(0).message().contains("1 to 365"), e.details().get(0).message());
        assertEquals(UpdatePolicy.defaults(), store.saved.get(), "nothing saved");
    }

    @Test
    void aPolicyThatIsNotADocumentIsRefused() {
        ApiException e = assertThrows(ApiException.class, () -> resource.put(FakeRequest.put(LocalPolicyResource.PATH,
                "{}")));
        assertEquals("policy", e.field());
    }

    @Test
    void withoutOverrideThePageIsReadOnlyAndWritesAre403WithTheReason() throws Exception {
        override = false;
        @SuppressWarnings("unchecked")
        Map<String, Object> shown = (Map<String, Object>) resource.get(FakeRequest.get(LocalPolicyResource.PATH)).json();
        assertEquals(false, shown.get("editable"));
        assertTrue(((String) shown.get("reason")).contains("local override is disabled"), shown.toString());
        ApiException e = assertThrows(ApiException.class, () -> resource.put(FakeRequest.put(LocalPolicyResource.PATH,
                body(withCheckDays(2)))));
        assertEquals(403, e.status());
        assertEquals("local_override_disabled", e.code());
        assertTrue(e.getMessage().contains("allow_local_override"), e.getMessage());
        assertEquals(UpdatePolicy.defaults(), store.saved.get());
    }

    @Test
    void aForeignPageOrHostCannotChangeIt() throws Exception {
        String ok = body(withCheckDays(2));
        ApiException foreign = assertThrows(ApiException.class, () -> resource.put(
                FakeRequest.put(LocalPolicyResource.PATH, ok).with("Origin", "https://evil.example")));
        assertEquals("not_local", foreign.code());
        ApiException rebound = assertThrows(ApiException.class, () -> resource.put(
                FakeRequest.put(LocalPolicyResource.PATH, ok).with("Host", "evil.example:8181")));
        assertEquals(403, rebound.status());
        assertFalse(store.saved.get().equals(withCheckDays(2)), "nothing saved");
    }
}
