package io.printmaster.server.installers.impl;

import io.printmaster.api.installer.Availability;
import io.printmaster.api.installer.InstallerFormatException;
import io.printmaster.api.release.Channel;
import io.printmaster.api.version.SemanticVersion;
import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Caller;
import io.printmaster.http.api.Downloads;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.Scopes;
import io.printmaster.security.api.SecretBox;
import io.printmaster.store.Database;
import io.printmaster.store.SchemaException;
import io.printmaster.server.agents.api.InstallerToken;
import io.printmaster.server.agents.api.JoinTokens;
import io.printmaster.server.fleets.api.EffectivePolicy;
import io.printmaster.server.fleets.api.Fleet;
import io.printmaster.server.fleets.api.FleetDirectory;
import io.printmaster.server.installers.impl.InstallerFormats.Plugin;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.ReleaseCatalog;
import io.printmaster.server.releases.api.ReleaseCatalog.ArtifactFilter;
import io.printmaster.server.signing.api.SigningKeys;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /api/v1/installers}: the installer formats, and a fleet's installer per platform and format, built on first
 * request from the official agent artifact and the fleet's files, then served from the cache ({@link CachedInstallers}:
 * a plain secret-free base plus a per-download tail for appendable formats, else the whole installer encrypted).
 */
@Component(service = RouteProvider.class, configurationPid = InstallerSettings.PID)
public class InstallersResource implements RouteProvider {
    private static final Logger LOG = LoggerFactory.getLogger(InstallersResource.class);
    static final String AGENT = "agent";
    static final String VERSION_HEADER = "X-PrintMaster-Agent-Version";
    static final String VERSION_SOURCE_HEADER = "X-PrintMaster-Agent-Version-Source";
    static final String CACHE_HEADER = "X-PrintMaster-Installer-Cache";
    /** A {@code Host} header: a name or IPv4 address, or a bracketed IPv6 address, and an optional port. */
    private static final Pattern HOST = Pattern.compile("([A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\\[[0-9A-Fa-f:.]{2,45}])(:[0-9]{1,5})?");

    /** The platforms installers are built for, with the format of their official artifact. */
    static final Map<String, PlatformInfo> PLATFORMS;

    record PlatformInfo(String name, String os, String arch, String officialFormat) {
    }

    static {
        Map<String, PlatformInfo> m = new LinkedHashMap<>();
        m.put("linux-amd64", new PlatformInfo("linux-amd64", "linux", "amd64", "tar.gz"));
        m.put("linux-arm64", new PlatformInfo("linux-arm64", "linux", "arm64", "tar.gz"));
        m.put("windows-amd64", new PlatformInfo("windows-amd64", "windows", "amd64", "zip"));
        m.put("darwin-arm64", new PlatformInfo("darwin-arm64", "darwin", "arm64", "tar.gz"));
        PLATFORMS = java.util.Collections.unmodifiableMap(m);
    }

    private final InstallerFormats formats;
    private final ReleaseCatalog catalog;
    private final FleetDirectory fleets;
    private final SigningKeys signingKeys;
    private final InstallerCache cache;
    private final CachedInstallers installers;
    private final Clock clock = Clock.systemUTC();
    private volatile InstallerSettings settings;
    private volatile AgentTransport.Settings transportSettings;
    /** The chain the server serves on its own HTTPS listener (framework property pm.tls.certificate), or null. */
    private final Path servedCertificate;
    private volatile JoinTokens joinTokens;

