/**
 * HTTP contract shared by every bundle that serves the REST API: a bundle registers a {@link
 * io.printmaster.http.api.RouteProvider} service and its routes appear under {@code /api/}, behind the
 * same authentication, authorization, body limits, JSON mapping and error shape as every other route.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.7.0")
package io.printmaster.http.api;
