package io.printmaster.server.releases.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.Scopes;
import io.printmaster.server.signing.api.Rotation;
import io.printmaster.server.signing.api.RotationStatement;
import io.printmaster.server.signing.api.SigningKey;
import io.printmaster.server.signing.api.SigningKeys;
import io.printmaster.store.AuditLog;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/releases/signing-keys}: the manifest signing keys (public parts only), their PEM export for agent
 * builds and for OpenSSL, key rotation (optionally re-signing every manifest at once) and the rotation statements,
 * each signed by the old key and naming the new one.
 */
@Component(service = RouteProvider.class)
public class SigningKeysResource implements RouteProvider {
    private static final int MAX_NOTES = 2000;

    private final SigningKeys keys;
    private final ManifestService manifests;
    private final ReleaseStore store;
    private final AuditLog audit;

    @Activate
    public SigningKeysResource(@Reference SigningKeys keys, @Reference ManifestService manifests,
                               @Reference ReleaseStore store, @Reference AuditLog audit) {
        this.keys = keys;
        this.manifests = manifests;
        this.store = store;
        this.audit = audit;
    }

    /** The body of a rotation; both fields are optional ({@code regenerate_manifests} defaults to false). */
    public record RotateRequest(String notes, Boolean regenerateManifests) {
    }

    @Override
    public List<Route> routes() {
        return List.of(
                Route.get("/api/v1/releases/signing-keys", Scopes.RELEASES_READ, this::list),
                Route.post("/api/v1/releases/signing-keys/rotate", Scopes.RELEASES_WRITE, this::rotate).asServerWide(),
                Route.get("/api/v1/releases/signing-keys/rotations", Scopes.RELEASES_READ, this::rotations),
                Route.get("/api/v1/releases/signing-keys/{id}/pem", Scopes.RELEASES_READ, this::pem));
    }

    ApiResponse list(ApiRequest req) throws Exception {
        return ApiResponse.ok(Map.of("keys", keys.list().stream().map(SigningKeysResource::view).toList()));
    }

    static Map<String, Object> view(SigningKey k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", k.id());
        m.put("algorithm", k.algorithm());
        m.put("public_key_pem", k.publicKeyPem());
        m.put("active", k.active());
        m.put("created_at", k.createdAt());
        m.put("rotated_at", k.rotatedAt());
        m.put("notes", k.notes());
        return m;
    }

    ApiResponse rotate(ApiRequest req) throws Exception {
        RotateRequest body = req.body().length == 0 ? new RotateRequest(null, null) : req.body(RotateRequest.class);
        String notes = body.notes() == null || body.notes().isBlank() ? null : body.notes().strip();
        if (notes != null && notes.length() > MAX_NOTES) {
            throw ApiException.invalid("notes", "at most " + MAX_NOTES + " characters");
        }
        String actor = req.requireCaller().name();
        Rotation rotation = keys.rotate(notes, actor);
        int regenerated = 0;
        if (Boolean.TRUE.equals(body.regenerateManifests())) {
            regenerated = manifests.regenerateAll();
            int count = regenerated;
            store.database().inTransaction(c -> {
                audit.record(c, actor, "manifests.regenerate", "manifests", null, null,
                        Map.of("regenerated_count", count, "key_id", rotation.newKey().id()));
                return null;
            });
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("key", view(rotation.newKey()));
        answer.put("regenerated_count", regenerated);
        answer.put("statement", statementView(rotation.statement()));
        return ApiResponse.ok(answer);
    }

    ApiResponse rotations(ApiRequest req) throws Exception {
        return ApiResponse.ok(Map.of("rotations", keys.statements().stream().map(SigningKeysResource::statementView).toList()));
    }

    /**
     * A rotation statement: {@code statement} holds the exact signed bytes as a string (they are UTF-8 JSON) and
     * {@code statement_base64} the same bytes encoded, for tools that want them without any text decoding.
     */
    static Map<String, Object> statementView(RotationStatement s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("old_key_id", s.oldKeyId());
        m.put("new_key_id", s.newKeyId());
        m.put("statement", new String(s.statement(), StandardCharsets.UTF_8));
        m.put("statement_base64", Base64.getEncoder().encodeToString(s.statement()));
        m.put("signature", Base64.getEncoder().encodeToString(s.signature()));
        return m;
    }

    ApiResponse pem(ApiRequest req) throws Exception {
        SigningKey key = keys.find(req.pathParam("id")).orElseThrow(() -> ApiException.notFound("signing key"));
        byte[] pem = key.publicKeyPem().getBytes(StandardCharsets.US_ASCII);
        return ApiResponse.raw(200, "text/plain;charset=us-ascii", out -> out.write(pem))
                .header("Content-Disposition", "inline; filename=\"" + key.id().replaceAll("[^A-Za-z0-9._-]", "_") + ".pem\"");
    }
}
