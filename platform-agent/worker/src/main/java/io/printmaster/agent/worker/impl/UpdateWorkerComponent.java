package io.printmaster.agent.worker.impl;

import io.printmaster.core.wire.CheckInAnswer;
import io.printmaster.core.wire.AgentCommand;
import io.printmaster.agent.config.api.AgentConfiguration;
import io.printmaster.agent.enrollment.api.CheckIn;
import io.printmaster.agent.enrollment.api.CheckInListener;
import io.printmaster.agent.update.api.HeldTrust;
import io.printmaster.agent.enrollment.api.Enrollment;
import io.printmaster.agent.hotswap.api.BundleSwapper;
import io.printmaster.agent.hotswap.api.SelfSwap;
import io.printmaster.agent.hotswap.api.SwapOutcome;
import io.printmaster.agent.update.api.HostPlatform;
import io.printmaster.agent.update.api.RunResult;
import io.printmaster.agent.update.api.RunState;
import io.printmaster.agent.update.api.RunningRelease;
import io.printmaster.agent.update.api.ScheduledCheck;
import io.printmaster.agent.update.api.TriggerRefusedException;
import io.printmaster.agent.update.api.TriggerResult;
import io.printmaster.agent.update.api.UpdateWorker;
import io.printmaster.agent.update.api.WorkerStatus;
import io.printmaster.api.service.ServiceManager;
import io.printmaster.api.signing.SigningProvider;
import io.printmaster.core.retry.Backoff;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's update worker: one loop that finishes what a previous start left (the run marker), then waits for
 * the next scheduled check (the policy's cadence and window, {@link CheckSchedule}), a local trigger ({@code check},
 * {@code force}) or a server command ({@code check_update}, {@code force_update}, {@code cancel_update}, which
 * arrive with a check-in), and runs {@link UpdateRunner}. At most one run at a time. The loop runs supervised
 * ({@link SupervisedLoop}): an unexpected failure is visible in the Felix Health Check {@code printmaster-update-worker}
 * and the loop starts again with a backoff.
 */
@Component(service = UpdateWorker.class, immediate = true, configurationPid = UpdateWorkerComponent.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = WorkerConfig.class)
public class UpdateWorkerComponent implements UpdateWorker {
    private static final Logger LOG = LoggerFactory.getLogger(UpdateWorkerComponent.class);
    public static final String PID = "io.printmaster.agent.worker";

    /** A request to run. */
    private record Trigger(String runId, boolean forced, Optional<CheckIn> checkIn) {
    }

    private final Enrollment enrollment;
    private final AgentConfiguration configuration;
    private final String startedVersion;
    /** Replaced between runs when the settings change ({@link #modified}); read by any thread. */
    private volatile UpdateRunner runner;
    /** Settings waiting to be taken at the next quiet moment of the loop. */
    private WorkerConfig newSettings;
    private final BundleContext context;
    private final BundleContext system;
    private final SigningProvider signatures;
    private final InstallLayout layout;
    private final HttpClient http;
    private final TelemetrySender telemetry;
    private final WorkerFiles files;
    private final CheckPlanner planner = new CheckPlanner();
    private final ServiceManagers managers = new ServiceManagers();

    private final Object lock = new Object();
    private final Object pauses = new Object();
    private final Deque<Trigger> triggers = new ArrayDeque<>();
    private boolean wake;
    private volatile boolean running = true;
    private volatile boolean busy;
    private volatile Instant nextCheckAt;
    private final SupervisedLoop loop;
    private final org.osgi.framework.ServiceRegistration<?> loopHealth;
    private final org.osgi.framework.ServiceRegistration<CheckInListener> listener;
    private final org.osgi.framework.ServiceRegistration<Runnable> waker;
    private final org.osgi.framework.ServiceRegistration<HeldTrust> heldTrust;
    private final org.osgi.framework.ServiceRegistration<ScheduledCheck> scheduledCheck;
    /** The agent's trust: the installer's, as the check-ins' trust statements changed it. */
    private final TrustStore trust;

