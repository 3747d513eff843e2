package io.printmaster.server.metrics.impl;

import io.printmaster.server.agents.api.AgentCensus;
import io.printmaster.server.agents.api.AgentDirectory;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmBufferPoolMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmClassLoadingMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmCompilationMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmGarbageCollectorMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmRuntimeInfoMetric;
import io.prometheus.metrics.instrumentation.jvm.JvmThreadsMetrics;
import io.prometheus.metrics.instrumentation.jvm.ProcessMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The server's Prometheus metrics: one registry (this component's own, so a restarted bundle starts clean) with the
 * {@code printmaster_*} metrics, the JVM's, and the text exposition of them all. Callers hand in raw values; this
 * class turns them into bounded label values ({@link BoundedValues}), so no request or agent can create series
 * without end.
 */
@Component(service = ServerMetrics.class)
public class ServerMetrics {
    /** Update statuses an outcome may have (the telemetry's terminal states, and {@code up_to_date}). */
    static final Set<String> OUTCOME_STATUSES = Set.of("succeeded", "failed", "skipped", "rolled_back", "cancelled",
            "up_to_date");
    /** The agents' error codes (docs/api.md, the telemetry route); others are counted as {@code other}. */
    static final Set<String> ERROR_CODES = Set.of("DISK_SPACE", "DOWNLOAD_FAILED", "HASH_MISMATCH", "STAGING_FAILED",
            "APPLY_FAILED", "RESTART_FAILED", "HEALTH_CHECK", "ROLLBACK_FAILED", "MANIFEST_ERROR", "POLICY_DISABLED",
            "OUTSIDE_WINDOW", "SERVER_ERROR", "ROLLOUT_ABORTED");
    static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS");
    /** The download routes' kinds as the HTTP bundle names them, and as the metric labels them. */
    static final Map<String, String> DOWNLOAD_KINDS = Map.of("download", "artifact", "bundle", "bundle",
            "installers", "installer");
    /** An agent's update status in the census: what telemetry accepts. */
    static final Set<String> AGENT_STATUSES = Set.of("idle", "checking", "pending", "downloading", "staging",
            "applying", "restarting", "succeeded", "failed", "skipped", "rolled_back", "cancelled", "up_to_date");
    static final Set<String> SYNC_STATES = Set.of("finished", "failed");
    /** Seconds; from a quick answer on loopback to a check-in that waited on a busy database. */
    private static final double[] BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    private static final long CENSUS_MAX_AGE_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final BoundedValues routes = new BoundedValues(Pattern.compile("/api/[A-Za-z0-9_.{}/-]{0,200}"), 500);
    private final BoundedValues fleets = new BoundedValues(Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"), 1000);
    private final BoundedValues versions = new BoundedValues(Pattern.compile("[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}"), 300);
    private final BoundedValues components = new BoundedValues(Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}"), 50);

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final AgentCensusCache census;
    private final Counter checkIns;
    private final Histogram checkInDuration;
    private final Counter requests;
    private final Histogram requestDuration;
    private final Counter downloads;
    private final Counter downloadBytes;
    private final Counter outcomes;
    private final Counter syncRuns;
    private final Counter syncRejections;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile AgentDirectory agents;
    /** Where the census comes from when no directory is injected (tests). */
    private volatile java.util.concurrent.Callable<List<AgentCensus>> censusSource;

    public ServerMetrics() {
        this(System::nanoTime);
    }

    ServerMetrics(java.util.function.LongSupplier nanoTime) {
        census = new AgentCensusCache(CENSUS_MAX_AGE_NANOS, nanoTime);
        GaugeWithCallback.builder().name("printmaster_agents")
                .help("Enrolled agents by fleet, current version and last update status (none: never reported)")
                .labelNames("fleet", "version", "status")
                .callback(cb -> agentCounts().forEach((labels, count) -> cb.call(count, labels.toArray(String[]::new))))
                .register(registry);
        checkIns = Counter.builder().name("printmaster_checkins_total")
                .help("Agent check-ins answered, by result: ok (2xx), refused (4xx), error (5xx)")
                .labelNames("result").withoutExemplars().register(registry);
        checkInDuration = Histogram.builder().name("printmaster_checkin_duration_seconds").unit(Unit.SECONDS)
                .help("Time to answer an agent check-in").classicOnly().classicUpperBounds(BUCKETS)
                .withoutExemplars().register(registry);
        requests = Counter.builder().name("printmaster_http_requests_total")
                .help("API requests answered, by route template (none: no route matched), method and status")
                .labelNames("route", "method", "status").withoutExemplars().register(registry);
        requestDuration = Histogram.builder().name("printmaster_http_request_duration_seconds").unit(Unit.SECONDS)
                .help("Time to answer an API request (event streams are not timed)").labelNames("route", "method")
                .classicOnly().classicUpperBounds(BUCKETS).withoutExemplars().register(registry);
        downloads = Counter.builder().name("printmaster_downloads_total")
                .help("Downloads served, by kind: artifact (agent update), bundle (hot-swap bundle), installer")
                .labelNames("kind").withoutExemplars().register(registry);
        downloadBytes = Counter.builder().name("printmaster_download_bytes_total").unit(Unit.BYTES)
                .help("Bytes of downloads sent, by kind").labelNames("kind").withoutExemplars().register(registry);
        outcomes = Counter.builder().name("printmaster_update_outcomes_total")
                .help("Agent update runs ended, by component, target version, status and error code")
                .labelNames("component", "version", "status", "error_code").withoutExemplars().register(registry);
        syncRuns = Counter.builder().name("printmaster_sync_runs_total")
                .help("Release syncs ended, by final state").labelNames("state").withoutExemplars().register(registry);
        syncRejections = Counter.builder().name("printmaster_sync_rejections_total")
                .help("Release assets the syncs rejected").withoutExemplars().register(registry);
        JvmMemoryMetrics.builder().register(registry);
        JvmThreadsMetrics.builder().register(registry);
        JvmGarbageCollectorMetrics.builder().register(registry);
        JvmClassLoadingMetrics.builder().register(registry);
        JvmBufferPoolMetrics.builder().register(registry);
        JvmCompilationMetrics.builder().register(registry);
        JvmRuntimeInfoMetric.builder().register(registry);
        ProcessMetrics.builder().register(registry);
    }

    /** Set in tests, where no DS injects the directory. */
    void censusSource(java.util.concurrent.Callable<List<AgentCensus>> source) {
        this.censusSource = source;
    }

    /** One answered API request. */
    void request(String route, String method, int status, long durationNanos, boolean timed) {
        String r = routes.bound(route, "none");
        String m = METHODS.contains(method) ? method : BoundedValues.OTHER;
        requests.labelValues(r, m, status >= 100 && status <= 599 ? Integer.toString(status) : BoundedValues.OTHER).inc();
        if (timed) {
            requestDuration.labelValues(r, m).observe(seconds(durationNanos));
        }
    }

    /** One answered agent check-in. */
    void checkIn(int status, long durationNanos) {
        checkIns.labelValues(status < 400 ? "ok" : status < 500 ? "refused" : "error").inc();
        checkInDuration.observe(seconds(durationNanos));
    }

    /** One download, by the HTTP bundle's kind ({@link #DOWNLOAD_KINDS}). */
    void download(String httpKind, long bytes) {
        String kind = DOWNLOAD_KINDS.getOrDefault(httpKind, BoundedValues.OTHER);
        downloads.labelValues(kind).inc();
        downloadBytes.labelValues(kind).inc(Math.max(0, bytes));
    }

    /** One ended update run of an agent. */
    void outcome(String component, String version, String status, String errorCode) {
        outcomes.labelValues(components.bound(component, "agent"), versions.bound(version, "unknown"),
                OUTCOME_STATUSES.contains(status) ? status : BoundedValues.OTHER,
                errorCode == null || errorCode.isEmpty() ? "none"
                        : ERROR_CODES.contains(errorCode) ? errorCode : BoundedValues.OTHER).inc();
    }

    /** One ended release sync, with the number of assets it rejected. */
    void syncRun(String state, long rejected) {
        syncRuns.labelValues(SYNC_STATES.contains(state) ? state : BoundedValues.OTHER).inc();
        syncRejections.inc(Math.max(0, rejected));
    }

    /** The agents by (fleet, version, status) label values, bounded and summed where values were folded. */
    private Map<List<String>, Long> agentCounts() {
        AgentDirectory directory = agents;
        List<AgentCensus> rows = census.get(directory != null ? directory::census : censusSource);
        Map<List<String>, Long> counts = new TreeMap<>(java.util.Comparator.comparing(Object::toString));
        for (AgentCensus row : rows) {
            String status = row.status() == null ? "none"
                    : AGENT_STATUSES.contains(row.status()) ? row.status() : BoundedValues.OTHER;
            counts.merge(List.of(fleets.bound(row.fleet(), "none"), versions.bound(row.version(), "unknown"), status),
                    row.count(), Long::sum);
        }
        return counts;
    }

    /** The media type of {@link #write}: the text exposition format 0.0.4. */
    String contentType() {
        return writer.getContentType();
    }

    /** Writes every metric, as collected now, in the text exposition format. */
    void write(OutputStream out) throws IOException {
        writer.write(out, registry.scrape());
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }
}
