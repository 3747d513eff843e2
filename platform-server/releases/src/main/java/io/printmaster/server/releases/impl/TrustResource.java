package io.printmaster.server.releases.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.ApiRequest;
import io.printmaster.http.api.ApiResponse;
import io.printmaster.http.api.Route;
import io.printmaster.http.api.RouteProvider;
import io.printmaster.http.api.Scopes;
import io.printmaster.server.signing.api.AcceptedStatement;
import io.printmaster.server.signing.api.RootKey;
import io.printmaster.server.signing.api.SigningKeys;
import io.printmaster.server.signing.api.StatementRefusedException;
import io.printmaster.server.signing.api.TrustStatement;
import io.printmaster.store.AuditLog;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code /api/v1/releases/trust}: the trust statements agents follow (rotations, root delegations, revocations, one
 * global sequence) and the offline root, and {@code POST /api/v1/releases/trust/statements}, where the administrator
 * posts what the offline root signed ({@code ./pm keys delegate|revoke}). The server verifies a posted statement
 * before it stores it, and never signs in the root's name. Posting changes what every fleet trusts: server-wide.
 */
@Component(service = RouteProvider.class)
public class TrustResource implements RouteProvider {
    private final SigningKeys keys;
    private final ManifestService manifests;
    private final ReleaseStore store;
    private final AuditLog audit;

    @Activate
    public TrustResource(@Reference SigningKeys keys, @Reference ManifestService manifests,
                         @Reference ReleaseStore store, @Reference AuditLog audit) {
        this.keys = keys;
        this.manifests = manifests;
        this.store = store;
        this.audit = audit;
    }

    /**
     * A statement the root signed, as {@code ./pm keys} writes it: {@code statement_base64} and {@code signature} are
     * what is verified; {@code type}, {@code key_id} and {@code statement} may be left out, and must agree with the
     * signed bytes when given.
     */
    public record PostedStatement(String type, String keyId, String statement, String statementBase64,
                                  String signature) {
    }

    @Override
    public List<Route> routes() {
        return List.of(
                Route.get("/api/v1/releases/trust", Scopes.RELEASES_READ, this::trust)
                        .doc("Read the root of trust and every trust statement").returns(Map.class),
                Route.post("/api/v1/releases/trust/statements", Scopes.RELEASES_WRITE, this::post).asServerWide()
                        .doc("Post a root-signed delegation or revocation").accepts(PostedStatement.class)
                        .returns(201, Map.class));
    }

    ApiResponse trust(ApiRequest req) throws Exception {
        Optional<RootKey> root = keys.root();
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("root_key_id", root.map(RootKey::id).orElse(null));
        answer.put("root_public_key_pem", root.map(RootKey::publicKeyPem).orElse(null));
        answer.put("trust_version", keys.trustVersion());
        answer.put("statements", keys.trustStatements(0).stream().map(TrustResource::view).toList());
        return ApiResponse.ok(answer);
    }

    ApiResponse post(ApiRequest req) throws Exception {
        PostedStatement body = req.body().length == 0 ? null : req.body(PostedStatement.class);
        if (body == null) {
            throw ApiException.invalid("statement_base64", "required: the JSON that ./pm keys delegate|revoke wrote");
        }
        byte[] statement = base64(body.statementBase64(), "statement_base64");
        byte[] signature = base64(body.signature(), "signature");
        if (body.statement() != null && !body.statement().equals(new String(statement, StandardCharsets.UTF_8))) {
            throw ApiException.invalid("statement", "differs from statement_base64 (the signed bytes)");
        }
        if (body.type() != null) {
            String signedType = signedType(statement);
            if (!body.type().equals(signedType)) {
                throw ApiException.invalid("type", "the signed statement is a " + signedType + ", not a " + body.type());
            }
        }
        String actor = req.requireCaller().name();
        AcceptedStatement accepted;
        try {
            accepted = keys.acceptRootStatement(statement, signature, actor);
        } catch (StatementRefusedException e) {
            throw e.conflict() ? ApiException.conflict(e.field(), e.getMessage())
                    : ApiException.invalid(e.field(), e.getMessage());
        }
        TrustStatement stored = accepted.statement();
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("statement", view(stored));
        answer.put("activated_key", accepted.activation().map(r -> SigningKeysResource.view(r.newKey())).orElse(null));
        int regenerated = 0;
        if (accepted.activation().isPresent()) {
            regenerated = SigningKeysResource.regenerate(manifests, store, audit, actor,
                    accepted.activation().get().newKey().id());
        }
        answer.put("regenerated_count", regenerated);
        return ApiResponse.created(answer);
    }

    /** {@code delegation} or {@code revocation} by the signed bytes' {@code type}, or what they say instead. */
    private static String signedType(byte[] statement) {
        String type;
        try {
            type = JSON.readTree(statement).path("type").asText("");
        } catch (java.io.IOException e) {
            return "malformed statement";
        }
        return switch (type) {
            case TrustStatement.DELEGATION_TYPE -> TrustStatement.DELEGATION;
            case TrustStatement.REVOCATION_TYPE -> TrustStatement.REVOCATION;
            default -> "'" + type + "'";
        };
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private static byte[] base64(String value, String field) throws ApiException {
        if (value == null || value.isBlank()) {
            throw ApiException.invalid(field, "required (base64)");
        }
        try {
            return Base64.getDecoder().decode(value.strip());
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(field, "not base64");
        }
    }

    /**
     * A statement as the API shows it: the members of the check-in's {@code trust_statements} plus who signed it
     * and when the server stored it.
     */
    static Map<String, Object> view(TrustStatement s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sequence", s.sequence());
        m.put("type", s.type());
        m.put("key_id", s.keyId());
        m.put("statement", s.statementText());
        m.put("statement_base64", Base64.getEncoder().encodeToString(s.statement()));
        m.put("signature", Base64.getEncoder().encodeToString(s.signature()));
        m.put("signer_key_id", s.signerKeyId());
        m.put("created_at", s.createdAt());
        return m;
    }
}
