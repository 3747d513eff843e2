package io.printmaster.http.api;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/** A request as a route handler sees it: already authenticated, authorized and size-checked. */
@ProviderType
public interface ApiRequest {
    String method();

    /** The request path, without query string. */
    String path();

    /** A path parameter of the route template; never null for a name the template declares. */
    String pathParam(String name);

    Optional<String> query(String name);

    Map<String, List<String>> queryParams();

    Optional<String> header(String name);

    /** A request cookie's value. */
    Optional<String> cookie(String name);

    /** Whether the request came over TLS (directly or, behind a proxy, as Jetty's forwarded handling reports it). */
    boolean isSecure();

    /** The caller; {@link Route#PUBLIC} routes may have none. */
    Optional<Caller> caller();

    /** The caller of a protected route, which always has one. */
    Caller requireCaller();

    /** The raw body, already bounded by the configured size limit. */
    byte[] body();

    /**
     * The JSON body mapped to {@code type}. Unknown fields, wrong types and malformed JSON are answered with
     * 400 naming the offending field.
     */
    <T> T body(Class<T> type) throws ApiException;

    String remoteAddress();
}
