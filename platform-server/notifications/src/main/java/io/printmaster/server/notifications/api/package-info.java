/**
 * Server events: what happened on the server that an admin watches (an agent's update status, a rollout's progress,
 * a release sync, a new release). Bundles that change such state publish a {@link
 * io.printmaster.server.notifications.api.ServerEvent} to the {@link io.printmaster.server.notifications.api.ServerEvents}
 * service after their transaction commits; the notifications bundle streams them to open consoles
 * ({@code GET /api/v1/events}), turns the noteworthy ones into notifications and webhook deliveries, and hands every
 * one to the {@link io.printmaster.server.notifications.api.ServerEventListener} services (the metrics bundle).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.printmaster.server.notifications.api;