    /** The hot-swap engine, when it runs. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile BundleSwapper swapper;

    /** The release that runs (a hot swap changes it without a restart); {@code pm.version} while it is absent. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile RunningRelease runningRelease;

    @Activate
    public UpdateWorkerComponent(BundleContext context, @Reference AgentConfiguration configuration,
                                 @Reference Enrollment enrollment, @Reference SigningProvider signatures, WorkerConfig config) {
        this.enrollment = enrollment;
        this.configuration = configuration;
        this.signatures = signatures;
        this.context = context;
        Path home = Path.of(orElse(context.getProperty("pm.home"), "."));
        Path program = Path.of(orElse(context.getProperty("pm.program.dir"), home.toString()));
        Path data = Path.of(orElse(context.getProperty("pm.data.dir"), home.resolve("data").toString()));
        this.layout = new InstallLayout(home, program, data);
        this.files = new WorkerFiles(layout.updateDir());
        this.trust = TrustStore.of(layout, signatures, Clock.systemUTC());
        // the server's TLS trust as enrollment has it (a pinned self-signed server, a private CA), following its changes
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(15)).sslContext(enrollment.serverTls())
                .followRedirects(HttpClient.Redirect.NEVER).build();
        this.telemetry = new TelemetrySender(enrollment, http, TelemetrySender.policyAllows(configuration::current));
        this.startedVersion = orElse(context.getProperty("pm.version"), "0.0.0");
        // The system bundle's context stays valid whatever bundle a swap replaces, this one included.
        this.system = context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).getBundleContext();
        this.runner = newRunner(config);
        runner.restoreInterruptedPlugin(); // now: FileInstall, started last, has not read the plugins folder yet
        // A swap can replace this bundle while this worker's thread runs it: load every class it may need now.
        int missing = SelfSwap.preloadClasses(context.getBundle(), "io/printmaster/agent/worker",
                UpdateWorkerComponent.class.getClassLoader());
        if (missing > 0) {
            LOG.warn("{} classes of the worker could not be preloaded; a hot swap of the worker itself may fail", missing);
        }
        for (Class<?> c : USED_AFTER_SWAP) {
            c.getName();
        }
        this.loop = new SupervisedLoop("pm-update-worker", this::loop, LOOP_RESTART, Clock.systemUTC());
        loop.start();
        this.loopHealth = WorkerServices.registerLoopHealth(context, loop);
        // Registered by hand, not as a DS service: the enrollment component binds check-in listeners, and a DS
        // listener that itself needs Enrollment makes SCR report a circular reference at every start.
        this.listener = context.registerService(CheckInListener.class, this::checkedIn, null);
        // by hand for the same reason: the enrollment component reports it at every check-in
        this.heldTrust = context.registerService(HeldTrust.class, trust::trustVersion, null);
        this.scheduledCheck = context.registerService(ScheduledCheck.class, this::upcomingCheck, null);
        // A JDK type, so that a worker of an older revision (replaced by the swap it ran) can wake this one.
        this.waker = context.registerService(Runnable.class, this::wake,
                new java.util.Hashtable<>(Map.of(WorkerServices.WAKE_PROPERTY, Boolean.TRUE)));
    }

    /** A runner with the settings of {@code config}; the files, the telemetry queue and the HTTP client are shared. */
    private UpdateRunner newRunner(WorkerConfig config) {
        ResumableDownload download = new ResumableDownload(http,
                Backoff.of(Duration.ofSeconds(2), Duration.ofMinutes(5), Math.max(1, config.download__max__attempts())),
                Duration.ofSeconds(Math.max(5, config.download__stall__seconds())), d -> {
                    synchronized (pauses) {
                        if (running) {
                            pauses.wait(Math.max(1, d.toMillis())); // a backoff pause that deactivation cuts short
                        }
                    }
                }, new DownloadPace(Math.max(1, config.download__min__rate__bytes__per__second()),
                        Duration.ofSeconds(Math.max(0, config.download__rate__grace__seconds()))));
        String service = config.service__name().isBlank() ? null : config.service__name().strip();
        Duration health = Duration.ofSeconds(Math.max(5, config.health__timeout__seconds()));
        Path fallback = layout.programDir();
        AgentHost host = new AgentHost(layout, files,
                dir -> Files.getFileStore(Files.exists(dir) ? dir : fallback).getUsableSpace(), Clock.systemUTC(),
                HostPlatform.platform(), HostPlatform.arch(), this::runningVersion);
        return new UpdateRunner(host, new ServerLink(enrollment, configuration::current, telemetry),
                new ReleaseTools(new ManifestVerifier(signatures), download, new ArchiveStager()),
                new ProcessControl(
                        new ServiceManagerRestarter(managers::ranked, Optional.ofNullable(service)),
                        new BundleHealthProbe(context, enrollment, health, layout.programDir()),
                        FaultInjection.fromEnvironment()),
                new HotSwapSupport(config.hot__swap(), () -> Optional.ofNullable(swapper),
                        context.getProperty(Constants.FRAMEWORK_UUID), health, () -> WorkerServices.wakeWorkers(system)),
                Duration.ofSeconds(Math.max(1, config.rollout__recheck__seconds())));
    }

