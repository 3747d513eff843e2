/**
 * Where releases come from: the {@link io.printmaster.api.release.ReleaseSource} contract (a GitHub repository, an
 * HTTP feed, a local directory, a vendor's own system) and what it describes —
 * {@link io.printmaster.api.release.Release}s made of downloadable
 * {@link io.printmaster.api.release.ReleaseAsset}s with upstream {@link io.printmaster.api.release.Checksum}s, on a
 * {@link io.printmaster.api.release.Channel}. Since 1.4: what a source skipped or refused, with its reason
 * ({@link io.printmaster.api.release.Skipped}, {@link io.printmaster.api.release.Refusal}), the tag patterns of
 * monorepos ({@link io.printmaster.api.release.TagPattern}) and the post-download check of upstream signatures
 * ({@link io.printmaster.api.release.ReleaseSource#verify}).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.4.0")
package io.printmaster.api.release;
