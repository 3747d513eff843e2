package io.printmaster.server.agents.api;

/**
 * One transition of an agent's own update run (never a plugin's), as its telemetry reports it.
 *
 * @param runId          the run ({@code run_id})
 * @param status         {@code checking … succeeded failed skipped rolled_back cancelled}
 * @param currentVersion the version the agent runs, or null when not reported
 * @param targetVersion  the version the run aims at, or null
 * @param errorCode      the error code, or null
 * @param terminal       whether the status ends the run
 * @since 1.2
 */
public record RunTransition(String runId, String status, String currentVersion, String targetVersion,
                            String errorCode, boolean terminal) {
}
