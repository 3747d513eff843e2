package io.printmaster.agent.config.impl;

import io.printmaster.agent.config.api.AgentConfiguration;
import io.printmaster.agent.config.api.AgentSettings;
import io.printmaster.agent.config.api.ConfigError;
import io.printmaster.agent.config.api.FleetPolicy;
import io.printmaster.agent.config.api.FleetPolicyProvider;
import io.printmaster.agent.config.api.LocalOverrideDisabledException;
import io.printmaster.agent.config.api.LocalPolicyStore;
import io.printmaster.agent.config.api.Mode;
import io.printmaster.agent.config.api.PolicySource;
import io.printmaster.core.policy.PolicyValidator;
import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.core.policy.Violation;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's {@link AgentConfiguration}: PID {@code io.printmaster.agent} ({@code etc/io.printmaster.agent.cfg},
 * fed by FileInstall), the local policy ({@code etc/local-policy.json}, polled here because FileInstall only reads
 * {@code .cfg} files), the agent id, and the fleet policy from a {@link FleetPolicyProvider} when one is installed.
 * Active with or without a configuration, so a freshly installed agent starts and says it is unconfigured; a
 * changed file is applied in place without restarting the component.
 */
@Component(service = {AgentConfiguration.class, LocalPolicyStore.class}, configurationPid = AgentConfiguration.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = AgentConfigurationService.Settings.class)
public class AgentConfigurationService implements AgentConfiguration, LocalPolicyStore {
    private static final Logger LOG = LoggerFactory.getLogger(AgentConfigurationService.class);

    /** As often as FileInstall polls etc/, so both files take effect equally fast. */
    static final long POLICY_POLL_MILLIS = 500;

    /**
     * The keys of {@code etc/io.printmaster.agent.cfg}. Documentation and metatype only: the properties are read
     * by {@link SettingsParser}, which is stricter than DS conversion (it reports typos and non-boolean flags).
     * A double underscore in a method name is a single underscore in the key (DS name mapping).
     */
    @ObjectClassDefinition(name = "PrintMaster agent", description = "Where the agent's update server is, which "
            + "fleet it joins, and whether it follows the fleet policy, its local policy (etc/local-policy.json) or none.")
    public @interface Settings {
        @AttributeDefinition(name = "Server URL", required = false,
                description = "The update server's base URL, http:// or https://, e.g. https://updates.example.com")
        String server__url() default "";

        @AttributeDefinition(name = "Fleet", required = false, description = "The fleet this agent joins.")
        String fleet() default "";

        @AttributeDefinition(name = "Join token", type = AttributeType.PASSWORD, required = false,
                description = "The secret that enrolls this agent in its fleet. Never logged or shown.")
        String join__token() default "";

        @AttributeDefinition(name = "Mode", description = "inherit: follow the fleet policy (the local policy until "
                + "the server has given one); local: follow the local policy only; disabled: no automatic updates.",
                options = {@Option(label = "inherit", value = "inherit"), @Option(label = "local", value = "local"),
                        @Option(label = "disabled", value = "disabled")})
        String mode() default "inherit";

        @AttributeDefinition(name = "Allow local override",
                description = "Whether the local status page may change settings; off means read-only.")
        boolean allow__local__override() default false;
    }

