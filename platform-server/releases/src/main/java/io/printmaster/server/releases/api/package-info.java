/**
 * What the release intake offers other server bundles (installers, the agent download service): the cached
 * {@link io.printmaster.server.releases.api.Artifact}s, their files and their
 * {@link io.printmaster.server.releases.api.SignedManifest}s, through the
 * {@link io.printmaster.server.releases.api.ReleaseCatalog} service; since 1.3 also rollback manifests
 * ({@code downgradeManifest}), release notes as sanitized HTML and the bundle changes between two releases, for
 * rollouts.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.3.0")
package io.printmaster.server.releases.api;
