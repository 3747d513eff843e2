package io.printmaster.itests.bench;

import java.util.concurrent.atomic.AtomicInteger;

/** One simulated agent: its identity and the little state the real agent keeps between check-ins. */
final class SimulatedAgent {
    static final String INITIAL_VERSION = "0.0.1";

    final int index;
    final String hostname;
    String id;
    String credential;
    volatile String version = INITIAL_VERSION;
    volatile String policyEtag;
    volatile String manifestEtag;
    volatile long trustVersion;
    volatile boolean push;
    final AtomicInteger okCheckIns = new AtomicInteger();
    // guarded by this
    long updateCheckDue;
    boolean inRun;
    String runId;
    String target;
    String offerVersion;
    String offerRollout;
    String offerUrl;
    String offerSha256;
    long commandSentAt;
    boolean commandEventSeen;
    int runStep;

    SimulatedAgent(int index) {
        this.index = index;
        this.hostname = String.format("sim-%06d", index);
    }
}
