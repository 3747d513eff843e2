package io.printmaster.server.signing.impl;

import io.printmaster.api.signing.SigningProvider;
import java.util.Dictionary;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationPlugin;

/**
 * Turns the administrator's {@code provider=jdk} into the reference target Declarative Services understands.
 *
 * <p>DS takes a reference's target filter from the component property {@code <reference name>.target}, verbatim, and
 * offers no way to compute it from another property. Rather than make administrators write an LDAP filter, this
 * Configuration Admin plugin adds {@value #TARGET_PROPERTY}{@code =(printmaster.signing.provider.name=<provider>)} to
 * configuration {@value SigningKeyStore#PID} as it is handed to DS (Felix SCR reads configurations through
 * {@code Configuration.getProcessedProperties}, which runs plugins). Nothing is written back: the file keeps only
 * {@code provider}. The plugin is registered by {@link SigningActivator} before DS sees this bundle's components, so
 * the first configuration DS reads is already processed. Without any configuration the reference's own target (the
 * default provider) applies. {@link SigningKeyStore} checks that the provider it got is the configured one, so a
 * missing plugin fails activation instead of signing with the wrong provider.
 */
final class ProviderSelection implements ConfigurationPlugin {
    static final String DEFAULT_PROVIDER = "bouncycastle";
    static final String REFERENCE = "SigningProvider";
    static final String TARGET_PROPERTY = REFERENCE + ".target";
    static final String DEFAULT_TARGET = "(" + SigningProvider.NAME + "=" + DEFAULT_PROVIDER + ")";

    @Override
    public void modifyConfiguration(ServiceReference<?> reference, Dictionary<String, Object> properties) {
        if (SigningKeyStore.PID.equals(properties.get(Constants.SERVICE_PID))) {
            properties.put(TARGET_PROPERTY, targetFor(properties.get("provider")));
        }
    }

    /** The configured provider name; blank or absent means the default. */
    static String providerName(Object configured) {
        String name = configured == null ? "" : configured.toString().trim();
        return name.isEmpty() ? DEFAULT_PROVIDER : name;
    }

    /** An equality filter on the provider name, escaped (RFC 4515) so any value is a valid filter that matches only itself. */
    static String targetFor(Object configured) {
        StringBuilder filter = new StringBuilder("(").append(SigningProvider.NAME).append('=');
        for (char c : providerName(configured).toCharArray()) {
            if (c == '\\' || c == '*' || c == '(' || c == ')') {
                filter.append('\\');
            }
            filter.append(c);
        }
        return filter.append(')').toString();
    }
}
