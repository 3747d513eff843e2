/**
 * What every PrintMaster plugin shares, whatever contract it implements: its human-readable name,
 * {@link io.printmaster.api.plugin.PluginName}, shown by the server's plugin listing.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.printmaster.api.plugin;
