/**
 * The server's signing keys, for the server bundles that sign what agents trust (manifests):
 * {@link io.printmaster.server.signing.api.ManifestSigner} signs bytes with the active key;
 * {@link io.printmaster.server.signing.api.SigningKeys} lists, rotates and verifies. Keys are RFC 8032 Ed25519;
 * private keys never leave the implementation (no type of this package carries one).
 * {@link io.printmaster.server.signing.api.CanonicalJson} gives the bytes that are signed (1.1: manifests and
 * rotation statements share it). 1.2 adds the trust statements agents follow ({@link
 * io.printmaster.server.signing.api.TrustStatement}: rotations, root delegations, revocations, under one sequence),
 * the offline root ({@link io.printmaster.server.signing.api.RootKey}), pending and revoked keys, and
 * {@link io.printmaster.server.signing.api.AgentTrust}, what a new installer embeds.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package io.printmaster.server.signing.api;