    @Activate
    public InstallersResource(@Reference InstallerFormats formats, @Reference ReleaseCatalog catalog,
                              @Reference FleetDirectory fleets, @Reference SigningKeys signingKeys,
                              @Reference SecretBox box, @Reference Database database, BundleContext context,
                              Map<String, Object> properties) throws IOException, SchemaException {
        this.formats = formats;
        this.catalog = catalog;
        this.fleets = fleets;
        this.signingKeys = signingKeys;
        this.settings = settings(properties);
        this.transportSettings = AgentTransport.Settings.from(properties);
        String served = context.getProperty("pm.tls.certificate");
        this.servedCertificate = served == null || served.isBlank() ? null : Path.of(served);
        String data = java.util.Objects.requireNonNull(context.getProperty("pm.data.dir"), "framework property pm.data.dir");
        this.cache = new InstallerCache(Path.of(data, "installers"), box, settings.cacheMaxBytes(), clock);
        this.installers = new CachedInstallers(cache, clock, new InstallerBuildTimes(database));
    }

    @Modified
    void modified(Map<String, Object> properties) {
        settings = settings(properties);
        transportSettings = AgentTransport.Settings.from(properties);
        cache.setMaxBytes(settings.cacheMaxBytes());
    }

    private static InstallerSettings settings(Map<String, Object> properties) {
        InstallerSettings s = InstallerSettings.from(properties);
        if (s.error() != null) {
            LOG.error("configuration {} is invalid, installers cannot be built until it is fixed: {}", InstallerSettings.PID, s.error());
        }
        return s;
    }

    // the agents bundle provides join tokens; until it runs, installers answer 503 and the rest keeps working
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setJoinTokens(JoinTokens tokens) {
        this.joinTokens = tokens;
    }

    void unsetJoinTokens(JoinTokens tokens) {
        if (this.joinTokens == tokens) {
            this.joinTokens = null;
        }
    }

    @Override
    public List<Route> routes() {
        return List.of(
                Route.get("/api/v1/installers/formats", Scopes.INSTALLERS_DOWNLOAD, this::formats)
                        .doc("List the installer formats and whether each is available").returns(Map.class),
                Route.get("/api/v1/installers/{fleet}/{platform}", Scopes.INSTALLERS_DOWNLOAD, this::download)
                        .doc("Download the fleet's installer for a platform", "Carries a fresh join token; ranges supported.")
                        .query("format", "zip, tar.gz or msi (default: the platform's official format)")
                        .query("max_uses", "how many enrollments the embedded join token allows")
                        .produces("application/octet-stream"));
    }

    ApiResponse formats(ApiRequest req) {
        List<Map<String, Object>> list = formats.winners().stream().map(p -> {
            Availability a = p.availability();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", p.type());
            m.put("name", p.name());
            m.put("input", p.input());
            m.put("available", a.available());
            a.reason().ifPresent(r -> m.put("reason", r));
            return m;
        }).toList();
        return ApiResponse.ok(Map.of("formats", list));
    }

