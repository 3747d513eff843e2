/**
 * Canonical JSON bytes ({@link io.printmaster.core.json.CanonicalJson}, RFC 8785 style) for what is signed: the
 * same value always gives the same bytes.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.printmaster.core.json;
