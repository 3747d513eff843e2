package io.printmaster.server.signing.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.signing.SigningProvider;
import io.printmaster.signing.jdk.impl.JdkSigningProvider;
import java.util.AbstractMap;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Constants;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;

/** How {@code provider=…} becomes the reference target, and the guard against a target that was not applied. */
class ProviderSelectionTest {

    @Test
    void theProviderNameBecomesTheReferenceTarget() {
        assertEquals("(printmaster.signing.provider.name=jdk)", ProviderSelection.targetFor("jdk"));
        assertEquals("(printmaster.signing.provider.name=bouncycastle)", ProviderSelection.targetFor(" "));
        assertEquals("(printmaster.signing.provider.name=bouncycastle)", ProviderSelection.targetFor(null));
        assertEquals(ProviderSelection.DEFAULT_TARGET, ProviderSelection.targetFor(null));
    }

    @Test
    void anyValueGivesAFilterThatMatchesOnlyThatName() throws Exception {
        String target = ProviderSelection.targetFor("a*(b)\\");
        assertEquals("(printmaster.signing.provider.name=a\\*\\(b\\)\\\\)", target);
        Filter filter = FrameworkUtil.createFilter(target);
        assertTrue(filter.matches(Map.of(SigningProvider.NAME, "a*(b)\\")));
        assertTrue(!filter.matches(Map.of(SigningProvider.NAME, "aXXb)\\")));
    }

    @Test
    void thePluginTouchesOnlyTheSigningConfiguration() {
        Dictionary<String, Object> ours = new Hashtable<>(Map.of(Constants.SERVICE_PID, SigningKeyStore.PID, "provider", "jdk"));
        new ProviderSelection().modifyConfiguration(null, ours);
        assertEquals("(printmaster.signing.provider.name=jdk)", ours.get("SigningProvider.target"));
        assertEquals("jdk", ours.get("provider"), "the administrator's value stays");

        Dictionary<String, Object> other = new Hashtable<>(Map.of(Constants.SERVICE_PID, "io.printmaster.store", "provider", "jdk"));
        new ProviderSelection().modifyConfiguration(null, other);
        assertNull(other.get("SigningProvider.target"));
    }

    @Test
    void refusesToRunWithAnotherProviderThanTheConfiguredOne() {
        SigningProvider jdk = new JdkSigningProvider();
        Map.Entry<Map<String, Object>, SigningProvider> bound =
                new AbstractMap.SimpleImmutableEntry<>(Map.of(SigningProvider.NAME, "jdk"), jdk);
        assertSame(jdk, SigningKeyStore.selected(bound, "jdk"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> SigningKeyStore.selected(bound, "bouncycastle"));
        assertEquals("signing provider 'bouncycastle' is configured but 'jdk' was bound; refusing to sign with another "
                + "provider than the configured one", e.getMessage());
    }
}
