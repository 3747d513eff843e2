package io.printmaster.server.installers.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.JsonTypes;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.Scopes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;

/**
 * {@code GET /api/v1/agents/tls/certificates} (agents only): the certificates pinned agents should trust from now
 * on, the same list a new installer carries in {@code ca-bundle.pem} (the served chain, then the certificates of the
 * installers' {@code ca_bundle}). Agents fetch it after each check-in over the pinned connection and keep it, so an
 * admin replaces the server's key without touching the agents: stage the next certificate in {@code ca_bundle}, wait
 * for the agents' next check-in, then restart the server with it.
 */
@Component(service = RouteProvider.class, configurationPid = InstallerSettings.PID)
public class ServerCertificatesResource implements RouteProvider {
    static final String PATH = "/api/v1/agents/tls/certificates";

    private final Path servedCertificate;
    private volatile Map<String, Object> properties;

    @Activate
    public ServerCertificatesResource(BundleContext context, Map<String, Object> properties) {
        String served = context.getProperty("pm.tls.certificate");
        this.servedCertificate = served == null || served.isBlank() ? null : Path.of(served);
        this.properties = properties;
    }

    @Modified
    void modified(Map<String, Object> properties) {
        this.properties = properties;
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.get(PATH, Scopes.AGENT, this::certificates)
                .doc("Read the server certificates pinned agents trust")
                .returns(JsonTypes.object("certificates_pem", String.class)));
    }

    ApiResponse certificates(ApiRequest req) throws ApiException {
        Map<String, Object> p = properties;
        if (servedCertificate == null || !AgentTransport.Settings.from(p).pinServerCertificate()) {
            throw new ApiException(404, "not_found", "this server does not pin its own certificate (it serves no "
                    + "HTTPS itself, or pin_server_certificate=false)");
        }
        InstallerSettings s = InstallerSettings.from(p);
        if (s.error() != null) {
            throw new ApiException(503, "configuration_invalid", "configuration " + InstallerSettings.PID + " is invalid: " + s.error());
        }
        try {
            String served = CaBundle.read(servedCertificate);
            String configured = s.caBundle().isPresent() ? CaBundle.read(s.caBundle().get()) : null;
            return ApiResponse.ok(Map.of("certificates_pem", AgentTransport.pinnedBundle(served, configured)))
                    .header("Cache-Control", "no-store");
        } catch (IOException e) {
            throw new ApiException(503, "tls_certificate_unavailable", e.getMessage());
        }
    }
}
