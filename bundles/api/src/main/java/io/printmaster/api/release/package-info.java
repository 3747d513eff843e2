/**
 * Where releases come from: the {@link io.printmaster.api.release.ReleaseSource} contract (a GitHub repository, an
 * HTTP feed, a local directory, a vendor's own system) and what it describes —
 * {@link io.printmaster.api.release.Release}s made of downloadable
 * {@link io.printmaster.api.release.ReleaseAsset}s with upstream {@link io.printmaster.api.release.Checksum}s, on a
 * {@link io.printmaster.api.release.Channel}; what a source skipped or refused, with its reason
 * ({@link io.printmaster.api.release.Skipped}, {@link io.printmaster.api.release.Refusal}), the tag patterns of
 * monorepos ({@link io.printmaster.api.release.TagPattern}) and the post-download check of upstream signatures
 * ({@link io.printmaster.api.release.ReleaseSource#verify}).
 *
 * <p>2.0: {@code RuntimeFingerprint}, a platform rule rather than contract, moved to
 * {@code io.printmaster.api.support}; the skip, refusal, tag-pattern and signature-check types were added.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("2.0.0")
package io.printmaster.api.release;
