package io.printmaster.itests.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.core.wire.CheckInAnswer;
import io.printmaster.core.wire.CheckInRequest;
import io.printmaster.core.wire.TelemetryEvent;
import io.printmaster.core.wire.UpdateOffer;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One simulated agent: an enrolled identity (its own credential) that behaves like the real agent's update worker
 * on virtual time. When due it runs an update check, a check-in carrying a fresh {@code run_id}; offered an update,
 * it takes it (reports {@code downloading}), asks again every {@link #RECHECK} while it works, as the real worker does
 * while downloading or staging (and cancels with {@code ROLLOUT_ABORTED} when the answer no longer offers the version
 * it installs), and ends the run as its {@link Outcome} says, reporting the remaining transitions (staging,
 * applying, … and the terminal status) one by one or in one {@code TelemetryBatch}. Offered a rollback
 * ({@code "downgrade": true} manifest) it checks it as the real agent does (bound to a rollout it took part in, back
 * to the version it came from) and goes back, or refuses it ({@code failed}, {@code MANIFEST_ERROR}). Not offered
 * anything, it comes back after the answer's
 * {@code retry_after_seconds}, or after its own check interval when that is 0.
 *
 * <p>An agent acts on one thread at a time (the simulator hands each due agent to one worker per step).
 */
public final class SimulatedAgent {
    /** How often the real worker re-checks while downloading or staging. */
    public static final Duration RECHECK = Duration.ofSeconds(60);
    /** How long an agent waits after a check-in the server failed (5xx) before it asks again. */
    public static final Duration SERVER_ERROR_BACKOFF = Duration.ofSeconds(60);
    private static final AtomicLong RUNS = new AtomicLong();

    enum Phase { IDLE, INSTALLING, SILENT }

    private final String id;
    private final String credential;
    private final String hostname;
    private final String platform;
    private final String arch;
    private final Deque<Outcome> planned = new ArrayDeque<>();
    /** Transitions the server failed to take, oldest first, sent again before anything newer. */
    private final Deque<List<TelemetryEvent>> unsent = new ArrayDeque<>();
    private volatile Outcome byDefault = Outcome.succeed();
    private volatile Duration checkInterval;
    private volatile String version;
    private volatile Phase phase = Phase.IDLE;
    private volatile Instant nextActionAt;
    // the run in progress (INSTALLING or SILENT)
    private String runId;
    private String target;
    private String rolloutId;
    private Outcome outcome;
    private Instant takenAt;
    private Instant endsAt;
    private volatile boolean slotCounted;
    /** The rollouts it took part in, newest first, as the real agent keeps them (its state.json). */
    private final Deque<TookPart> tookPart = new ArrayDeque<>();

    private record TookPart(String rolloutId, String fromVersion, String toVersion) {
    }

    private static final int TOOK_PART_KEPT = 20;
    private static final ObjectMapper MANIFEST_JSON = new ObjectMapper();

    SimulatedAgent(String id, String credential, String hostname, String platform, String arch, String version,
                   Instant firstCheck, Duration checkInterval) {
        this.id = id;
        this.credential = credential;
        this.hostname = hostname;
        this.platform = platform;
        this.arch = arch;
        this.version = version;
        this.nextActionAt = firstCheck;
        this.checkInterval = checkInterval;
    }

    public String id() {
        return id;
    }

    public String hostname() {
        return hostname;
    }

    /** The version it runs now. */
    public String version() {
        return version;
    }

    /** When it acts next (virtual time); {@link Instant#MAX} for an agent that went silent. */
    public Instant nextActionAt() {
        return nextActionAt;
    }

    /** Whether it is in the middle of an update run it took (silent agents stay so for good). */
    public boolean inRun() {
        return phase != Phase.IDLE;
    }

    public boolean silent() {
        return phase == Phase.SILENT;
    }

    /** The outcomes of its next runs, in order; after them it uses its default. */
    public synchronized SimulatedAgent plan(Outcome... outcomes) {
        planned.addAll(List.of(outcomes));
        return this;
    }

    /** The outcome of every run not {@link #plan planned}. */
    public SimulatedAgent outcomeByDefault(Outcome outcome) {
        this.byDefault = outcome;
        return this;
    }

    /** How long it waits between update checks when no rollout tells it otherwise. */
    public SimulatedAgent checkInterval(Duration interval) {
        this.checkInterval = interval;
        return this;
    }

    /** Makes it due at {@code at} (for instance: everyone at once). */
    public SimulatedAgent dueAt(Instant at) {
        if (phase != Phase.SILENT) {
            nextActionAt = at;
        }
        return this;
    }

    private synchronized Outcome nextOutcome() {
        Outcome o = planned.poll();
        return o == null ? byDefault : o;
    }

    /** What the simulator needs from its host: the wire, the clock, and where to record what happened. */
    interface Host {
        AgentWire wire();

        Instant now();

        /** Whether the transitions that end a run go in one {@code TelemetryBatch} rather than one request each. */
        boolean batchedTelemetry();

        /**
         * Records a request the server failed (a 5xx status, or no answer within the request timeout); the agent
         * repeats it as the real one would.
         */
        void serverError(SimulatedAgent agent, String what);

        /** Records a check-in and its answer (offer or not). */
        void checkedIn(SimulatedAgent agent, String runId, boolean plain, long sentNanos, CheckInAnswer answer);

        /** The agent took an offer: the server holds a slot for it now. */
        void slotTaken(SimulatedAgent agent, UpdateOffer offer);

        /** The agent is about to report the end of the run: the server may free the slot from now on. */
        void slotEnding(SimulatedAgent agent, String status, String errorCode);
    }

    /** Does what is due now; answers whether it did anything. */
    synchronized boolean act(Host host) throws IOException, InterruptedException {
        Instant now = host.now();
        if (phase == Phase.SILENT || nextActionAt.isAfter(now)) {
            return false;
        }
        flush(host);
        if (!unsent.isEmpty()) {
            nextActionAt = now.plus(RECHECK); // the server still fails: try again later, nothing newer before
            return true;
        }
        if (phase == Phase.IDLE) {
            updateCheck(host, now);
        } else if (!now.isBefore(endsAt)) {
            finish(host, now);
        } else {
            recheck(host, now);
        }
        if (!unsent.isEmpty() && nextActionAt.isAfter(now.plus(RECHECK))) {
            nextActionAt = now.plus(RECHECK);
        }
        return true;
    }

    private void updateCheck(Host host, Instant now) throws IOException, InterruptedException {
        String run = "sim-" + RUNS.incrementAndGet();
        long sent = System.nanoTime();
        CheckInAnswer answer = checkIn(host, run);
        if (answer == null) {
            nextActionAt = now.plus(SERVER_ERROR_BACKOFF);
            return;
        }
        host.checkedIn(this, run, false, sent, answer);
        UpdateOffer offer = answer.update();
        if (offer == null || offer.version().equals(version)) {
            nextActionAt = now.plus(answer.retryAfterSeconds() > 0
                    ? Duration.ofSeconds(answer.retryAfterSeconds()) : checkInterval);
            return;
        }
        String refused = refusal(offer);
        if (refused != null) {
            refuse(host, now, run, offer, refused);
            return;
        }
        if (offer.rolloutId() != null && !downgrade(offer)) {
            // as the real worker keeps {rollout_id, from_version, to_version} before it downloads
            tookPart.addFirst(new TookPart(offer.rolloutId(), version, offer.version()));
            while (tookPart.size() > TOOK_PART_KEPT) {
                tookPart.removeLast();
            }
        }
        runId = run;
        target = offer.version();
        rolloutId = offer.rolloutId();
        outcome = nextOutcome();
        takenAt = now;
        endsAt = now.plus(outcome.duration());
        slotCounted = true;
        host.slotTaken(this, offer);
        if (outcome.kind() == Outcome.Kind.SILENT) {
            phase = Phase.SILENT;
            nextActionAt = Instant.MAX;
            return;
        }
        phase = Phase.INSTALLING;
        report(host, List.of(event("downloading", null, now)));
        nextActionAt = earlier(endsAt, now.plus(RECHECK));
    }

    /**
     * Why the real agent would refuse this offer's signed manifest before downloading anything, or null: a
     * {@code "downgrade": true} manifest is accepted only when its {@code rollout_id} is a rollout the agent took part
     * in, the agent runs that rollout's version now and the manifest brings back the version it came from.
     */
    private String refusal(UpdateOffer offer) {
        JsonNode manifest = manifest(offer);
        if (!manifest.path("downgrade").asBoolean(false)) {
            return null;
        }
        String bound = manifest.path("rollout_id").asText(null);
        if (bound == null || !bound.equals(offer.rolloutId())) {
            return "a downgrade not bound to the offer's rollout: " + bound;
        }
        for (TookPart t : tookPart) {
            if (t.rolloutId().equals(bound)) {
                if (!t.toVersion().equals(version)) {
                    return "runs " + version + ", not " + t.toVersion() + " of " + bound;
                }
                if (!t.fromVersion().equals(manifest.path("version").asText())) {
                    return "a downgrade to " + manifest.path("version").asText() + ", not to " + t.fromVersion();
                }
                return null;
            }
        }
        return "a downgrade bound to " + bound + ", a rollout it did not take part in";
    }

    private static boolean downgrade(UpdateOffer offer) {
        return manifest(offer).path("downgrade").asBoolean(false);
    }

    private static JsonNode manifest(UpdateOffer offer) {
        try {
            return MANIFEST_JSON.readTree(java.util.Base64.getDecoder().decode(offer.manifestBase64()));
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("an offer whose manifest is not JSON: " + offer, e);
        }
    }

    /** The run refuses the manifest: {@code failed} with {@code MANIFEST_ERROR}, nothing downloaded. */
    private void refuse(Host host, Instant now, String run, UpdateOffer offer, String why)
            throws IOException, InterruptedException {
        runId = run;
        target = offer.version();
        host.slotTaken(this, offer);
        host.slotEnding(this, "failed", "MANIFEST_ERROR");
        report(host, List.of(new TelemetryEvent(runId, "failed", version, target, "MANIFEST_ERROR",
                "refused the manifest: " + why, now.toString(), null, null,
                Map.of("mode", "full", "component", "agent", "simulated", true))));
        runId = null;
        target = null;
        nextActionAt = now.plus(checkInterval);
    }

    /** While downloading or staging: is the version still offered? (An aborted rollout stops offering it.) */
    private void recheck(Host host, Instant now) throws IOException, InterruptedException {
        long sent = System.nanoTime();
        CheckInAnswer answer = checkIn(host, runId);
        if (answer == null) {
            // no answer is not a "no": the worker keeps going and asks again
            nextActionAt = earlier(endsAt, now.plus(RECHECK));
            return;
        }
        host.checkedIn(this, runId, false, sent, answer);
        if (answer.update() != null && target.equals(answer.update().version())) {
            nextActionAt = earlier(endsAt, now.plus(RECHECK));
            return;
        }
        end(host, now, "cancelled", "ROLLOUT_ABORTED");
        nextActionAt = now.plus(answer.retryAfterSeconds() > 0
                ? Duration.ofSeconds(answer.retryAfterSeconds()) : checkInterval);
    }

    private void finish(Host host, Instant now) throws IOException, InterruptedException {
        switch (outcome.kind()) {
            case SUCCEED -> {
                version = target; // the report comes from the new version
                end(host, now, "succeeded", null);
                // the new version starts and checks in at once (the enrollment loop: no run_id)
                long sent = System.nanoTime();
                CheckInAnswer answer = checkIn(host, null);
                if (answer != null) {
                    host.checkedIn(this, null, true, sent, answer);
                }
            }
            case FAIL -> end(host, now, "failed", outcome.errorCode());
            case ROLL_BACK -> end(host, now, "rolled_back", outcome.errorCode());
            default -> throw new IllegalStateException("a silent agent never finishes");
        }
        nextActionAt = now.plus(checkInterval);
    }

    private void end(Host host, Instant now, String status, String errorCode) throws IOException, InterruptedException {
        // counted free before the report leaves: the server may free the slot as soon as it reads it
        if (slotCounted) {
            slotCounted = false;
            host.slotEnding(this, status, errorCode);
        }
        // the steps after the download and the end: one batch, as a worker sends what it buffered while busy, or
        // one request each
        List<TelemetryEvent> events = new java.util.ArrayList<>();
        Long downloadMs = outcome == null ? null : outcome.downloadMillis();
        switch (status) {
            case "succeeded" -> events.addAll(List.of(staging(now, downloadMs), event("applying", null, now)));
            case "failed" -> events.add(staging(now, downloadMs));
            case "rolled_back" -> events.addAll(List.of(staging(now, downloadMs), event("applying", null, now),
                    event("restarting", null, now)));
            default -> { }
        }
        events.add(event(status, errorCode, now));
        phase = Phase.IDLE;
        if (host.batchedTelemetry()) {
            report(host, events);
        } else {
            for (TelemetryEvent e : events) {
                report(host, List.of(e));
            }
        }
        runId = null;
        target = null;
        rolloutId = null;
        outcome = null;
    }

    /**
     * A check-in; null when the server answered 5xx or not in time (recorded as a server error), which the real agent's
     * enrollment loop and worker treat as a failed attempt to repeat later. Any other unexpected status fails.
     */
    private CheckInAnswer checkIn(Host host, String run) throws IOException, InterruptedException {
        try {
            return host.wire().checkIn(credential, request(run));
        } catch (AgentWire.WireException e) {
            if (e.status() < 500) {
                throw e;
            }
            host.serverError(this, e.getMessage());
            return null;
        } catch (java.net.http.HttpTimeoutException e) {
            host.serverError(this, "check-in: no answer within the request timeout");
            return null;
        }
    }

    /**
     * Telemetry. A 5xx answer or none in time is recorded as a server error and the transitions are kept, in order,
     * and sent again before anything else the next time the agent acts (within {@link #RECHECK}), as the worker keeps
     * unsent transitions; until then nothing newer is sent, so the server sees them in order.
     */
    private void report(Host host, List<TelemetryEvent> events) throws IOException, InterruptedException {
        unsent.add(events);
        flush(host);
    }

    /** Sends the kept transitions, oldest first; stops at the first the server fails again. */
    private void flush(Host host) throws IOException, InterruptedException {
        while (!unsent.isEmpty()) {
            List<TelemetryEvent> events = unsent.peek();
            try {
                if (events.size() == 1) {
                    host.wire().telemetry(credential, events.get(0));
                } else {
                    host.wire().telemetry(credential, events);
                }
                unsent.poll();
            } catch (AgentWire.WireException e) {
                if (e.status() < 500) {
                    throw e;
                }
                host.serverError(this, e.getMessage());
                return;
            } catch (java.net.http.HttpTimeoutException e) {
                host.serverError(this, "telemetry: no answer within the request timeout");
                return;
            }
        }
    }

    /** For the simulator's own view of a silent agent whose slot the server's timeout has freed by now. */
    boolean releaseSilentSlot(Instant now, Duration slotTimeout) {
        if (phase == Phase.SILENT && slotCounted && !now.isBefore(takenAt.plus(slotTimeout))) {
            slotCounted = false;
            return true;
        }
        return false;
    }

    private CheckInRequest request(String run) {
        return new CheckInRequest(version, platform, arch, hostname, null, null, null, run);
    }

    /** A transition of the run in progress, stamped with the virtual time (the agent's clock). */
    private TelemetryEvent event(String status, String errorCode, Instant now) {
        return new TelemetryEvent(runId, status, version, target, errorCode,
                errorCode == null ? null : "simulated " + status, now.toString(), null, null,
                Map.of("mode", "full", "component", "agent", "simulated", true));
    }

    /** The {@code staging} transition: the artifact is in, with the time its download took when the outcome says. */
    private TelemetryEvent staging(Instant now, Long downloadMs) {
        TelemetryEvent e = event("staging", null, now);
        return downloadMs == null ? e : new TelemetryEvent(e.runId(), e.status(), e.currentVersion(),
                e.targetVersion(), e.errorCode(), e.errorMessage(), e.timestamp(), downloadMs, e.sizeBytes(),
                e.metadata());
    }

    private static Instant earlier(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    /** The rollout of the run in progress, or null. */
    public synchronized String rolloutId() {
        return rolloutId;
    }

    @Override
    public String toString() {
        return id + "(" + hostname + " " + version + " " + phase + ")";
    }
}
