package io.printmaster.http.api;

/**
 * The {@code limit} query parameter of a paged list, read the same way by every list route: absent, the route's
 * default; otherwise a whole number from 1 to the route's largest page, else 400 naming {@code limit}.
 *
 * @since 1.9
 */
public final class PageLimit {
    private PageLimit() {
    }

    /**
     * @throws ApiException 400 naming {@code limit} when it is not a whole number from 1 to {@code max}
     */
    public static int of(ApiRequest req, int defaultLimit, int max) throws ApiException {
        String raw = req.query("limit").orElse(null);
        if (raw == null) {
            return defaultLimit;
        }
        try {
            int v = Integer.parseInt(raw.strip());
            if (v >= 1 && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.invalid("limit", "limit must be a whole number from 1 to " + max);
    }
}
