package io.printmaster.server.agents.impl;

import io.printmaster.server.agents.api.GateDecision;
import io.printmaster.server.agents.api.GateRequest;
import io.printmaster.server.agents.api.RunTransition;
import io.printmaster.server.agents.api.UpdateGate;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;

/**
 * The gate as it behaves for a fleet no rollout governs: the policy's pick is offered. The rollouts bundle (which
 * depends on this one, so it cannot run in these tests) has its own tests; this records what it was told.
 */
final class PolicyOnlyGate implements UpdateGate {
    final List<RunTransition> transitions = new ArrayList<>();
    int admitted;

    @Override
    public GateDecision decide(GateRequest request) {
        return request.policyVersion() == null ? GateDecision.none() : GateDecision.offer(request.policyVersion());
    }

    @Override
    public GateDecision admit(Connection connection, GateRequest request, GateDecision proposed) {
        admitted++;
        return proposed;
    }

    @Override
    public synchronized void runTransition(Connection connection, String agentId, RunTransition transition) {
        transitions.add(transition);
    }
}
