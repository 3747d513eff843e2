package io.printmaster.security.impl;

import io.printmaster.http.api.ApiException;
import io.printmaster.security.limits.FailureRateLimiter;
import io.printmaster.security.limits.FailureRateLimiter.Reservation;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Decides whether a login attempt may have its password hashed, before anything is hashed or looked up:
 * <ul>
 * <li>per (user name, address): a few failures in the window lock that pair out, so a guesser on one address
 *     cannot lock the administrator out of another;</li>
 * <li>server-wide: a budget of failures per (short) window bounds guessing spread over many addresses, at the price
 *     of a short 429 for everyone while it is exhausted;</li>
 * <li>a bounded number of concurrent hash evaluations, so a burst of logins cannot take every core.</li>
 * </ul>
 * Each attempt is counted as a failure when it is let in (reserve first, record nothing after), so concurrent
 * guesses cannot slip past the limit while earlier ones are still hashing; a success gives the reservation back.
 */
final class LoginThrottle {
    /** Limits of one server; the defaults are {@link #DEFAULTS}. */
    record Limits(int failuresPerUserAndAddress, Duration window, int serverWideFailures, Duration serverWideWindow,
                  int concurrentHashes, Duration hashWait) {
    }

    static final Limits DEFAULTS = new Limits(5, Duration.ofMinutes(15), 60, Duration.ofMinutes(1), 2, Duration.ofSeconds(10));
    private static final String SERVER_WIDE = "*";

    private final FailureRateLimiter perUserAndAddress;
    private final FailureRateLimiter serverWide;
    private final Semaphore hashing;
    private final Duration hashWait;

    LoginThrottle(Limits limits, java.time.Clock clock) {
        this.perUserAndAddress = new FailureRateLimiter(limits.failuresPerUserAndAddress(), limits.window(), clock);
        this.serverWide = new FailureRateLimiter(limits.serverWideFailures(), limits.serverWideWindow(), clock);
        this.hashing = new Semaphore(limits.concurrentHashes(), true);
        this.hashWait = limits.hashWait();
    }

    /** The key of a (user name, address) pair; a NUL cannot occur in either, so pairs never collide. */
    static String key(String username, String address) {
        return "login:" + username + "\u0000" + address;
    }

    /**
     * Lets one attempt in, already counted as a failure everywhere, holding a hashing slot; 429 {@code
     * too_many_attempts} with {@code Retry-After} otherwise, having counted nothing.
     */
    Attempt begin(String username, String address) throws ApiException {
        String key = key(username, address);
        Reservation own = perUserAndAddress.tryReserve(key);
        if (!own.granted()) {
            throw tooMany("too many failed logins for this user from this address", own.retryAfter());
        }
        Reservation global = serverWide.tryReserve(SERVER_WIDE);
        if (!global.granted()) {
            perUserAndAddress.release(own);
            throw tooMany("too many failed logins on this server", global.retryAfter());
        }
        boolean acquired;
        try {
            acquired = hashing.tryAcquire(hashWait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            acquired = false;
        }
        if (!acquired) {
            perUserAndAddress.release(own);
            serverWide.release(global);
            throw tooMany("the server is busy checking other logins", Duration.ofSeconds(1));
        }
        return new Attempt(key, global);
    }

    private static ApiException tooMany(String why, Duration wait) {
        long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
        return new ApiException(429, "too_many_attempts", why + "; try again in " + seconds + " s")
                .withHeader("Retry-After", Long.toString(seconds));
    }

    /** One admitted attempt: close it when the password has been checked. */
    final class Attempt implements AutoCloseable {
        private final String key;
        private final Reservation global;
        private boolean closed;

        private Attempt(String key, Reservation global) {
            this.key = key;
            this.global = global;
        }

        /** The password was right: the pair's failures are forgotten and the server-wide budget gets this one back. */
        void succeeded() {
            perUserAndAddress.succeeded(key);
            serverWide.release(global);
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                hashing.release();
            }
        }
    }
}
