/**
 * Security services other bundles use: {@link io.printmaster.security.api.SecretBox} encrypts secrets at rest
 * (signing keys, join tokens inside cached installers, agent credentials).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.printmaster.security.api;
