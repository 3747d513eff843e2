package io.printmaster.agent.enrollment.impl;

import io.printmaster.agent.config.api.AgentConfiguration;
import io.printmaster.agent.config.api.AgentSettings;
import io.printmaster.agent.config.api.FleetPolicyProvider;
import io.printmaster.agent.enrollment.api.CheckIn;
import io.printmaster.agent.enrollment.api.EnrolledAgent;
import io.printmaster.agent.enrollment.api.CheckInListener;
import io.printmaster.agent.enrollment.api.Enrollment;
import io.printmaster.agent.enrollment.api.EnrollmentState;
import io.printmaster.agent.update.api.DeliveredPlugin;
import io.printmaster.agent.update.api.HeldTrust;
import io.printmaster.agent.update.api.RunningRelease;
import io.printmaster.agent.update.api.ScheduledCheck;
import io.printmaster.security.api.SecretBox;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's {@link Enrollment}: fleet files from {@code <pm.home>/etc/}, state in {@code <pm.data.dir>/state/},
 * check-ins every {@code checkin_interval_seconds} (PID {@code io.printmaster.agent.enrollment}). Also the
 * {@link FleetPolicyProvider}: the policy of the last successful check-in is the fleet policy the agent follows.
 * Immediate: it works on its own schedule, whether or not another bundle uses the service yet.
 */
@Component(service = Enrollment.class, immediate = true, configurationPid = Enrollment.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = EnrollmentComponent.Config.class)
public class EnrollmentComponent implements Enrollment {
    private static final Logger LOG = LoggerFactory.getLogger(EnrollmentComponent.class);
    static final long MIN_INTERVAL_SECONDS = 10;

    @ObjectClassDefinition(name = "PrintMaster agent enrollment", description = "How often the agent checks in "
            + "with its server.")
    public @interface Config {
        @AttributeDefinition(name = "Check-in interval (seconds)", min = "10",
                description = "Seconds between check-ins, plus up to a tenth of random jitter; at least 10.")
        long checkin__interval__seconds() default 3600;

        @AttributeDefinition(name = "Push", description = "Hold a long poll to the server (GET "
                + "/api/v1/agents/update/wait) so that commands, a rollout's abort and policy changes reach the agent "
                + "within seconds; the periodic check-in runs either way. Off: the agent only polls.")
        boolean push__enabled() default true;
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile AgentConfiguration configuration;

    /** After a hot swap the running release is not the one the process started with ({@code pm.version}). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile RunningRelease runningRelease;

    /** The update worker's trust version, reported at check-in; absent while no worker runs (reported as 0). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile HeldTrust heldTrust;

    /** The update worker's next scheduled check, reported at check-in; absent while no worker runs (not reported). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ScheduledCheck scheduledCheck;

    private final EnrollmentLoop loop;
    private final PushWaitLoop push;
    private volatile boolean pushEnabled;
    private final org.osgi.framework.ServiceRegistration<FleetPolicyProvider> policies;
    private final java.util.List<CheckInListener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Activate
    public EnrollmentComponent(BundleContext context, @Reference SecretBox box, Config config) {
        Path home = Path.of(orElse(context.getProperty("pm.home"), "."));
        Path data = Path.of(orElse(context.getProperty("pm.data.dir"), home.resolve("data").toString()));
        FleetFiles fleetFiles = new FleetFiles(home.resolve("etc"));
        this.loop = new EnrollmentLoop(fleetFiles, new CredentialStore(data.resolve("state"), box),
                new UsedJoinToken(fleetFiles.joinTokenFile(), data.resolve("etc").resolve(AgentConfiguration.PID + ".cfg"),
                        data.resolve("state")),
                hostFacts(HostFacts.ofThisMachine(context.getProperty("pm.version")), data.resolve("plugins")),
                this::settings, interval(config),
                EnrollmentLoop.Timing.defaults(), Clock.systemUTC());
        loop.listeners(this::tell);
        loop.start();
        this.pushEnabled = config.push__enabled();
        // the loop is what push needs of the agent: who it is, its credential, its TLS, and a check-in now
        this.push = new PushWaitLoop(loop, () -> pushEnabled, PushWaitLoop.defaultBackoff(),
                EnrollmentLoop.Timing.defaults().connectTimeout());
        push.start();
        // Registered by hand, not as a DS service: the configuration component uses the fleet policy and this one
        // uses the configuration; declared both ways, SCR reports a circular reference at every start.
        this.policies = context.registerService(FleetPolicyProvider.class, loop::fleetPolicy, null);
    }

    /**
     * A check-in no listener was there to hear (the worker starts after enrollment, or is being updated): the server
     * delivers its commands only once, so the first listener to arrive is told about it.
     */
    private CheckIn unheard;

