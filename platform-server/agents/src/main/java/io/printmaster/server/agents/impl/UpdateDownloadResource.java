package io.printmaster.server.agents.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Downloads;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.Scopes;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.ReleaseCatalog;
import io.printmaster.server.releases.api.ReleaseCatalog.ArtifactFilter;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code GET /api/v1/agents/update/download/{component}/{version}/{platform}-{arch}}: an enrolled agent downloads a
 * cached release artifact as published (the raw update bundle), with Range resume and a strong ETag (the quoted
 * SHA-256), through {@link Downloads#serve}. Absent combinations answer 404 naming what exists. An artifact of
 * the agent's platform-arch is served when there is one, else the same version's {@code any}-{@code any} one (a
 * vendor plugin's {@code jar}, for example).
 *
 * <p>The route template has one {@code {target}} segment for {@code platform-arch}: the route table binds whole
 * segments only.
 */
@Component(service = RouteProvider.class)
public class UpdateDownloadResource implements RouteProvider {
    private static final Map<String, String> CONTENT_TYPES = Map.of("tar.gz", "application/gzip", "zip", "application/zip",
            "msi", "application/x-msi", "jar", "application/java-archive");

    static final String SERVER = "server";

    private final ReleaseCatalog catalog;

    @Activate
    public UpdateDownloadResource(@Reference ReleaseCatalog catalog) {
        this.catalog = catalog;
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.get("/api/v1/agents/update/download/{component}/{version}/{target}", Scopes.AGENT, this::download)
                .doc("Download a cached release artifact", "`target` is `<platform>-<arch>`; ranges, ETag and "
                        + "If-None-Match are supported.")
                .query("format", "tar.gz, zip or jar (default: the platform's official format)")
                .produces("application/octet-stream"));
    }

    /** The official format of a platform's artifacts. */
    static String defaultFormat(String platform) {
        return "windows".equals(platform) ? "zip" : "tar.gz";
    }

    ApiResponse download(ApiRequest req) throws Exception {
        String component = req.pathParam("component");
        String version = req.pathParam("version");
        String target = req.pathParam("target");
        if (SERVER.equals(component)) {
            // the server's own releases are for the server's self-update; no agent is ever offered one
            throw new ApiException(404, "not_found", "component 'server' is not served to agents", "component");
        }
        int dash = target.indexOf('-');
        if (dash <= 0 || dash == target.length() - 1) {
            throw ApiException.invalid("platform", "the last path segment must be {platform}-{arch}, e.g. linux-amd64; got '" + target + "'");
        }
        String platform = target.substring(0, dash);
        String arch = target.substring(dash + 1);
        String format = req.query("format").filter(f -> !f.isBlank()).orElse(defaultFormat(platform));

        Artifact artifact = find(component, version, platform, arch, format)
                .or(() -> find(component, version, Artifact.ANY, Artifact.ANY, format))
                .orElseThrow(() -> notFound(component, version, platform, arch, format));
        Path file = catalog.file(artifact.sha256()).orElseThrow(() -> new ApiException(404, "not_found",
                artifact.assetName() + " is listed but its file is not in the cache (yet); retry later"));
        String contentType = CONTENT_TYPES.getOrDefault(artifact.format(), "application/octet-stream");
        // written without a thread waiting on the agent: a slow link holds a connection, not a server thread
        return Downloads.serveFile(req, file, "\"" + artifact.sha256() + "\"", contentType, artifact.assetName());
    }

    private Optional<Artifact> find(String component, String version, String platform, String arch, String format) {
        try {
            return catalog.artifacts(new ArtifactFilter(component, version, platform, arch, format, null)).stream().findFirst();
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("release catalog lookup failed", e);
        }
    }

    private ApiException notFound(String component, String version, String platform, String arch, String format) {
        List<Artifact> ofComponent;
        try {
            ofComponent = catalog.artifacts(new ArtifactFilter(component, null, null, null, null, null));
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("release catalog lookup failed", e);
        }
        if (ofComponent.isEmpty()) {
            return new ApiException(404, "not_found", "no artifacts of component '" + component + "' are cached", "component");
        }
        Set<String> versions = new LinkedHashSet<>();
        Set<String> targets = new LinkedHashSet<>();
        for (Artifact a : ofComponent) {
            versions.add(a.version());
            if (a.version().equals(version)) {
                targets.add(a.platform() + "-" + a.arch() + " (" + a.format() + ")");
            }
        }
        if (targets.isEmpty()) {
            return new ApiException(404, "not_found", component + " " + version + " is not cached; versions: "
                    + String.join(", ", versions), "version");
        }
        return new ApiException(404, "not_found", component + " " + version + " has no " + platform + "-" + arch + " ("
                + format + ") artifact; it has: " + String.join(", ", targets), "platform");
    }

}
