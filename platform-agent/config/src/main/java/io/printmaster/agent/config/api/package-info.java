/**
 * The agent's local configuration as other agent bundles see it: {@link
 * io.printmaster.agent.config.api.AgentConfiguration} gives an immutable snapshot of the effective settings (server,
 * fleet, whether a join token is set, override mode, effective policy and where it comes from, and every
 * configuration error). The policy type is {@code io.printmaster.core.policy.UpdatePolicy}, the same document the server
 * serves for a fleet. The bundle that talks to the server supplies the fleet policy through {@link
 * io.printmaster.agent.config.api.FleetPolicyProvider}. {@link io.printmaster.agent.config.api.LocalPolicyStore} (1.2)
 * reads and, when local overrides are allowed, saves the local policy.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package io.printmaster.agent.config.api;
