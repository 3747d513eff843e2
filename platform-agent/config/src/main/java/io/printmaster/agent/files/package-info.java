/**
 * File helpers every agent bundle shares: {@link io.printmaster.agent.files.AtomicFiles} (a file is replaced whole and
 * forced to disk, so a crash or a power cut leaves the old content or the new one, never a torn one) and
 * {@link io.printmaster.agent.files.Digests} (SHA-256 of bytes, a stream or a file, lower-case hex).
 *
 * <p>The hot-swap engine imports this package too, although a swap may replace this very bundle: each helper is a
 * single class without nested classes or lambdas that uses only JDK types, and the engine writes its journal through
 * it before the first bundle changes, so every class the helper needs is loaded while its bundle's class loader is
 * certainly valid (the engine's own classes rely on the same rule).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.printmaster.agent.files;
