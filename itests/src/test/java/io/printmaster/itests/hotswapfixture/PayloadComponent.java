package io.printmaster.itests.hotswapfixture;

/** The payload bundle's Declarative Services component (its XML is written by the test; no annotations). */
public class PayloadComponent {
    public PayloadComponent() {
        // nothing: being satisfied is the point
    }
}
