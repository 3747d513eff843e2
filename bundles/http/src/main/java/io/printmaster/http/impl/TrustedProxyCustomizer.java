package io.printmaster.http.impl;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.ForwardedRequestCustomizer;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;

/**
 * Jetty's {@link ForwardedRequestCustomizer}, applied only when the connection's direct peer is a trusted proxy.
 * Then the request's client address, scheme, host and port are the forwarded ones, for everything downstream (the
 * login lockout, the enrollment limit, the stream caps, the audit, secure cookies, installers' server URL).
 *
 * <p>From any other peer the forwarded headers are removed before the request goes on, so nothing can read them by
 * mistake. From a trusted peer each header is first cut down to the one hop the proxies vouch for: Jetty takes the
 * left-most {@code X-Forwarded-For} entry, which the client itself writes when a proxy appends to what it was sent
 * (nginx's {@code $proxy_add_x_forwarded_for}); here the client is the right-most entry that is not a trusted proxy,
 * and {@code -Proto}, {@code -Host}, {@code -Port} keep the value the nearest proxy added (the last one).
 */
final class TrustedProxyCustomizer implements HttpConfiguration.Customizer {
    static final Set<String> FORWARDED_HEADERS = Set.of(
            HttpHeader.FORWARDED.lowerCaseName(),
            HttpHeader.X_FORWARDED_FOR.lowerCaseName(),
            HttpHeader.X_FORWARDED_PROTO.lowerCaseName(),
            HttpHeader.X_FORWARDED_HOST.lowerCaseName(),
            HttpHeader.X_FORWARDED_PORT.lowerCaseName(),
            HttpHeader.X_FORWARDED_SERVER.lowerCaseName(),
            "x-proxied-https", "proxy-ssl-id", "proxy-auth-cert");

    private final Supplier<TrustedProxies> trusted;
    private final ForwardedRequestCustomizer forwarded = new ForwardedRequestCustomizer();

    TrustedProxyCustomizer(Supplier<TrustedProxies> trusted) {
        this.trusted = trusted;
        // X-Forwarded-Server names the proxy, not the host the client asked for: never let it become the authority
        forwarded.setForwardedServerHeader("X-PrintMaster-Unused-Forwarded-Server");
    }

    @Override
    public Request customize(Request request, HttpFields.Mutable responseHeaders) {
        TrustedProxies proxies = trusted.get();
        HttpFields headers = request.getHeaders();
        if (!hasForwardedHeader(headers)) {
            return request;
        }
        if (!proxies.contains(request.getConnectionMetaData().getRemoteSocketAddress())) {
            return withHeaders(request, without(headers));
        }
        return forwarded.customize(withHeaders(request, nearestHops(headers, proxies)), responseHeaders);
    }

    private static boolean hasForwardedHeader(HttpFields headers) {
        for (HttpField f : headers) {
            if (FORWARDED_HEADERS.contains(f.getLowerCaseName())) {
                return true;
            }
        }
        return false;
    }

    static HttpFields without(HttpFields headers) {
        HttpFields.Mutable kept = HttpFields.build(headers.size());
        for (HttpField f : headers) {
            if (!FORWARDED_HEADERS.contains(f.getLowerCaseName())) {
                kept.add(f);
            }
        }
        return kept.asImmutable();
    }

    /** The headers with each forwarded header reduced to the single hop the trusted proxies vouch for. */
    static HttpFields nearestHops(HttpFields headers, TrustedProxies proxies) {
        HttpFields.Mutable out = HttpFields.build(headers.size());
        List<String> forwardedFor = new ArrayList<>();
        List<String> forwardedElements = new ArrayList<>();
        java.util.Map<String, String> lastValue = new java.util.LinkedHashMap<>();
        for (HttpField f : headers) {
            String name = f.getLowerCaseName();
            if (!FORWARDED_HEADERS.contains(name)) {
                out.add(f);
            } else if (name.equals(HttpHeader.X_FORWARDED_FOR.lowerCaseName())) {
                forwardedFor.addAll(split(f.getValue()));
            } else if (name.equals(HttpHeader.FORWARDED.lowerCaseName())) {
                forwardedElements.addAll(split(f.getValue()));
            } else {
                List<String> values = split(f.getValue());
                if (!values.isEmpty()) {
                    lastValue.put(f.getName(), values.get(values.size() - 1));
                }
            }
        }
        clientHop(forwardedFor, proxies::containsHop).ifPresent(v -> out.add(HttpHeader.X_FORWARDED_FOR, v));
        clientHop(forwardedElements, element -> proxies.containsHop(forValue(element)))
                .ifPresent(v -> out.add(HttpHeader.FORWARDED, v));
        lastValue.forEach(out::add);
        return out.asImmutable();
    }

    /** The right-most hop that is not a trusted proxy; the left-most when every hop is one. */
    private static java.util.Optional<String> clientHop(List<String> hops, java.util.function.Predicate<String> trusted) {
        for (int i = hops.size() - 1; i >= 0; i--) {
            if (!trusted.test(hops.get(i))) {
                return java.util.Optional.of(hops.get(i));
            }
        }
        return hops.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(hops.get(0));
    }

    /** The {@code for=} parameter of one RFC 7239 element ({@code for=192.0.2.60;proto=https}). */
    private static String forValue(String element) {
        for (String pair : element.split(";")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).trim().equalsIgnoreCase("for")) {
                return pair.substring(eq + 1).trim();
            }
        }
        return "";
    }

    private static List<String> split(String value) {
        List<String> parts = new ArrayList<>();
        if (value == null) {
            return parts;
        }
        for (String p : value.split(",")) {
            if (!p.isBlank()) {
                parts.add(p.trim());
            }
        }
        return parts;
    }

    private static Request withHeaders(Request request, HttpFields headers) {
        return new Request.Wrapper(request) {
            @Override
            public HttpFields getHeaders() {
                return headers;
            }
        };
    }
}
