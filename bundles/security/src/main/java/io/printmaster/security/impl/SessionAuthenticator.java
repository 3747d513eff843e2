package io.printmaster.security.impl;

import io.printmaster.http.api.Authenticator;
import io.printmaster.http.api.Caller;
import io.printmaster.http.api.Scopes;
import java.sql.SQLException;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** The console session cookie: the administrator, with every scope and a CSRF token. */
@Component(service = Authenticator.class)
public class SessionAuthenticator implements Authenticator {
    private final SessionStore sessions;

    @Activate
    public SessionAuthenticator(@Reference SessionStore sessions) {
        this.sessions = sessions;
    }

    @Override
    public Optional<Caller> authenticate(RequestCredentials credentials) {
        if (credentials.sessionCookie().isEmpty() || credentials.bearerToken().isPresent()) {
            // an explicit bearer token decides who calls; a stale cookie beside it must not
            return Optional.empty();
        }
        try {
            return sessions.find(credentials.sessionCookie().get())
                    .map(s -> new Caller(s.username(), Caller.Kind.SESSION, Scopes.ALL, Optional.empty(), Optional.of(s.csrfToken())));
        } catch (SQLException e) {
            throw new IllegalStateException("session lookup failed", e);
        }
    }
}
