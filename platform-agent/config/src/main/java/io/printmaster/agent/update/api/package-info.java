/**
 * The contract between the agent's update worker and whoever shows or triggers it (the local status page). The
 * worker registers an {@link io.printmaster.agent.update.api.UpdateWorker} service; consumers take it as an
 * optional dynamic reference and say honestly that no worker is installed when it is absent. {@link io.printmaster.agent.update.api.RunningRelease}
 * (1.1) names the release that runs, which a hot swap changes without a restart. {@link
 * io.printmaster.agent.update.api.HealthCheckTags} (1.2) names the Felix Health Check tags the update path selects by.
 * {@link io.printmaster.agent.update.api.HeldTrust} (1.3) is the trust version the check-in reports. 1.4 adds
 * {@link io.printmaster.agent.update.api.RunState#UP_TO_DATE} (a check that found nothing to install) and {@link
 * io.printmaster.agent.update.api.ScheduledCheck}, the next scheduled check the check-in reports.
 *
 * <p>The package lives in the configuration bundle only because no worker bundle exists yet; consumers import the
 * package, not the bundle, so it can move to the worker's API bundle without changing them.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.4.0")
package io.printmaster.agent.update.api;
