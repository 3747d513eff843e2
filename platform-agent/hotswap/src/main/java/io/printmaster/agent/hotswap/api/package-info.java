/**
 * Swapping the agent's own bundles inside the running framework, behind a health gate, with automatic rollback:
 * {@link io.printmaster.agent.hotswap.api.BundleSwapper}. {@link io.printmaster.agent.hotswap.api.SelfSwap} (1.1) is for
 * callers that may be replaced by their own swap;
 * {@link io.printmaster.agent.hotswap.api.BundleSwapper#replacePlugin} (1.2) replaces a vendor plugin behind the gate.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package io.printmaster.agent.hotswap.api;
