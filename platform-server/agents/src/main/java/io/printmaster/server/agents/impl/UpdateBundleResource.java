package io.printmaster.server.agents.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import io.printmaster.server.releases.api.SignedManifest;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code GET /api/v1/agents/update/bundle/{version}/{platform}-{arch}/{sha256}}: an enrolled agent downloads one
 * bundle jar of an agent release for a hot-swap, by the SHA-256 its signed manifest lists in {@code bundles}. The
 * jar is taken out of the cached archive once (the release catalog's content-addressed bundle cache) and served
 * through {@link Downloads#serve} with Range resume and the quoted SHA-256 as its strong ETag. Only what a signed
 * manifest of that release lists is served; anything else is a 404 naming what is missing.
 */
@Component(service = RouteProvider.class)
public class UpdateBundleResource implements RouteProvider {
    static final String AGENT = "agent";
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ReleaseCatalog catalog;

    @Activate
    public UpdateBundleResource(@Reference ReleaseCatalog catalog) {
        this.catalog = catalog;
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.get("/api/v1/agents/update/bundle/{version}/{target}/{sha256}", Scopes.AGENT, this::bundle)
                .doc("Download one bundle of an agent release for a hot swap", "`target` is `<platform>-<arch>`; "
                        + "ranges, ETag and If-None-Match are supported.")
                .produces("application/java-archive"));
    }

    /** One bundle of a release's manifest, and the artifact whose manifest lists it. */
    private record Listed(Artifact artifact, String path) {
    }

    ApiResponse bundle(ApiRequest req) throws Exception {
        String version = req.pathParam("version");
        String target = req.pathParam("target");
        String sha256 = req.pathParam("sha256").toLowerCase(Locale.ROOT);
        if (!SHA256_HEX.matcher(sha256).matches()) {
            throw ApiException.invalid("sha256", "the last path segment must be the bundle's SHA-256 (64 hex digits); got '"
                    + req.pathParam("sha256") + "'");
        }
        int dash = target.indexOf('-');
        if (dash <= 0 || dash == target.length() - 1) {
            throw ApiException.invalid("platform", "the path segment after the version must be {platform}-{arch}, "
                    + "e.g. linux-amd64; got '" + target + "'");
        }
        String platform = target.substring(0, dash);
        String arch = target.substring(dash + 1);

        List<Artifact> artifacts = artifactsOf(version, platform, arch);
        if (artifacts.isEmpty()) {
            throw new ApiException(404, "not_found", "agent " + version + " has no " + platform + "-" + arch
                    + " artifact in the cache", "version");
        }
        Listed listed = listing(artifacts, sha256).orElseThrow(() -> new ApiException(404, "not_found", "no bundle with "
                + "sha256 " + sha256 + " is listed in the bundles of the signed manifest of agent " + version + " "
                + platform + "-" + arch, "sha256"));
        Path jar = catalog.bundleJar(listed.artifact(), listed.path(), sha256).orElseThrow(() -> new ApiException(404,
                "not_found", listed.path() + " of agent " + version + " " + platform + "-" + arch + " is listed, but the "
                + "release's archive (" + listed.artifact().assetName() + ") is not in the cache or does not hold it",
                "sha256"));
        String fileName = listed.path().substring(listed.path().lastIndexOf('/') + 1);
        // written without a thread waiting on the agent: a slow link holds a connection, not a server thread
        return Downloads.serveFile(req, jar, "\"" + sha256 + "\"", "application/java-archive", fileName);
    }

    /** The agent artifacts of that release for that target (or for any target), the official format first. */
    private List<Artifact> artifactsOf(String version, String platform, String arch) throws SQLException {
        List<Artifact> found = new ArrayList<>(catalog.artifacts(new ArtifactFilter(AGENT, version, platform, arch, null, null)));
        if (found.isEmpty()) {
            found.addAll(catalog.artifacts(new ArtifactFilter(AGENT, version, Artifact.ANY, Artifact.ANY, null, null)));
        }
        String official = UpdateDownloadResource.defaultFormat(platform);
        found.sort(Comparator.comparing((Artifact a) -> !a.format().equals(official)));
        return found;
    }

    /** The first artifact whose signed manifest lists a bundle with this hash, with the bundle's path. */
    private Optional<Listed> listing(List<Artifact> artifacts, String sha256) throws SQLException, IOException {
        for (Artifact a : artifacts) {
            Optional<SignedManifest> manifest = catalog.manifest(a.id());
            if (manifest.isEmpty()) {
                continue;
            }
            JsonNode bundles = JSON.readTree(manifest.get().manifest()).path("bundles");
            for (JsonNode b : bundles) {
                if (sha256.equals(b.path("sha256").asText()) && b.path("path").isTextual()) {
                    return Optional.of(new Listed(a, b.path("path").asText()));
                }
            }
        }
        return Optional.empty();
    }

}