    ApiResponse download(ApiRequest req) throws Exception {
        Caller caller = req.requireCaller();
        String fleetId = req.pathParam("fleet");
        Optional<Fleet> fleet = caller.canSeeFleet(fleetId) ? fleets.find(fleetId) : Optional.empty();
        if (fleet.isEmpty()) {
            throw ApiException.notFound("fleet '" + fleetId + "'");
        }
        PlatformInfo platform = PLATFORMS.get(req.pathParam("platform"));
        if (platform == null) {
            throw new ApiException(404, "not_found", "no installers for platform '" + req.pathParam("platform")
                    + "': the platforms are " + String.join(", ", PLATFORMS.keySet()), "platform");
        }
        String format = req.query("format").filter(f -> !f.isBlank()).map(String::strip).orElse(platform.officialFormat());

        List<Artifact> artifacts = catalog.artifacts(new ArtifactFilter(AGENT, null, platform.os(), platform.arch(), null, null))
                .stream().filter(a -> catalog.file(a.sha256()).isPresent()).toList();
        TreeSet<String> artifactFormats = new TreeSet<>();
        artifacts.forEach(a -> artifactFormats.add(a.format()));
        List<Plugin> winners = formats.winners();
        TreeSet<String> offered = new TreeSet<>(artifactFormats);
        winners.stream().filter(p -> artifactFormats.contains(p.input())).forEach(p -> offered.add(p.type()));
        if (!offered.contains(format)) {
            String what = offered.isEmpty()
                    ? "no agent artifact for " + platform.name() + " is in the release cache, so no format is offered for it"
                    : "the formats offered for " + platform.name() + " are " + String.join(", ", offered);
            throw new ApiException(404, "not_found", "no " + format + " installer for " + platform.name() + ": " + what, "format");
        }
        Optional<Plugin> plugin = winners.stream().filter(p -> p.type().equals(format)).findFirst();
        if (plugin.isEmpty()) {
            throw new ApiException(503, "format_unavailable", "no installer format plugin for " + format
                    + " is installed; installed formats: " + (winners.isEmpty() ? "none"
                    : String.join(", ", winners.stream().map(Plugin::type).toList())), "format");
        }
        Availability availability = plugin.get().availability();
        if (!availability.available()) {
            throw new ApiException(503, "format_unavailable", "the " + format + " installer format is unavailable: "
                    + availability.reason().orElse("no reason given"), "format");
        }
        String input = plugin.get().input();
        List<Artifact> candidates = artifacts.stream().filter(a -> a.format().equals(input)).toList();
        if (candidates.isEmpty()) {
            throw new ApiException(404, "not_found", "the " + format + " installer is built from the " + input
                    + " agent artifact, and none for " + platform.name() + " is in the release cache; the formats offered for "
                    + platform.name() + " are " + String.join(", ", offered.stream().filter(f -> !f.equals(format)).toList()), "format");
        }
        EffectivePolicy policy = fleets.effectivePolicy(fleetId);
        Chosen chosen = choose(candidates, policy.policy().targetVersion());
        Path official = catalog.file(chosen.artifact().sha256())
                .orElseThrow(() -> new ApiException(503, "artifact_unavailable", "the agent artifact "
                        + chosen.artifact().assetName() + " has just left the release cache; try again"));

        InstallerSettings s = settings;
        if (s.error() != null) {
            throw new ApiException(503, "configuration_invalid", "configuration " + InstallerSettings.PID + " is invalid: " + s.error());
        }
        String serverUrl = s.serverUrl().orElse(null);
        if (serverUrl == null) {
            String host = req.header("Host").map(String::strip).orElse("");
            if (!HOST.matcher(host).matches()) {
                throw ApiException.badRequest("the request's Host header '" + host + "' cannot be used as the server's "
                        + "address; set server_url in " + InstallerSettings.PID);
            }
            serverUrl = (req.isSecure() ? "https" : "http") + "://" + host;
        }
        String caPem = null;
        if (s.caBundle().isPresent()) {
            try {
                caPem = CaBundle.read(s.caBundle().get());
            } catch (IOException e) {
                throw new ApiException(503, "configuration_invalid", e.getMessage());
            }
        }
        AgentTransport.Decision transport = transport(serverUrl, caPem);
        JoinTokens tokens = joinTokens;
        if (tokens == null) {
            throw new ApiException(503, "join_tokens_unavailable", "join tokens cannot be issued now: the agents service is not running");
        }
        Optional<Integer> ownToken = requestedMaxUses(req);
        InstallerToken token = ownToken.isPresent()
                ? tokens.dedicatedInstallerToken(fleetId, ownToken.get(), caller.name())
                : tokens.installerToken(fleetId, s.joinTokenMaxUses(), caller.name());
        // agents need a trust anchor: agentTrust() creates the first key now if there is none, as the first manifest would
        Artifact artifact = chosen.artifact();
        FleetFilesComposer.Inputs inputs = new FleetFilesComposer.Inputs(serverUrl, fleetId, fleet.get().name(),
                policy.policy(), policy.source(), transport.caBundlePem(), token.token(), signingKeys.agentTrust(),
                InstalledReleases.of(catalog, artifact).orElse(null), transport.transport());
        CachedInstallers.Target target = new CachedInstallers.Target(fleetId, artifact.version(), platform.name(), format,
                artifact.sha256(), artifact.assetName(), plugin.get().pluginId(), plugin.get().format(), official);
        CachedInstallers.Served served;
        try {
            served = installers.get(target, inputs);
        } catch (InstallerFormatException e) {
            LOG.warn("the {} installer of fleet {} for {} cannot be built from {}: {}", format, fleetId, platform.name(),
                    artifact.assetName(), e.getMessage());
            throw new ApiException(422, "invalid_artifact", "the agent artifact " + artifact.assetName()
                    + " cannot be made into a " + format + " installer: " + e.getMessage());
        }
        String fileName = "printmaster-agent-" + fleetId + "-v" + artifact.version() + "-" + platform.name() + "." + format;
        return Downloads.serve(req, served.length(), served.etag(), contentType(format), fileName, served.writer())
                .header(VERSION_HEADER, artifact.version())
                .header(VERSION_SOURCE_HEADER, chosen.source())
                .header(CACHE_HEADER, served.built() ? "miss" : "hit")
                .header("Cache-Control", "private, no-store");
    }

