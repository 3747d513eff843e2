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
import io.printmaster.server.signing.api.TrustStatement;
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
 * builds and for OpenSSL, key rotation and the rotation statements, each signed by the old key and naming the new
 * one, and revocation.
 *
 * <p>A rotation always re-signs every manifest with the new key: the rotation statement retires the old key on every
 * agent that follows it, so a manifest still signed by the old key would be refused ({@code regenerate_manifests}
 * is accepted for compatibility; {@code false} no longer skips the re-signing). Under a root of trust a rotation
 * makes a pending key instead, which signs nothing until the root's delegation of it is posted
 * ({@link TrustResource}).
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

    /** The body of a rotation; both fields are optional (manifests are re-signed whatever {@code regenerate_manifests} says). */
    public record RotateRequest(String notes, Boolean regenerateManifests) {
    }

    /** The body of a revocation: why, for the audit log and the statement agents receive. */
    public record RevokeRequest(String reason) {
    }

    private static final int MAX_REASON = 500;

    @Override
    public List<Route> routes() {
        return List.of(
                Route.get("/api/v1/releases/signing-keys", Scopes.RELEASES_READ, this::list)
                        .doc("List the signing keys, newest first").returns(Map.class),
                Route.post("/api/v1/releases/signing-keys/rotate", Scopes.RELEASES_WRITE, this::rotate).asServerWide()
                        .doc("Rotate the signing key").accepts(RotateRequest.class).returns(Map.class),
                Route.get("/api/v1/releases/signing-keys/rotations", Scopes.RELEASES_READ, this::rotations)
                        .doc("List the key rotation statements, oldest first").returns(Map.class),
                Route.get("/api/v1/releases/signing-keys/{id}/pem", Scopes.RELEASES_READ, this::pem)
                        .doc("Read a signing key's public key as PEM").produces("text/plain"),
                Route.post("/api/v1/releases/signing-keys/{id}/revoke", Scopes.RELEASES_WRITE, this::revoke)
                        .asServerWide()
                        .doc("Revoke a signing key").accepts(RevokeRequest.class).returns(Map.class));
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
        m.put("state", k.state());
        m.put("revoked_at", k.revokedAt());
        m.put("delegated_until", k.delegatedUntil());
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
        if (keys.root().isPresent()) {
            SigningKey pending = keys.addPendingKey(notes, actor);
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("key", view(pending));
            answer.put("regenerated_count", 0);
            answer.put("statement", null);
            answer.put("pending", true);
            answer.put("next_step", "the key signs nothing yet: delegate it with the offline root (./pm keys delegate "
                    + "--public-key " + pending.id() + ".pem) and POST the delegation to /api/v1/releases/trust/statements");
            return ApiResponse.ok(answer);
        }
        Rotation rotation = keys.rotate(notes, actor);
        int regenerated = regenerate(manifests, store, audit, actor, rotation.newKey().id());
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("key", view(rotation.newKey()));
        answer.put("regenerated_count", regenerated);
        answer.put("statement", statementView(rotation.statement()));
        answer.put("pending", false);
        return ApiResponse.ok(answer);
    }

    /** Re-signs every manifest with the active key (the previous one is retired on agents); audited. */
    static int regenerate(ManifestService manifests, ReleaseStore store, AuditLog audit, String actor, String keyId)
            throws Exception {
        int count = manifests.regenerateAll();
        store.database().inTransaction(c -> {
            audit.record(c, actor, "manifests.regenerate", "manifests", null, null,
                    Map.of("regenerated_count", count, "key_id", keyId));
            return null;
        });
        return count;
    }

    ApiResponse revoke(ApiRequest req) throws Exception {
        RevokeRequest body = req.body().length == 0 ? null : req.body(RevokeRequest.class);
        String reason = body == null || body.reason() == null ? "" : body.reason().strip();
        if (reason.isEmpty()) {
            throw ApiException.invalid("reason", "required: why the key is revoked");
        }
        if (reason.length() > MAX_REASON) {
            throw ApiException.invalid("reason", "at most " + MAX_REASON + " characters");
        }
        String id = req.pathParam("id");
        if (keys.find(id).isEmpty()) {
            throw ApiException.notFound("signing key");
        }
        TrustStatement statement;
        try {
            statement = keys.revoke(id, reason, req.requireCaller().name());
        } catch (IllegalStateException e) {
            throw ApiException.conflict("id", e.getMessage());
        } catch (java.util.NoSuchElementException e) {
            throw ApiException.notFound("signing key");
        }
        return ApiResponse.ok(Map.of("statement", TrustResource.view(statement)));
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
