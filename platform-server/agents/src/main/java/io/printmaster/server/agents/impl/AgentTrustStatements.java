package io.printmaster.server.agents.impl;

import io.printmaster.core.wire.TrustStatement;
import io.printmaster.http.api.ApiException;
import io.printmaster.server.signing.api.SigningKeys;
import java.sql.SQLException;
import java.util.Base64;
import java.util.List;

/**
 * The trust statements a check-in answer carries: those newer than the {@code trust_version} the agent reported,
 * oldest first, as the wire contract's records (the exact signed bytes, never rebuilt).
 */
final class AgentTrustStatements {
    private AgentTrustStatements() {
    }

    /** The statements an agent holding {@code trustVersion} lacks. */
    static List<TrustStatement> newerThan(SigningKeys keys, Long trustVersion) throws SQLException, ApiException {
        long held = trustVersion == null ? 0 : trustVersion;
        if (held < 0) {
            throw ApiException.invalid("trust_version", "must be 0 or more, got " + held);
        }
        return keys.trustStatements(held).stream().map(AgentTrustStatements::wire).toList();
    }

    static TrustStatement wire(io.printmaster.server.signing.api.TrustStatement s) {
        return new TrustStatement(s.sequence(), s.type(), s.keyId(), s.statementText(),
                Base64.getEncoder().encodeToString(s.statement()), Base64.getEncoder().encodeToString(s.signature()));
    }
}
