/**
 * Security services other bundles use: {@link io.printmaster.security.api.SecretBox} encrypts secrets at rest
 * (signing keys, join tokens inside cached installers, agent credentials). It lives in bundle
 * {@code io.printmaster.secretbox}, which both the server and the agent run; the package name is kept from when it
 * was part of the security bundle.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.printmaster.security.api;
