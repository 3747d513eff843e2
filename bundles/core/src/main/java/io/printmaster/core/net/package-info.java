/**
 * Transport rules the server and the agent share: {@link io.printmaster.core.net.PlainHttpRule}, when plain
 * {@code http://} to the server is acceptable.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.printmaster.core.net;
