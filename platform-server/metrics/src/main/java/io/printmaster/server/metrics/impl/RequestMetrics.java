package io.printmaster.server.metrics.impl;

import io.printmaster.http.api.RequestObserver;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Counts what the API dispatcher answered: every request by route, method and status; agent check-ins and their
 * latency; downloads and the bytes they sent.
 */
@Component(service = RequestObserver.class)
public class RequestMetrics implements RequestObserver {
    /** The agents' check-in route (wire contract). */
    static final String CHECK_IN = "/api/v1/agents/update/manifest";

    private final ServerMetrics metrics;

    @Activate
    public RequestMetrics(@Reference ServerMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void observed(ObservedRequest r) {
        metrics.request(r.route(), r.method(), r.status(), r.durationNanos(), !r.eventStream());
        if (CHECK_IN.equals(r.route()) && "POST".equals(r.method())) {
            metrics.checkIn(r.status(), r.durationNanos());
        }
        if (r.download() && r.status() >= 200 && r.status() < 300) {
            metrics.download(r.downloadKind(), r.bytesSent());
        }
    }
}