    /** The highest ranked provider; greedy, so a better one replaces it as soon as it appears. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile FleetPolicyProvider fleetPolicies;

    private final Path dataDir;
    private final AgentIdentity.Result identity;
    private final LocalPolicyWatch localPolicy;
    private final LocalPolicyEditor editor;
    private final ScheduledExecutorService poller;
    private volatile FileSettings fileSettings = FileSettings.none();

    @Activate
    public AgentConfigurationService(BundleContext context, Map<String, Object> properties) {
        this.dataDir = dataDir(context);
        this.identity = AgentIdentity.loadOrCreate(dataDir);
        identity.agentId().ifPresent(id -> LOG.info("agent id {}", id));
        identity.error().ifPresent(e -> LOG.error("{}: {}", e.field(), e.message()));
        apply(properties);
        this.localPolicy = new LocalPolicyWatch(dataDir.resolve("etc").resolve(LocalPolicyFile.FILE_NAME));
        localPolicy.poll();
        this.editor = new LocalPolicyEditor(dataDir, localPolicy, () -> fileSettings.allowLocalOverride());
        this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pm-local-policy-watch");
            t.setDaemon(true);
            return t;
        });
        poller.scheduleWithFixedDelay(this::pollLocalPolicy, POLICY_POLL_MILLIS, POLICY_POLL_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Modified
    void modified(Map<String, Object> properties) {
        apply(properties);
    }

    @Deactivate
    void deactivate() {
        poller.shutdownNow();
    }

    private void pollLocalPolicy() {
        try {
            localPolicy.poll();
        } catch (RuntimeException e) {
            // a scheduled task that throws is never run again: log and keep watching
            LOG.error("checking {} failed", LocalPolicyFile.FILE_NAME, e);
        }
    }

    private void apply(Map<String, Object> properties) {
        String file = sourceFile(properties.get("felix.fileinstall.filename"))
                .orElse(dataDir.resolve("etc").resolve(AgentConfiguration.PID + ".cfg").toString());
        boolean present = properties.containsKey(Constants.SERVICE_PID);
        FileSettings parsed = present ? SettingsParser.parse(properties) : FileSettings.none();
        for (ConfigError e : parsed.errors()) {
            LOG.error("{}: {}: {}", file, e.field(), e.message());
        }
        if (present) {
            LOG.info("agent configuration from {}: {}", file, parsed);
        } else {
            LOG.info("no {}: the agent is not configured (no server); it follows its local policy", file);
        }
        this.fileSettings = parsed;
    }

    @Override
    public Optional<UpdatePolicy> localPolicy() {
        return localPolicy.current().policy();
    }

    @Override
    public List<Violation> save(UpdatePolicy policy) throws LocalOverrideDisabledException, java.io.IOException {
        return editor.save(policy);
    }

    @Override
    public AgentSettings current() {
        return snapshot(identity, fileSettings, localPolicy.current(), fleetPolicy());
    }

    /** The provider's fleet policy, or the error that makes it unusable. */
    private FleetPolicyReading fleetPolicy() {
        FleetPolicyProvider provider = fleetPolicies;
        if (provider == null) {
            return FleetPolicyReading.NONE;
        }
        try {
            return FleetPolicyReading.check(provider.fleetPolicy());
        } catch (RuntimeException e) {
            return new FleetPolicyReading(Optional.empty(), List.of(new ConfigError("fleet_policy",
                    "the fleet policy could not be read (" + e + "); the local policy applies meanwhile")));
        }
    }

    /** The fleet policy if it is usable; a policy the validator refuses counts as unknown. */
    record FleetPolicyReading(Optional<FleetPolicy> policy, List<ConfigError> errors) {
        static final FleetPolicyReading NONE = new FleetPolicyReading(Optional.empty(), List.of());

        static FleetPolicyReading check(Optional<FleetPolicy> received) {
            if (received.isEmpty()) {
                return NONE;
            }
            List<Violation> violations = PolicyValidator.validate(received.get().policy());
            if (violations.isEmpty()) {
                return new FleetPolicyReading(received, List.of());
            }
            return new FleetPolicyReading(Optional.empty(), violations.stream()
                    .map(v -> new ConfigError("fleet_policy." + v.field(), v.message()
                            + " (the server's fleet policy is unusable; the local policy applies meanwhile)"))
                    .toList());
        }
    }

    static AgentSettings snapshot(AgentIdentity.Result identity, FileSettings file, LocalPolicy local,
                                  FleetPolicyReading fleet) {
        List<ConfigError> errors = new ArrayList<>();
        identity.error().ifPresent(errors::add);
        errors.addAll(file.errors());
        errors.addAll(local.errors());
        errors.addAll(fleet.errors());
        Mode mode = file.mode();
        PolicySource source = EffectiveSource.of(mode, fleet.policy().isPresent());
        Optional<UpdatePolicy> policy = switch (source) {
            case DISABLED -> Optional.empty();
            case FLEET -> fleet.policy().map(FleetPolicy::policy);
            case LOCAL, LOCAL_FALLBACK -> local.policy();
        };
        return new AgentSettings(identity.agentId(), file.serverUrl(), file.fleet(), file.joinToken(), mode,
                file.allowLocalOverride(), source, policy, errors, file.allowInsecureHttp());
    }

    /** FileInstall records a file: URL; show it as the path an operator would open. */
    private static Optional<String> sourceFile(Object fileInstallName) {
        if (fileInstallName == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Path.of(URI.create(fileInstallName.toString())).toString());
        } catch (RuntimeException e) {
            return Optional.of(fileInstallName.toString());
        }
    }

    private static Path dataDir(BundleContext context) {
        String dir = context.getProperty("pm.data.dir");
        if (dir != null && !dir.isBlank()) {
            return Path.of(dir);
        }
        // outside the PrintMaster launcher (a bare test framework): keep state in this bundle's data area
        Path fallback = context.getDataFile("").toPath();
        LOG.warn("framework property pm.data.dir is not set; keeping the agent id and reading etc/ in {}", fallback);
        return fallback;
    }
}
