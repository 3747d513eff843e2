package io.printmaster.agent.config.impl;

import io.printmaster.agent.config.api.AgentConfiguration;
import io.printmaster.agent.config.api.AgentSettings;
import io.printmaster.agent.config.api.ConfigError;
import io.printmaster.agent.config.api.Mode;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's {@link AgentConfiguration}: PID {@code io.printmaster.agent} ({@code etc/io.printmaster.agent.cfg},
 * fed by FileInstall) plus the agent id. Active with or without a configuration, so a freshly installed agent
 * starts and says it is unconfigured; a changed file is applied in place without restarting the component.
 */
@Component(service = AgentConfiguration.class, configurationPid = AgentConfiguration.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = AgentConfigurationService.Settings.class)
public class AgentConfigurationService implements AgentConfiguration {
    private static final Logger LOG = LoggerFactory.getLogger(AgentConfigurationService.class);

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

    private final Path dataDir;
    private final AgentIdentity.Result identity;
    private volatile FileSettings fileSettings = FileSettings.none();

    @Activate
    public AgentConfigurationService(BundleContext context, Map<String, Object> properties) {
        this.dataDir = dataDir(context);
        this.identity = AgentIdentity.loadOrCreate(dataDir);
        identity.agentId().ifPresent(id -> LOG.info("agent id {}", id));
        identity.error().ifPresent(e -> LOG.error("{}: {}", e.field(), e.message()));
        apply(properties);
    }

    @Modified
    void modified(Map<String, Object> properties) {
        apply(properties);
    }

    private void apply(Map<String, Object> properties) {
        // FileInstall records the file it read; name that one in messages, or the expected one when there is none
        String file = sourceFile(properties.get("felix.fileinstall.filename"))
                .orElse(dataDir.resolve("etc").resolve(AgentConfiguration.PID + ".cfg").toString());
        FileSettings parsed = properties.containsKey(Constants.SERVICE_PID) ? SettingsParser.parse(properties) : FileSettings.none();
        for (ConfigError e : parsed.errors()) {
            LOG.error("{}: {}: {}", file, e.field(), e.message());
        }
        if (!properties.containsKey(Constants.SERVICE_PID)) {
            LOG.info("no {}: the agent is not configured (no server); it follows its local policy", file);
        } else {
            LOG.info("agent configuration from {}: {}", file, parsed);
        }
        this.fileSettings = parsed;
    }

    @Override
    public AgentSettings current() {
        return snapshot(identity, fileSettings, false);
    }

    static AgentSettings snapshot(AgentIdentity.Result identity, FileSettings file, boolean fleetPolicyKnown) {
        List<ConfigError> errors = new ArrayList<>();
        identity.error().ifPresent(errors::add);
        errors.addAll(file.errors());
        Mode mode = file.mode();
        return new AgentSettings(identity.agentId(), file.serverUrl(), file.fleet(), file.joinToken(), mode,
                file.allowLocalOverride(), EffectiveSource.of(mode, fleetPolicyKnown), errors);
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
        LOG.warn("framework property pm.data.dir is not set; keeping the agent id in {}", fallback);
        return fallback;
    }
}
