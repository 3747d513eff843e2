package io.printmaster.server.selfupdate.impl;

import java.util.Map;

/** One step a run reports (the orchestrator records it in PM_SERVER_UPDATE_RUN and emits a console event). */
public interface RunProgress {
    void status(String status, Map<String, Object> detail);
}