    private void tell(CheckIn c) {
        synchronized (listeners) {
            if (listeners.isEmpty()) {
                unheard = c;
                return;
            }
            unheard = null;
        }
        listeners.forEach(l -> l.checkedIn(c));
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addListener(CheckInListener listener) {
        CheckIn missed;
        synchronized (listeners) {
            listeners.add(listener);
            missed = unheard;
            unheard = null;
        }
        if (missed != null) {
            listener.checkedIn(missed);
        }
    }

    void removeListener(CheckInListener listener) {
        listeners.remove(listener);
    }

    @Override
    public Optional<CheckIn> checkInNow(Duration timeout) throws InterruptedException {
        return loop.checkInNow(timeout);
    }

    @Override
    public Optional<CheckIn> checkInNow(Duration timeout, String runId) throws InterruptedException {
        return loop.checkInNow(timeout, runId);
    }

    @Modified
    void modified(Config config) {
        loop.checkInInterval(interval(config));
        pushEnabled = config.push__enabled();
        push.wake();
    }

    @Deactivate
    void deactivate() {
        try {
            policies.unregister();
        } catch (IllegalStateException e) {
            // already gone with the bundle
        }
        push.close();
        loop.close();
    }

    /**
     * What each check-in reports: the running release, the delivered plugins, the trust version and the next
     * scheduled update check as they are now.
     */
    private java.util.function.Supplier<HostFacts> hostFacts(HostFacts started, Path plugins) {
        return () -> {
            RunningRelease r = runningRelease;
            HeldTrust trust = heldTrust;
            return (r == null ? started : started.withVersion(r.version())).withPlugins(DeliveredPlugin.scan(plugins))
                    .withTrustVersion(trust == null ? 0 : trust.trustVersion()).withNextCheckAt(nextCheckAt());
        };
    }

    /** The worker's next check; null when no worker runs or it cannot say (a check-in never fails for it). */
    private java.time.Instant nextCheckAt() {
        ScheduledCheck s = scheduledCheck;
        try {
            return s == null ? null : s.nextCheckAt().orElse(null);
        } catch (RuntimeException e) {
            LOG.debug("the update worker cannot say when it checks next: {}", e.toString());
            return null;
        }
    }

    private Optional<AgentSettings> settings() {
        AgentConfiguration c = configuration;
        return c == null ? Optional.empty() : Optional.of(c.current());
    }

    static Duration interval(Config config) {
        long s = config.checkin__interval__seconds();
        if (s < MIN_INTERVAL_SECONDS) {
            LOG.warn("checkin_interval_seconds={} is below the minimum; using {}", s, MIN_INTERVAL_SECONDS);
            s = MIN_INTERVAL_SECONDS;
        }
        return Duration.ofSeconds(s);
    }

    private static String orElse(String value, String fallback) {
        return value == null || value.isBlank() ? fallback : value;
    }

    @Override
    public Optional<EnrolledAgent> current() {
        return loop.current();
    }

    @Override
    public Optional<String> credential() {
        return loop.credential();
    }

    @Override
    public Optional<CheckIn> lastCheckIn() {
        return loop.lastCheckIn();
    }

    @Override
    public EnrollmentState state() {
        return loop.state();
    }

    @Override
    public javax.net.ssl.SSLContext serverTls() {
        return loop.serverTls();
    }

    @Override
    public Optional<java.time.Instant> pushConnectedSince() {
        return push.connectedSince();
    }

}
