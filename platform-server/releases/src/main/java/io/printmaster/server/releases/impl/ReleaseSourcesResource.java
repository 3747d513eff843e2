package io.printmaster.server.releases.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiException.FieldError;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.Scopes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/release-sources}: add, list and remove release sources. Each is a factory configuration of the
 * plugin serving its type; secrets (the GitHub token) are accepted but never shown again: the list says
 * {@code token_set: true}.
 */
@Component(service = RouteProvider.class)
public class ReleaseSourcesResource implements RouteProvider {
    static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

    private final SourceConfigurations configurations;
    private final ReleaseIntake intake;

    @Activate
    public ReleaseSourcesResource(@Reference SourceConfigurations configurations, @Reference ReleaseIntake intake) {
        this.configurations = configurations;
        this.intake = intake;
    }

    /** The body of a POST. */
    public record CreateSource(String type, String name, Map<String, Object> config) {
    }

    @Override
    public List<Route> routes() {
        return List.of(
                Route.get("/api/v1/release-sources", Scopes.RELEASES_READ, this::list)
                        .doc("List the release sources (never their secrets)").returns(Map.class),
                Route.post("/api/v1/release-sources", Scopes.RELEASES_WRITE, this::create).asServerWide()
                        .doc("Add a release source").accepts(CreateSource.class).returns(201, Map.class),
                Route.delete("/api/v1/release-sources/{name}", Scopes.RELEASES_WRITE, this::delete).asServerWide()
                        .doc("Remove a release source"));
    }

    ApiResponse list(ApiRequest req) throws Exception {
        Set<String> active = intake.sources().stream().map(IntakeRun.SourceRef::name).collect(Collectors.toSet());
        List<Map<String, Object>> items = new ArrayList<>();
        for (SourceConfigurations.Source s : configurations.list()) {
            items.add(view(s, active.contains(s.name())));
        }
        return ApiResponse.ok(Map.of("sources", items));
    }

    private static Map<String, Object> view(SourceConfigurations.Source s, boolean active) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", s.name());
        m.put("type", s.type());
        m.put("config", s.config());
        SourceType.fromWireName(s.type()).ifPresent(t -> {
            for (String secret : t.secretKeys()) {
                m.put(secret + "_set", s.secretsSet().contains(secret));
            }
        });
        m.put("origin", s.origin());
        m.put("active", active);
        m.put("created_at", s.createdAt());
        m.put("created_by", s.createdBy());
        m.put("problem", s.problem());
        return m;
    }

    ApiResponse create(ApiRequest req) throws Exception {
        CreateSource body = req.body(CreateSource.class);
        if (body.type() == null || body.type().isBlank()) {
            throw ApiException.invalid("type", "'type' is required: one of " + SourceType.wireNames());
        }
        SourceType type = SourceType.fromWireName(body.type())
                .orElseThrow(() -> ApiException.invalid("type", "unknown source type '" + body.type() + "': expected one of "
                        + SourceType.wireNames()));
        List<FieldError> errors = new ArrayList<>();
        if (body.name() == null || !NAME.matcher(body.name()).matches()) {
            errors.add(new FieldError("name", "'name' is required: 1-63 lowercase letters, digits or dashes, starting "
                    + "with a letter or digit"));
        }
        if (body.config() == null) {
            errors.add(new FieldError("config", "'config' is required: an object with the " + type.wireName()
                    + " source's settings (" + String.join(", ", type.keys().keySet()) + ")"));
        }
        Map<String, Object> config = type.validate(body.config(), errors);
        if (!errors.isEmpty()) {
            throw ApiException.invalid(errors);
        }
        String actor = req.requireCaller().name();
        if (configurations.create(type, body.name(), config, actor) == SourceConfigurations.Created.NAME_TAKEN) {
            throw ApiException.conflict("name", "a release source named '" + body.name() + "' already exists");
        }
        SourceConfigurations.Source created = configurations.list().stream()
                .filter(s -> s.name().equals(body.name())).findFirst()
                .orElseThrow(() -> new IllegalStateException("the source was stored but cannot be read back"));
        return ApiResponse.created(view(created, false)).header("Location", "/api/v1/release-sources/" + body.name());
    }

    ApiResponse delete(ApiRequest req) throws Exception {
        String name = req.pathParam("name");
        if (!configurations.delete(name, req.requireCaller().name())) {
            if (configurations.builtIn(name)) {
                throw ApiException.conflict("name", "release source '" + name + "' is built in: it publishes the agent "
                        + "distributions that ship with this server (agent-releases/ of the server's installation) and "
                        + "cannot be removed");
            }
            if (configurations.configuredByFile(name)) {
                throw ApiException.conflict("name", "release source '" + name + "' is configured by a file in etc/: "
                        + "remove that file instead");
            }
            throw ApiException.notFound("release source");
        }
        return ApiResponse.noContent();
    }
}
