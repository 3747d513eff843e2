package io.printmaster.itests.hotswapfixture;

/** A Declarative Services component whose activation always fails (OsgiLogBridgeIT; its XML is written by the test). */
public class BrokenComponent {
    /** What the exception says, for the test to find in the log. */
    public static final String FAILURE = "BrokenComponent fails to activate on purpose";

    public void activate() {
        throw new IllegalStateException(FAILURE);
    }
}