    /**
     * New settings (FileInstall delivers {@code etc/io.printmaster.agent.worker.cfg}, often just after the start):
     * taken between runs, so that a run in progress, or a command that just arrived, is not cut short by a restart of
     * the component.
     */
    @Modified
    void modified(WorkerConfig config) {
        synchronized (lock) {
            newSettings = config;
            lock.notifyAll();
        }
    }

    /** How soon the update loop starts again after it died of an unexpected failure, and how much later each time. */
    static final Backoff LOOP_RESTART = Backoff.of(Duration.ofSeconds(5), Duration.ofMinutes(30), Integer.MAX_VALUE);



    /** Types of other bundles the code after a swap uses, loaded through this bundle's wiring before any swap. */
    private static final Class<?>[] USED_AFTER_SWAP = {SwapOutcome.class, SwapOutcome.Result.class, RunState.class,
        RunResult.class, org.osgi.framework.ServiceReference.class, org.osgi.framework.InvalidSyntaxException.class,
        io.printmaster.agent.files.AtomicFiles.class};

    private String runningVersion() {
        RunningRelease r = runningRelease;
        return r != null ? r.version() : startedVersion;
    }


    private void wake() {
        synchronized (lock) {
            wake = true;
            lock.notifyAll();
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addManager(ServiceManager manager, Map<String, Object> props) {
        managers.add(manager, props);
    }

    void removeManager(ServiceManager manager) {
        managers.remove(manager);
    }

    @Deactivate
    void deactivate() {
        List<org.osgi.framework.ServiceRegistration<?>> registrations = new java.util.ArrayList<>(List.of(listener,
                waker, heldTrust, scheduledCheck));
        if (loopHealth != null) {
            registrations.add(loopHealth);
        }
        for (var registration : registrations) {
            try {
                registration.unregister();
            } catch (IllegalStateException e) {
                // already gone with the bundle
            }
        }
        running = false;
        if (loop.isLoopThread() || runner.swapInProgress()) {
            // Deactivated by the hot swap this worker's own thread runs (its bundle or a dependency is being
            // replaced; by the swapping thread itself, or by the framework's refresh thread the swap waits for):
            // neither interrupt nor wait for that thread; it finishes the swap and leaves the report to the worker
            // that replaces this one. Its loop then ends (running is false) and is not started again.
            loop.release();
            return;
        }
        runner.cancel();
        synchronized (lock) {
            lock.notifyAll();
        }
        synchronized (pauses) {
            pauses.notifyAll();
        }
        loop.stop(Duration.ofSeconds(10));
    }

    @Override
    public WorkerStatus status() {
        PersistentState st = files.state();
        RunResult last = st.lastResult() == null ? null : new RunResult(st.lastResult().runId(),
                RunState.valueOf(st.lastResult().state().toUpperCase(Locale.ROOT)), st.lastResult().targetVersion(),
                st.lastResult().errorCode(), st.lastResult().errorMessage(), st.lastResult().finishedAt());
        return new WorkerStatus(runner.state(), runner.latestVersion().orElse(null), st.lastCheckAt(), nextCheckAt,
                last);
    }

    /**
     * {@code next_check_at} of a check-in: the planned check between runs; during a run (whose own check-in asks),
     * the one after it.
     */
    private Optional<Instant> upcomingCheck() {
        if (busy) {
            return CheckPlanner.afterCheckAt(configuration.current(), enrollment.current().isPresent(), Instant.now());
        }
        return Optional.ofNullable(nextCheckAt);
    }

    @Override
    public TriggerResult check() throws TriggerRefusedException {
        return trigger(false);
    }

    @Override
    public TriggerResult force() throws TriggerRefusedException {
        return trigger(true);
    }

    private TriggerResult trigger(boolean forced) throws TriggerRefusedException {
        if (enrollment.current().isEmpty()) {
            throw new TriggerRefusedException("not_enrolled", "this agent has not enrolled with an update server ("
                    + enrollment.state().message() + "), so there is nothing to check; nothing was started");
        }
        synchronized (lock) {
            if (busy || !triggers.isEmpty() || runner.swapInProgress()) {
                throw new TriggerRefusedException("run_in_progress", "an update run is already in progress ("
                        + runner.state().wireName() + "); wait for it to finish");
            }
            String runId = newRunId();
            triggers.add(new Trigger(runId, forced, Optional.empty()));
            lock.notifyAll();
            return new TriggerResult(runId, RunState.CHECKING);
        }
    }

    /**
     * Trust statements and server commands arrive with check-ins; a new policy may move the next check. The
     * statements are applied first (listeners hear a check-in before whoever waits for it), so the offer of the same
     * answer is verified with the keys they name.
     */
    void checkedIn(CheckIn checkIn) {
        List<io.printmaster.core.wire.TrustStatement> statements = checkIn.wireAnswer()
                .map(CheckInAnswer::trustStatements).orElse(List.of());
        if (!statements.isEmpty()) {
            try {
                trust.apply(statements);
            } catch (UpdateFailure | java.io.IOException e) {
                LOG.error("the trust statements of this check-in were not kept ({}); the agent keeps its previous trust "
                        + "and reports its previous trust version", e.getMessage());
            }
        }
        List<AgentCommand> commands = checkIn.wireAnswer().map(CheckInAnswer::commands).orElse(List.of());
        synchronized (lock) {
            if (!commands.isEmpty()) {
                for (AgentCommand c : commands) {
                    String command = c.command() == null ? "" : c.command();
                    LOG.info("server command {} ({})", command, c.id());
                    switch (command) {
                        case AgentCommand.CANCEL_UPDATE -> {
                            triggers.clear();
                            runner.cancel();
                        }
                        case AgentCommand.CHECK_UPDATE, AgentCommand.FORCE_UPDATE -> {
                            if (!busy && triggers.isEmpty()) {
                                triggers.add(new Trigger(newRunId(), command.equals(AgentCommand.FORCE_UPDATE),
                                        Optional.of(checkIn)));
                            }
                        }
                        default -> LOG.warn("ignoring unknown server command '{}'", command);
                    }
                }
            }
            wake = true;
            lock.notifyAll();
        }
    }

    /**
     * The update loop, on the {@link SupervisedLoop}: an unexpected exception ends this task, which the supervisor
     * records for the health check and starts again (recovery first, as at a start: the marker says what to finish).
     */
    private void loop() throws InterruptedException {
        Optional<RunMarker> resume = runner.recover();
        resume.ifPresent(m -> {
            synchronized (lock) {
                triggers.addFirst(new Trigger(m.runId(), m.forced(), Optional.empty()));
            }
        });
        while (running) {
            synchronized (lock) {
                if (newSettings != null) {
                    runner = newRunner(newSettings);
                    newSettings = null;
                    LOG.info("update worker settings changed; they apply from the next run");
                }
            }
            runner.reportFinishedSwap();
            Trigger t = nextTrigger();
            if (t == null) {
                continue;
            }
            busy = true;
            RunResult r;
            try {
                r = runner.run(t.runId(), t.forced(), t.checkIn());
            } finally {
                busy = false;
            }
            if (r.state() == RunState.SKIPPED && runner.swapInProgress()) {
                synchronized (lock) {
                    lock.wait(1_000); // the swapping revision wakes this worker when it ends
                }
                continue;
            }
            planner.ended(r, runner.retryAt());
            if (r.state() == RunState.RESTARTING) {
                LOG.info("waiting for the service manager to restart the agent into {}", r.targetVersion());
                synchronized (lock) {
                    while (running) {
                        lock.wait();
                    }
                }
            }
        }
    }

    /** Waits for a trigger or the next scheduled check; null when woken for something else (re-plan). */
    private Trigger nextTrigger() throws InterruptedException {
        synchronized (lock) {
            while (running) {
                if (!triggers.isEmpty()) {
                    return triggers.removeFirst();
                }
                Optional<Instant> next = plan();
                nextCheckAt = next.orElse(null);
                Instant now = Instant.now();
                if (next.isPresent() && !next.get().isAfter(now)) {
                    return new Trigger(newRunId(), false, Optional.empty());
                }
                long waitMillis = next.map(n -> Duration.between(now, n).toMillis()).orElse(3_600_000L);
                wake = false;
                // re-plan at least every minute: the policy can change with the settings files
                lock.wait(Math.max(1, Math.min(waitMillis, 60_000)));
                if (wake) {
                    return null;
                }
            }
            return null;
        }
    }

    /** The next scheduled check under the policy in force. */
    private Optional<Instant> plan() {
        return planner.next(configuration.current(), enrollment.current().isPresent(),
                Optional.ofNullable(files.state().lastCheckAt()), Instant.now());
    }

    private static String newRunId() {
        return "run-" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
    }

    private static String orElse(String value, String fallback) {
        return value == null || value.isBlank() ? fallback : value;
    }
}
