package io.printmaster.server.agents.api;

import java.sql.Connection;
import java.sql.SQLException;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Decides whether a check-in may be offered the agent's update now (staged rollouts). Implemented by the rollouts
 * bundle; the agents bundle consumes it as a mandatory service, so check-ins are refused rather than answered
 * ungated while none runs.
 *
 * <p>A check-in calls {@link #decide} first, outside any transaction (it may create an automatic rollout in its own
 * transaction), so the offered artifact and manifest are fetched before anything commits; then {@link #admit} inside
 * the transaction that records the check-in, which takes the rollout slot or turns the offer into a hold. Telemetry
 * calls {@link #runTransition} inside the transaction that stores each transition of the agent's own runs.
 * Implementations keep no in-memory state that decides admission: several server processes share one database.
 *
 * @since 1.2
 */
@ConsumerType
public interface UpdateGate {

    /** What this check-in would be offered; read-only except for creating an automatic rollout that is due. */
    GateDecision decide(GateRequest request) throws SQLException;

    /**
     * The final decision, on the check-in's own connection: an {@link GateDecision.Kind#OFFER} inside a rollout
     * takes the agent's slot (or keeps the one it holds) or becomes a {@link GateDecision.Kind#HOLD}; also records
     * that the agent reached the rollout's version when it reports it.
     */
    GateDecision admit(Connection connection, GateRequest request, GateDecision proposed) throws SQLException;

    /** Records a transition of one of the agent's own runs (frees its slot on a terminal status). */
    void runTransition(Connection connection, String agentId, RunTransition transition) throws SQLException;
}
