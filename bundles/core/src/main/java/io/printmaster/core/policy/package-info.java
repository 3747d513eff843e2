/**
 * A fleet's update policy as server and agent share it: {@link io.printmaster.core.policy.UpdatePolicy} (the JSON
 * document of {@code /api/v1/fleets/{id}/policy} and of the agent's local override), its checks
 * ({@link io.printmaster.core.policy.PolicyValidator}) and the maintenance window logic
 * ({@link io.printmaster.core.policy.MaintenanceWindow}).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.printmaster.core.policy;
