/**
 * Retrying failed operations politely: {@link io.printmaster.core.retry.Backoff}, exponential backoff with full
 * jitter.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.printmaster.core.retry;