    /** {@code ?max_uses=N}: this installer gets a join token of its own enrolling at most N agents. */
    static Optional<Integer> requestedMaxUses(ApiRequest req) throws ApiException {
        Optional<String> raw = req.query("max_uses").map(String::strip);
        if (raw.isEmpty()) {
            return Optional.empty();
        }
        try {
            int n = Integer.parseInt(raw.get());
            if (n >= 1 && n <= JoinTokens.MAX_INSTALLER_MAX_USES) {
                return Optional.of(n);
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.invalid("max_uses", "max_uses must be a whole number from 1 to "
                + JoinTokens.MAX_INSTALLER_MAX_USES + ", not '" + raw.get() + "'");
    }

    /** How the installer's agent reaches and trusts the server ({@link AgentTransport}); 409 when it would refuse. */
    private AgentTransport.Decision transport(String serverUrl, String configuredCaPem) throws ApiException {
        String servedPem = null;
        if (servedCertificate != null && serverUrl.regionMatches(true, 0, "https:", 0, 6)) {
            try {
                servedPem = CaBundle.read(servedCertificate);
            } catch (IOException e) {
                throw new ApiException(503, "tls_certificate_unavailable", "the server's TLS certificate "
                        + servedCertificate + " cannot be embedded: " + e.getMessage());
            }
        }
        try {
            return AgentTransport.decide(serverUrl, servedPem, configuredCaPem, transportSettings);
        } catch (IllegalStateException e) {
            throw new ApiException(409, "insecure_server_url", e.getMessage());
        }
    }

    /** The artifact to build from, and which rule chose it. */
    record Chosen(Artifact artifact, String source) {
    }

    /**
     * The policy's {@code target_version} when set and cached; else the newest stable version; else the newest of
     * any channel. {@code candidates} come newest first.
     */
    static Chosen choose(List<Artifact> candidates, String targetVersion) {
        if (targetVersion != null) {
            Optional<SemanticVersion> target = SemanticVersion.tryParse(targetVersion);
            for (Artifact a : candidates) {
                if (a.version().equals(targetVersion)
                        || target.isPresent() && target.equals(SemanticVersion.tryParse(a.version()))) {
                    return new Chosen(a, "target_version");
                }
            }
        }
        for (Artifact a : candidates) {
            if (Channel.STABLE.wireName().equals(a.channel())) {
                return new Chosen(a, "newest_stable");
            }
        }
        return new Chosen(candidates.get(0), "newest");
    }

    static String contentType(String format) {
        return switch (format) {
            case "tar.gz" -> "application/gzip";
            case "zip" -> "application/zip";
            case "msi" -> "application/x-msi";
            default -> "application/octet-stream";
        };
    }
}
