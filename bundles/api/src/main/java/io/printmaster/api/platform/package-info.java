/**
 * Where software runs and what it is: {@link io.printmaster.api.platform.Platform} ({@code linux-amd64}) made of
 * an {@link io.printmaster.api.platform.Os} and an {@link io.printmaster.api.platform.Arch}, and
 * {@link io.printmaster.api.platform.ComponentName} ({@code agent}, {@code server}, a vendor's component).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.printmaster.api.platform;
