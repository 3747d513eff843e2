package io.printmaster.agent.hotswap.api;

import java.net.URL;
import java.util.Enumeration;
import org.osgi.framework.Bundle;

/**
 * For code that may be replaced by the swap it runs, such as the update worker calling
 * {@link BundleSwapper#swap} when the release changes the worker's own bundle.
 *
 * <p>After the refresh that replaces a bundle, code of its old revision still runs on the swapping thread, but the old
 * revision's class loader can no longer load classes it has not loaded yet, and the old bundle's context is invalid.
 * Such a caller loads its classes before the swap ({@link #preloadClasses}), touches after the swap only objects it
 * built before, and hands anything that needs services to the new revision.
 */
public final class SelfSwap {
    private SelfSwap() {
    }

    /**
     * Loads (and initialises) every class of {@code bundle} under {@code packagePath} now.
     *
     * @param bundle the caller's bundle
     * @param packagePath the caller's package root, such as {@code io/printmaster/agent/worker}
     * @param loader the class loader of the caller's bundle
     * @return how many classes could not be loaded (logged by the caller if it cares); 0 normally
     */
    public static int preloadClasses(Bundle bundle, String packagePath, ClassLoader loader) {
        int failed = 0;
        Enumeration<URL> classes = bundle.findEntries(packagePath, "*.class", true);
        while (classes != null && classes.hasMoreElements()) {
            String path = classes.nextElement().getPath();
            String name = path.substring(path.startsWith("/") ? 1 : 0, path.length() - ".class".length())
                    .replace('/', '.');
            try {
                Class.forName(name, true, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                failed++;
            }
        }
        return failed;
    }
}
