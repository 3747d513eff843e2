package io.printmaster.server.signing.impl;

import java.util.Dictionary;
import java.util.Hashtable;
import org.osgi.annotation.bundle.Header;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.cm.ConfigurationPlugin;

/**
 * Registers {@link ProviderSelection}. A bundle activator rather than a component because it must be in place before
 * DS reads this bundle's configuration: the activator runs while the bundle starts, DS processes the bundle once it
 * has started.
 */
@Header(name = Constants.BUNDLE_ACTIVATOR, value = "${@class}")
public final class SigningActivator implements BundleActivator {

    @Override
    public void start(BundleContext context) {
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(ConfigurationPlugin.CM_TARGET, new String[] {SigningKeyStore.PID});
        context.registerService(ConfigurationPlugin.class, new ProviderSelection(), properties);
    }

    @Override
    public void stop(BundleContext context) {
        // the framework unregisters the plugin with the bundle
    }
}
