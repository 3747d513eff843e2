/**
 * Swapping the agent's own bundles inside the running framework, behind a health gate, with automatic rollback:
 * {@link io.printmaster.agent.hotswap.api.BundleSwapper}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.printmaster.agent.hotswap.api;
