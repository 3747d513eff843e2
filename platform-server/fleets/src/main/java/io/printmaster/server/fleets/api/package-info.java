/**
 * Fleets and their effective update policies, for the server bundles that act per fleet (installers, agent
 * check-in, rollout).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.printmaster.server.fleets.api;
