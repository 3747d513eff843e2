package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;

/**
 * Password guessing is slowed down: after five failed logins of one user name from one address, further logins of
 * that name from it are refused with 429, even with the right password, while the same name from another address and
 * other names from that address still log in; concurrent guesses are counted before they are evaluated. Its own class
 * (its own server) because it blocks the administrator on 127.0.0.1, from which every other test logs in.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class LoginRateLimitIT {

    @Inject
    BundleContext context;

    @Configuration
    public Option[] config() {
        return OptionUtils.combine(ServerContainer.options(ServerContainer.newDataDir("ratelimit"), ServerContainer.freePort()),
                frameworkProperty("pm.admin.password").value("itest-" + UUID.randomUUID()));
    }

    @Test
    public void repeatedFailedLoginsAreAnswered429() throws Exception {
        ApiClient nobody = ApiClient.anonymous(port());
        nobody.awaitHealthy();
        String password = context.getProperty("pm.admin.password");

        ApiClient.Response tooLong = nobody.post("/api/v1/auth/login", Map.of("username", "a".repeat(65), "password", "x"));
        assertEquals("invalid_field", tooLong.assertError(400, "a 65-character user name"));
        assertEquals("username", ((Map<?, ?>) tooLong.json().get("error")).get("field"));

        for (int attempt = 1; attempt <= 5; attempt++) {
            ApiClient.Response r = nobody.post("/api/v1/auth/login", Map.of("username", "admin", "password", "wrong-" + attempt));
            assertEquals("unauthorized", r.assertError(401, "failed login " + attempt));
        }

        ApiClient.Response blocked = nobody.post("/api/v1/auth/login", Map.of("username", "admin", "password", password));
        assertEquals("too_many_attempts", blocked.assertError(429, "the right password after five failures"));
        assertTrue("says when to try again: " + blocked.body(), blocked.body().matches(".*try again in \\d+ s.*"));
        assertTrue("a Retry-After header says it to clients too", blocked.header("Retry-After") != null && Integer.parseInt(blocked.header("Retry-After")) > 0);

        // the lockout is per (user name, address): the guesser cannot lock the administrator out of another address
        assertEquals("the administrator from 127.0.0.2", 200, loginFrom("127.0.0.2", "admin", password));
        assertEquals("the blocked pair is still blocked", 429, loginFrom("127.0.0.1", "admin", password));
        ApiClient.Response otherUser = nobody.post("/api/v1/auth/login", Map.of("username", "operator", "password", "whatever-1"));
        assertEquals("another user name from that address is checked", "unauthorized", otherUser.assertError(401, "operator"));
    }

    @Test
    public void concurrentGuessesAreCountedBeforeTheyAreEvaluated() throws Exception {
        ApiClient nobody = ApiClient.anonymous(port());
        nobody.awaitHealthy();
        int guesses = 30;
        ExecutorService pool = Executors.newFixedThreadPool(guesses);
        CountDownLatch go = new CountDownLatch(1);
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        try {
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < guesses; i++) {
                int guess = i;
                all.add(pool.submit(() -> {
                    go.await();
                    int status = nobody.post("/api/v1/auth/login", Map.of("username", "racer", "password", "guess-" + guess)).status();
                    statuses.computeIfAbsent(status, k -> new AtomicInteger()).incrementAndGet();
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : all) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals("guesses evaluated (401): " + statuses, 5, statuses.get(401).get());
        assertEquals("guesses refused unevaluated (429): " + statuses, guesses - 5, statuses.get(429).get());
    }

    private String port() {
        return context.getProperty("org.osgi.service.http.port");
    }

    /**
     * Logs in from a chosen loopback address (the server listens on 127.0.0.1; any 127.x address reaches it),
     * which the JDK 17 HTTP client cannot choose; returns the status.
     */
    private int loginFrom(String localAddress, String username, String password) throws Exception {
        byte[] body = ("{\"username\":\"" + username + "\",\"password\":\"" + password + "\"}").getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName(localAddress), 0));
            socket.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), Integer.parseInt(port())), 5_000);
            socket.setSoTimeout(15_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            String statusLine = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            assertTrue("an HTTP answer: " + statusLine, statusLine != null && statusLine.startsWith("HTTP/1.1 "));
            return Integer.parseInt(statusLine.substring(9, 12));
        }
    }
}
