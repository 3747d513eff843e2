/**
 * Slowing down guessing on public routes: {@link io.printmaster.security.limits.FailureRateLimiter}, a sliding window
 * of failures per key.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.printmaster.security.limits;
