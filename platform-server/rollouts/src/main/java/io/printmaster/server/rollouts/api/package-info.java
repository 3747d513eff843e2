/**
 * Staged rollouts as other server bundles see them: {@link io.printmaster.server.rollouts.api.RolloutOverview}, the
 * active rollouts with their counts and the version a fleet's policy moves it to (the dashboard reads it).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.printmaster.server.rollouts.api;
