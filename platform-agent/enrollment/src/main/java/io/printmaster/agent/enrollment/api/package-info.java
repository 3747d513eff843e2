/**
 * The agent's enrollment as other agent bundles see it: {@link io.printmaster.agent.enrollment.api.Enrollment} says
 * whether this agent is enrolled, with which server and fleet, hands the agent credential to bundles that call the
 * same server (the update worker), and reports the last check-in. 1.5: {@code pushConnectedSince} (push to agents).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.5.0")
package io.printmaster.agent.enrollment.api;
