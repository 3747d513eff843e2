/**
 * Signing providers: the {@link io.printmaster.api.signing.SigningProvider} contract (Ed25519 key generation,
 * signing and verification over raw keys) that signs the manifests agents trust, and
 * {@link io.printmaster.api.signing.KeyMaterial}, a key pair.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.printmaster.api.signing;
