package io.printmaster.agent.enrollment.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.agent.config.api.AgentSettings;
import io.printmaster.agent.config.api.FleetPolicy;
import io.printmaster.agent.enrollment.api.CheckIn;
import io.printmaster.agent.enrollment.api.EnrolledAgent;
import io.printmaster.agent.enrollment.api.Enrollment;
import io.printmaster.agent.enrollment.api.EnrollmentState;
import io.printmaster.agent.enrollment.api.EnrollmentState.Phase;
import io.printmaster.agent.files.Digests;
import io.printmaster.core.net.PlainHttpRule;
import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.core.wire.EnrollAnswer;
import io.printmaster.core.retry.Backoff;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enrollment and check-in, on one thread of its own. Each round reads the fleet files, enrolls when no credential
 * is stored, checks in, and then waits: until the next check-in (the interval plus jitter), a retry (backoff with
 * jitter), or, when only the operator can help (a refused join token, invalid files), until a file changes. The
 * files are polled during every wait, so a new join token or fleet.json takes effect within a poll interval.
 *
 * <p>Nothing here ever logs or shows the join token or the credential.
 */
final class EnrollmentLoop implements Enrollment, PushWaitLoop.Agent, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EnrollmentLoop.class);
    /** Tolerant: a field a newer server adds to the policy must not make the whole fleet policy unusable. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * How the loop paces itself.
     *
     * @param poll how often the fleet files are checked for changes while waiting
     * @param retry the delays between failed attempts (unlimited attempts: the agent never gives up on its server)
     * @param connectTimeout TCP/TLS connect timeout
     * @param requestTimeout the whole request's timeout
     */
    record Timing(Duration poll, Backoff retry, Duration connectTimeout, Duration requestTimeout) {
        static Timing defaults() {
            return new Timing(Duration.ofSeconds(1), Backoff.of(Duration.ofSeconds(2), Duration.ofMinutes(10),
                    Integer.MAX_VALUE), Duration.ofSeconds(15), Duration.ofSeconds(60));
        }
    }

    private final FleetFiles files;
    private final CredentialStore store;
    private final UsedJoinToken usedToken;
    private final Supplier<HostFacts> host;
    private final Supplier<Optional<AgentSettings>> settings;
    private final Timing timing;
    private final Clock clock;
    private volatile Duration checkInInterval;

    private final Object lock = new Object();
    private boolean wakeRequested;
    private volatile boolean running;
    private Thread thread;

    private volatile EnrollmentState state;
    private volatile CredentialStore.Stored stored;
    private volatile CheckIn lastCheckIn;
    /** How many check-in attempts were made; guarded by {@code lock}. */
    private long checkIns;
    /** The run id the next check-in carries ({@link #checkInNow(Duration, String)}); guarded by {@code lock}. */
    private String pendingRunId;
    /** The last check-in attempt that carried a run id, its run id and its number; guarded by {@code lock}. */
    private String lastRunId;
    private CheckIn lastRunCheckIn;
    private long lastRunSeq;
    private volatile FleetPolicy fleetPolicy;
    /** The policy and offer of the last answers with their etags: sent as {@code known}, put back when unchanged. */
    private final HeldAnswerParts held = new HeldAnswerParts();

    /** Only touched by the loop thread. */
    private String refusedKey;
    private int failures;
    private int refusedCheckIns;
    private ServerClient client;
    private Object clientKey;
    /** Whether the credential in use is the one stored on disk (the join token may go only then). */
    private boolean credentialOnDisk;
    /** Set by a round that deleted the join token file: that change is the loop's own, not a reason for a round. */
    private boolean removedTokenFile;
    /** The TLS trust of every call to the server, following the fleet files. */
    private final FollowingServerTls tls;
    /** The certificates pinned servers announced; only touched by the loop thread. */
    private final LearnedPins learnedPins;
    private String lastPinProblem;

    /** Told about every check-in attempt (the component forwards to the {@code CheckInListener} services). */
    private volatile java.util.function.Consumer<CheckIn> listeners = c -> { };

    EnrollmentLoop(FleetFiles files, CredentialStore store, UsedJoinToken usedToken, Supplier<HostFacts> host,
                   Supplier<Optional<AgentSettings>> settings, Duration checkInInterval, Timing timing, Clock clock) {
        this.files = files;
        this.store = store;
        this.usedToken = usedToken;
        this.host = host;
        this.settings = settings;
        this.timing = timing;
        this.clock = clock;
        this.checkInInterval = checkInInterval;
        this.state = new EnrollmentState(Phase.NOT_CONFIGURED, "starting", clock.instant());
        this.learnedPins = new LearnedPins(store.credentialFile().getParent());
        try {
            this.tls = new FollowingServerTls(ServerTrust.system());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JVM has no usable TLS trust store", e);
        }
    }

    @Override
    public SSLContext serverTls() {
        return tls.context();
    }

    void start() {
        running = true;
        thread = new Thread(this::run, "pm-enrollment");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() {
        running = false;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A new check-in interval; applies from the next wait on (the current wait is cut short). */
    void checkInInterval(Duration interval) {
        this.checkInInterval = interval;
        wake();
    }

    void listeners(java.util.function.Consumer<CheckIn> sink) {
        this.listeners = sink;
    }

    @Override
    public Optional<CheckIn> checkInNow(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long before;
        synchronized (lock) {
            before = checkIns;
        }
        wake();
        synchronized (lock) {
            while (checkIns == before) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return Optional.empty();
                }
                lock.wait(Math.max(1, left / 1_000_000));
            }
            return Optional.ofNullable(lastCheckIn);
        }
    }

    @Override
    public Optional<CheckIn> checkInNow(Duration timeout, String runId) throws InterruptedException {
        if (runId == null || runId.isBlank()) {
            return checkInNow(timeout);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            long before = checkIns;
            pendingRunId = runId;
            wakeRequested = true;
            lock.notifyAll();
            try {
                // a check-in already under way when this call began did not carry the run id: wait for the one that does
                while (!(lastRunSeq > before && runId.equals(lastRunId))) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return Optional.empty();
                    }
                    lock.wait(Math.max(1, left / 1_000_000));
                }
                return Optional.of(lastRunCheckIn);
            } finally {
                if (runId.equals(pendingRunId)) {
                    pendingRunId = null; // not taken (timed out): the next periodic check-in must not carry it
                }
            }
        }
    }

    /** The run id the check-in starting now carries, taken once: later check-ins are periodic again. */
    private String takeRunId() {
        synchronized (lock) {
            String id = pendingRunId;
            pendingRunId = null;
            return id;
        }
    }

    /**
     * Records a check-in attempt: waiters of {@link #checkInNow} and the listeners learn of it.
     *
     * @param runId the run id it carried; null for a periodic check-in
     */
    private void checkedIn(CheckIn c, String runId) {
        lastCheckIn = c;
        // listeners first: whoever waits in checkInNow finds the listeners up to date when it wakes
        try {
            listeners.accept(c);
        } catch (RuntimeException e) {
            LOG.warn("a check-in listener failed", e);
        }
        synchronized (lock) {
            checkIns++;
            if (runId != null) {
                lastRunId = runId;
                lastRunCheckIn = c;
                lastRunSeq = checkIns;
            }
            lock.notifyAll();
        }
    }

    /** Ends the current wait: the loop runs a round now. */
    void wake() {
        synchronized (lock) {
            wakeRequested = true;
            lock.notifyAll();
        }
    }

    @Override
    public Optional<EnrolledAgent> current() {
        CredentialStore.Stored s = stored;
        return s == null ? Optional.empty() : Optional.of(s.agent());
    }

    @Override
    public Optional<String> credential() {
        CredentialStore.Stored s = stored;
        return s == null ? Optional.empty() : Optional.of(s.credential());
    }

    @Override
    public Optional<CheckIn> lastCheckIn() {
        return Optional.ofNullable(lastCheckIn);
    }

    @Override
    public EnrollmentState state() {
        return state;
    }

    /** The fleet policy of the last check-in, while the last check-in succeeded. */
    Optional<FleetPolicy> fleetPolicy() {
        return Optional.ofNullable(fleetPolicy);
    }

    private void run() {
        while (running) {
            List<Object> before = changeKey();
            Optional<Duration> next;
            try {
                next = round();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // never let the loop die: log and retry later
                LOG.error("enrollment round failed unexpectedly; retrying", e);
                next = Optional.of(retryDelay());
            }
            if (removedTokenFile) {
                removedTokenFile = false;
                before = withTokenFileAsNow(before);
            }
            try {
                await(next, before);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One round; returns how long to wait before the next, or empty to wait for a file to change. */
    Optional<Duration> round() throws InterruptedException {
        FleetFiles.Reading reading = files.read(settings.get());
        if (reading.problem().isPresent()) {
            setState(Phase.FAILED, reading.problem().get(), true);
            return Optional.empty();
        }
        if (reading.source().isEmpty()) {
            stored = null;
            setState(Phase.NOT_CONFIGURED, "no " + files.fleetJson() + " and no server_url in etc/"
                    + "io.printmaster.agent.cfg: this agent belongs to no fleet and runs on its own", false);
            return Optional.empty();
        }
        FleetSource source = reading.source().get();
        Optional<String> refused = PlainHttpRule.refusal(source.serverUrl(), source.allowInsecureHttp());
        if (refused.isPresent()) {
            // neither the join token nor the credential may cross: not here, and not by the update worker either
            stored = null;
            fleetPolicy = null;
            setState(Phase.FAILED, refused.get() + " (" + source.origin() + "); the agent tries again when the file "
                    + "changes", true);
            return Optional.empty();
        }
        ServerClient server;
        try {
            server = client(source);
        } catch (IOException | GeneralSecurityException e) {
            setState(Phase.FAILED, "cannot use the CA bundle " + source.caBundle().map(Path::toString).orElse("")
                    + ": " + e.getMessage(), true);
            return Optional.empty();
        }
        CredentialStore.Stored s = stored;
        if (s == null || !s.agent().serverUrl().equals(source.serverUrl())) {
            s = store.load(source.serverUrl()).orElse(null);
            stored = s;
            credentialOnDisk = s != null;
            if (s != null) {
                LOG.info("enrolled as agent {} in fleet {} with {} (stored credential)", s.agent().agentId(),
                        s.agent().fleetId(), s.agent().serverUrl());
            }
        }
        if (s == null) {
            Optional<Duration> afterEnroll = enroll(source, server);
            if (stored == null) {
                return afterEnroll;
            }
            s = stored;
        }
        return checkIn(s, server, source);
    }

    private Optional<Duration> enroll(FleetSource source, ServerClient server) throws InterruptedException {
        if (source.joinToken().isEmpty()) {
            setState(Phase.FAILED, "not enrolled and no join token: put the token from the admin console in "
                    + files.joinTokenFile() + " (or download a new installer for this fleet)", true);
            return Optional.empty();
        }
        String token = source.joinToken().get();
        String key = digest(source.serverUrl() + "\n" + token);
        if (key.equals(refusedKey)) {
            return Optional.empty(); // the server refused this very token: only a new one can help
        }
        setState(Phase.ENROLLING, "enrolling with " + source.serverUrl(), false);
        ServerClient.Answer a;
        try {
            a = server.enroll(token, host.get());
        } catch (IOException e) {
            return retry(Phase.ENROLLING, "cannot reach " + source.serverUrl() + " to enroll (" + describe(e) + ")");
        }
        if (a.status() == 201 || a.status() == 200) {
            Optional<EnrollAnswer> answer = a.as(EnrollAnswer.class);
            String agentId = answer.map(EnrollAnswer::agentId).orElse("");
            String credential = answer.map(EnrollAnswer::credential).orElse("");
            String fleetId = answer.map(EnrollAnswer::fleetId).orElse(source.fleetId().orElse(""));
            if (agentId == null || agentId.isBlank() || credential == null || credential.isBlank()) {
                return retry(Phase.ENROLLING, "the server's enrollment answer lacks agent_id or credential");
            }
            CredentialStore.Stored s = new CredentialStore.Stored(
                    new EnrolledAgent(agentId, fleetId, source.serverUrl(), clock.instant()), credential);
            credentialOnDisk = false;
            try {
                store.save(s);
                credentialOnDisk = true;
                // only now, with the credential forced to disk: a crash before this line leaves the token to enroll with
                removedTokenFile = usedToken.remove().contains(files.joinTokenFile());
            } catch (IOException | GeneralSecurityException e) {
                // the server counted a use of the token; without storage the agent would enroll at every start, so
                // the token stays on disk for that
                LOG.error("enrolled as agent {}, but cannot store the credential in {}: {}", agentId,
                        store.credentialFile(), e.toString());
            }
            stored = s;
            failures = 0;
            refusedKey = null;
            LOG.info("enrolled with {} as agent {} in fleet {}", source.serverUrl(), agentId, fleetId);
            setState(Phase.ENROLLED, "enrolled as agent " + agentId + " in fleet " + fleetId, false);
            return Optional.of(Duration.ZERO);
        }
        if (a.status() == 429 || a.status() >= 500) {
            return retry(Phase.ENROLLING, "the server could not enroll this agent now: HTTP " + a.status()
                    + " " + a.errorMessage());
        }
        refusedKey = key;
        failures = 0;
        String message;
        if (a.status() == 401) {
            message = "the server " + source.serverUrl() + " refused the join token (" + a.errorMessage()
                    + "): it expired, was revoked or is used up. Ask the admin for a new installer, or put a new "
                    + "join token in " + files.joinTokenFile() + "; the agent tries again as soon as the file changes";
        } else {
            message = "the server " + source.serverUrl() + " refused the enrollment: HTTP " + a.status() + " "
                    + a.errorCode().orElse("") + " " + a.errorMessage() + "; the agent tries again when "
                    + files.fleetJson() + " or " + files.joinTokenFile() + " changes";
        }
        LOG.error(message);
        setState(Phase.FAILED, message, false);
        return Optional.empty();
    }

    private Optional<Duration> checkIn(CredentialStore.Stored s, ServerClient server, FleetSource source)
            throws InterruptedException {
        String who = "agent " + s.agent().agentId() + " in fleet " + s.agent().fleetId();
        String runId = takeRunId();
        ServerClient.Answer a;
        try {
            a = server.checkIn(s.credential(), host.get(), runId, held.known());
        } catch (IOException e) {
            String problem = BoundedAnswer.tooLarge(e)
                    ? "the check-in answer of " + s.agent().serverUrl() + " was not read: " + e.getMessage()
                    : "cannot reach " + s.agent().serverUrl() + " to check in (" + describe(e) + ")";
            fleetPolicy = null;
            checkedIn(new CheckIn(clock.instant(), 0, Optional.empty(), Optional.of(problem)), runId);
            return retry(Phase.ENROLLED, "enrolled as " + who + "; " + problem);
        }
        if (a.status() == 200) {
            JsonNode whole = held.complete(a.body());
            fleetPolicy = policyOf(whole).map(p -> new FleetPolicy(p, clock.instant())).orElse(null);
            checkedIn(new CheckIn(clock.instant(), 200, Optional.of(whole), Optional.empty()), runId);
            if (failures > 0) {
                LOG.info("checked in with {} again", s.agent().serverUrl());
            }
            failures = 0;
            refusedCheckIns = 0;
            if (credentialOnDisk && usedToken.present()) {
                // left by a crash between storing the credential and removing it, or by a version that kept it:
                // the server has just accepted the stored credential, so the token is no longer needed
                removedTokenFile = usedToken.remove().contains(files.joinTokenFile());
            }
            if (source.tlsPinned()) {
                learnPins(s, server, source);
            }
            setState(Phase.ENROLLED, "enrolled as " + who + "; last check-in succeeded", false);
            Duration interval = checkInInterval;
            long jitterMillis = interval.toMillis() / 10;
            return Optional.of(interval.plusMillis(jitterMillis > 0 ? ThreadLocalRandom.current().nextLong(jitterMillis + 1) : 0));
        }
        fleetPolicy = null;
        held.forget();
        checkedIn(new CheckIn(clock.instant(), a.status(), Optional.empty(),
                Optional.of("HTTP " + a.status() + " " + a.errorMessage())), runId);
        if (a.status() == 401) {
            LOG.warn("{} no longer accepts the credential of {} (the agent was removed or its credential revoked); "
                    + "discarding it and enrolling again", s.agent().serverUrl(), who);
            try {
                store.discard();
            } catch (IOException e) {
                LOG.error("cannot delete the stored credential in {}: {}", store.credentialFile(), e.toString());
            }
            stored = null;
            setState(Phase.ENROLLING, "the server no longer accepts this agent's credential; enrolling again", false);
            // at once the first time; a server that keeps refusing fresh credentials is not hammered
            refusedCheckIns++;
            return Optional.of(refusedCheckIns == 1 ? Duration.ZERO
                    : timing.retry().delayAfter(refusedCheckIns - 1).orElse(timing.retry().max()));
        }
        return retry(Phase.ENROLLED, "enrolled as " + who + "; the check-in failed: HTTP " + a.status() + " "
                + a.errorMessage());
    }

    /**
     * Asks the pinned server which certificates to trust from now on and keeps them ({@link LearnedPins}); never
     * fails the round: a server without the route, or a refused announcement, leaves the trust as it is.
     */
    private void learnPins(CredentialStore.Stored s, ServerClient server, FleetSource source) throws InterruptedException {
        String problem = null;
        try {
            ServerClient.Announcement a = server.tlsCertificates(s.credential());
            String pem = a.answer().body().path("certificates_pem").asText(null);
            if (a.answer().status() == 200 && pem != null && a.presented().isPresent()) {
                if (learnedPins.accept(source.serverUrl(), pem, a.presented().get())) {
                    LOG.info("the server {} announced the certificates to trust; kept in {}", source.serverUrl(),
                            learnedPins.file(source.serverUrl()));
                }
            } else if (a.answer().status() != 404) {
                problem = "HTTP " + a.answer().status() + " " + a.answer().errorMessage();
            }
        } catch (IOException e) {
            problem = describe(e);
        }
        if (problem != null && !problem.equals(lastPinProblem)) {
            LOG.warn("cannot learn the server's certificates from {}: {}", source.serverUrl(), problem);
        }
        lastPinProblem = problem;
    }

    private Optional<Duration> retry(Phase phase, String problem) {
        failures++;
        Duration delay = retryDelay();
        String message = problem + "; retrying in " + human(delay);
        // the first failure and then every tenth, so an agent offline for days does not fill its log
        if (failures == 1 || failures % 10 == 0) {
            LOG.warn("{} (attempt {})", message, failures);
        }
        setState(phase, message, false);
        return Optional.of(delay);
    }

    private Duration retryDelay() {
        return timing.retry().delayAfter(Math.max(1, failures)).orElse(timing.retry().max());
    }

    private void setState(Phase phase, String message, boolean log) {
        EnrollmentState old = state;
        if (old.phase() == phase && old.message().equals(message)) {
            return;
        }
        if (log && !old.message().equals(message)) {
            LOG.error(message);
        }
        state = new EnrollmentState(phase, message, clock.instant());
    }

    private ServerClient client(FleetSource source) throws IOException, GeneralSecurityException {
        Optional<Path> learned = source.tlsPinned() ? learnedPins.existing(source.serverUrl()) : Optional.empty();
        Object key = List.of(source.serverUrl(), source.caBundle().map(Object::toString).orElse(""),
                source.caBundle().map(EnrollmentLoop::fingerprint).orElse(""), source.tlsPinned(),
                learned.map(EnrollmentLoop::fingerprint).orElse(""));
        if (client == null || !key.equals(clientKey)) {
            tls.trust(ServerTrust.forBundle(source.caBundle(), source.tlsPinned(), learned));
            client = new ServerClient(source.serverUrl(), tls.context(), timing.connectTimeout(), timing.requestTimeout());
            clientKey = key;
        }
        return client;
    }

    private static Optional<UpdatePolicy> policyOf(JsonNode answer) {
        JsonNode p = answer.get("policy");
        if (p == null || !p.isObject()) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.treeToValue(p, UpdatePolicy.class));
        } catch (IOException | IllegalArgumentException e) {
            LOG.warn("the server's fleet policy is unusable ({}); the local policy applies", e.getMessage());
            return Optional.empty();
        }
    }

    /** Waits for the delay, a wake-up, or a change of the fleet files (or settings), whichever comes first. */
    private void await(Optional<Duration> delay, Object before) throws InterruptedException {
        long start = System.nanoTime();
        long nanos = delay.map(Duration::toNanos).orElse(Long.MAX_VALUE);
        synchronized (lock) {
            while (running && !wakeRequested) {
                long elapsed = System.nanoTime() - start;
                if (elapsed >= nanos) {
                    return;
                }
                long remainingMillis = Math.max(1, (nanos - elapsed + 999_999) / 1_000_000);
                lock.wait(Math.min(timing.poll().toMillis(), remainingMillis));
                if (!Objects.equals(before, changeKey())) {
                    return;
                }
            }
            wakeRequested = false;
        }
    }

    /** What the loop reads: a change here means a new round now. */
    private List<Object> changeKey() {
        List<Object> key = new ArrayList<>();
        key.add(fingerprint(files.fleetJson()));
        key.add(fingerprint(files.joinTokenFile()));
        key.add(fingerprint(files.fleetJson().resolveSibling("ca-bundle.pem")));
        Optional<AgentSettings> s = settings.get();
        key.add(s.flatMap(AgentSettings::serverUrl).map(URI::toString).orElse(""));
        key.add(s.flatMap(AgentSettings::joinToken).map(EnrollmentLoop::digest).orElse(""));
        key.add(s.map(AgentSettings::allowInsecureHttp).orElse(false));
        return key;
    }

    private List<Object> withTokenFileAsNow(List<Object> key) {
        List<Object> updated = new ArrayList<>(key);
        updated.set(1, fingerprint(files.joinTokenFile()));
        return updated;
    }

    private static String fingerprint(Path file) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return a.lastModifiedTime() + "/" + a.size() + "/" + a.fileKey();
        } catch (IOException e) {
            return "absent";
        }
    }

    static String digest(String secret) {
        return Digests.sha256Hex(secret.getBytes(StandardCharsets.UTF_8));
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
    }

    private static String human(Duration d) {
        long s = d.toSeconds();
        if (s < 1) {
            return d.toMillis() + " ms";
        }
        return s < 120 ? s + " s" : (s / 60) + " min";
    }
}
