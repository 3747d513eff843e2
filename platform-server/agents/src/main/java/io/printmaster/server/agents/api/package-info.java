/**
 * Agents as other server bundles see them: the fleet's installer join token
 * ({@link io.printmaster.server.agents.api.JoinTokens}), which the installer builder embeds in every installer it
 * makes for the fleet. Since 1.2 the check-in's {@link io.printmaster.server.agents.api.UpdateGate} (implemented by
 * the rollouts bundle) and the {@link io.printmaster.server.agents.api.AgentDirectory} the rollouts bundle reads.
 * Since 1.3 the directory's {@link io.printmaster.server.agents.api.AgentDirectory#census()}. Since 1.4
 * {@link io.printmaster.server.agents.api.AgentStatistics}: the dashboard's agent counts and release outcomes.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.4.0")
package io.printmaster.server.agents.api;
