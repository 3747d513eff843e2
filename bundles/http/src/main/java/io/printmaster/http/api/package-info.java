/**
 * HTTP contract shared by every bundle that serves the REST API: a bundle registers a {@link
 * io.printmaster.http.api.RouteProvider} service and its routes appear under {@code /api/}, behind the
 * same authentication, authorization, body limits, JSON mapping and error shape as every other route.
 *
 * <p>1.9: {@link io.printmaster.http.api.PageLimit}, the {@code limit} of paged lists read one way.
 * <p>1.8: {@link io.printmaster.http.api.ApiResponse#deferred} with {@link io.printmaster.http.api.DeferredAnswer} and
 * {@link io.printmaster.http.api.PendingAnswer}: a plain answer given later (a long poll) without a thread waiting.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.9.0")
package io.printmaster.http.api;
