package io.printmaster.server.notifications.impl;

import io.printmaster.http.api.ApiException.FieldError;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;

/** What a webhook's {@code url} must be: an absolute http or https URL with a host, no credentials, no fragment. */
final class WebhookUrls {
    private WebhookUrls() {
    }

    /** @return the URL when it is usable; otherwise null, with the problem added to {@code errors} */
    static String check(String url, List<FieldError> errors) {
        if (url == null || url.isBlank()) {
            errors.add(new FieldError("url", "'url' is required: the http or https address the events are POSTed to"));
            return null;
        }
        if (url.length() > WebhooksResource.MAX_URL) {
            errors.add(new FieldError("url", "'url' must be at most " + WebhooksResource.MAX_URL + " characters"));
            return null;
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            errors.add(new FieldError("url", "'url' is not a valid URL: " + e.getReason()));
            return null;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            errors.add(new FieldError("url", "'url' must start with http:// or https://"));
        } else if (uri.getHost() == null || uri.getHost().isBlank()) {
            errors.add(new FieldError("url", "'url' must name a host"));
        } else if (uri.getRawUserInfo() != null) {
            // credentials in a URL end up in logs and lists; the signature authenticates the server instead
            errors.add(new FieldError("url", "'url' must not contain a user name or password"));
        } else if (uri.getRawFragment() != null) {
            errors.add(new FieldError("url", "'url' must not have a fragment (#…)"));
        } else {
            return url;
        }
        return null;
    }
}
