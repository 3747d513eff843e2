package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import io.printmaster.server.signing.api.ManifestSigner;
import io.printmaster.server.signing.api.Signature;
import io.printmaster.server.signing.api.SigningKeys;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.component.runtime.dto.SatisfiedReferenceDTO;

/**
 * In the real server bundles: the server signs with Bouncy Castle by default, and {@code provider=jdk} in
 * configuration {@code io.printmaster.server.signing} switches it to the JDK provider while running.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class SigningProviderSelectionIT {
    private static final String PID = "io.printmaster.server.signing";
    private static final String COMPONENT = "io.printmaster.server.signing.impl.SigningKeyStore";
    private static final byte[] MESSAGE = "manifest".getBytes(StandardCharsets.UTF_8);

    @Inject
    BundleContext context;

    @Inject
    ServiceComponentRuntime scr;

    @Inject
    ConfigurationAdmin configurationAdmin;

    @Configuration
    public Option[] config() {
        return ServerContainer.options(ServerContainer.newDataDir("signing"), ServerContainer.freePort());
    }

    @Test
    public void signsWithTheConfiguredProviderAndSwitchesWhileRunning() throws Exception {
        Eventually.within(Duration.ofSeconds(20), () -> assertEquals("bouncycastle", boundProvider()));
        Signature first = sign();
        assertTrue(service(SigningKeys.class).verify(first.keyId(), MESSAGE, first.value()));

        org.osgi.service.cm.Configuration configuration = configurationAdmin.getConfiguration(PID, "?");
        try {
            configuration.update(properties("jdk"));
            Eventually.within(Duration.ofSeconds(20), () -> assertEquals("jdk", boundProvider()));
            Signature byJdk = sign();
            assertEquals("the same key, now used through the JDK provider", first.keyId(), byJdk.keyId());
            assertTrue(service(SigningKeys.class).verify(first.keyId(), MESSAGE, byJdk.value()));

            configuration.update(properties("no-such-provider"));
            Eventually.within(Duration.ofSeconds(20),
                    () -> assertEquals(ComponentConfigurationDTO.UNSATISFIED_REFERENCE, state()));
        } finally {
            configuration.delete();
        }
        Eventually.within(Duration.ofSeconds(20), () -> assertEquals("bouncycastle", boundProvider()));
    }

    private Signature sign() throws Exception {
        return service(ManifestSigner.class).sign(MESSAGE);
    }

    private <T> T service(Class<T> type) {
        ServiceReference<T> reference = context.getServiceReference(type);
        assertNotNull(type.getSimpleName() + " is registered", reference);
        return context.getService(reference);
    }

    private static Dictionary<String, Object> properties(String provider) {
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put("provider", provider);
        return properties;
    }

    private ComponentConfigurationDTO configurationDto() {
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
            if (d.name.equals(COMPONENT)) {
                for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                    return c;
                }
            }
        }
        throw new AssertionError(COMPONENT + " has no configuration");
    }

    private int state() {
        return configurationDto().state;
    }

    /** The provider name of the service bound to the component's SigningProvider reference. */
    private String boundProvider() {
        ComponentConfigurationDTO c = configurationDto();
        assertEquals("component state", ComponentConfigurationDTO.ACTIVE, c.state);
        for (SatisfiedReferenceDTO r : c.satisfiedReferences) {
            if (r.name.equals("SigningProvider")) {
                assertEquals(1, r.boundServices.length);
                return (String) r.boundServices[0].properties.get("printmaster.signing.provider.name");
            }
        }
        throw new AssertionError("SigningProvider is not bound");
    }
}
