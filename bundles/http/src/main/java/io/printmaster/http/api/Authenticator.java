package io.printmaster.http.api;

import java.util.Optional;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Turns request credentials (a session cookie, a bearer token, an agent credential) into a {@link Caller}.
 * Several may be registered; the dispatcher asks each in ranking order and takes the first answer. With none
 * registered every protected route answers 401: the API fails closed.
 */
@ConsumerType
public interface Authenticator {
    /**
     * @return the caller, or empty when these credentials are not this authenticator's kind
     * @throws ApiException 401 when the credentials are of its kind but invalid (expired, revoked, wrong)
     */
    Optional<Caller> authenticate(RequestCredentials credentials) throws ApiException;

    /**
     * What a request presented.
     *
     * @param bearerToken the value after {@code Authorization: Bearer}, if any
     * @param sessionCookie the console session cookie, if any
     * @param remoteAddress the peer's address
     */
    record RequestCredentials(Optional<String> bearerToken, Optional<String> sessionCookie, String remoteAddress) {
    }
}
