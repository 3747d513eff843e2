/**
 * Agents as other server bundles see them: the fleet's installer join token
 * ({@link io.printmaster.server.agents.api.JoinTokens}), which the installer builder embeds in every installer it
 * makes for the fleet.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.printmaster.server.agents.api;
