/**
 * Classes that {@code HotSwapIT} packs into bundles built on the fly (the "payload" and the "swap caller"); they run
 * inside those bundles, never from the test class path.
 */
package io.printmaster.itests.hotswapfixture;
