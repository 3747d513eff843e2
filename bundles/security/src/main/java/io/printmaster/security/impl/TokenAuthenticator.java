package io.printmaster.security.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.Authenticator;
import io.printmaster.http.api.Caller;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** {@code Authorization: Bearer pmt_…}: an API token with its scopes and fleet restriction. */
@Component(service = Authenticator.class)
public class TokenAuthenticator implements Authenticator {
    private final ApiTokenStore tokens;

    @Activate
    public TokenAuthenticator(@Reference ApiTokenStore tokens) {
        this.tokens = tokens;
    }

    @Override
    public Optional<Caller> authenticate(RequestCredentials credentials) throws ApiException {
        Optional<String> bearer = credentials.bearerToken();
        if (bearer.isEmpty() || !bearer.get().startsWith(ApiTokenStore.PREFIX)) {
            return Optional.empty();
        }
        try {
            ApiTokenStore.TokenInfo info = tokens.find(bearer.get())
                    .orElseThrow(() -> ApiException.unauthorized("the API token is unknown, expired or revoked"));
            Optional<Set<String>> fleets = Optional.ofNullable(info.fleets()).map(HashSet::new);
            return Optional.of(new Caller("token:" + info.name(), Caller.Kind.TOKEN, new HashSet<>(info.scopes()), fleets,
                    Optional.empty()));
        } catch (SQLException e) {
            throw new IllegalStateException("token lookup failed", e);
        }
    }
}
