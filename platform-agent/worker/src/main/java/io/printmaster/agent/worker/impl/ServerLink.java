package io.printmaster.agent.worker.impl;

import io.printmaster.agent.config.api.AgentSettings;
import io.printmaster.agent.enrollment.api.Enrollment;
import java.util.function.Supplier;

/**
 * The agent's side of the server: check-ins and the credential (enrollment), the settings and policy in force, and
 * the telemetry queue that reports runs.
 */
record ServerLink(Enrollment enrollment, Supplier<AgentSettings> settings, TelemetrySender telemetry) {
}
