package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.util.Map;
import java.util.UUID;
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
 * Password guessing is slowed down: after five failed logins from one address, further logins from it are refused
 * with 429, even with the right password. Its own class (its own server) because it blocks 127.0.0.1, from which
 * every other test logs in, for 15 minutes.
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
        ApiClient nobody = ApiClient.anonymous(context.getProperty("org.osgi.service.http.port"));
        nobody.awaitHealthy();
        String password = context.getProperty("pm.admin.password");

        for (int attempt = 1; attempt <= 5; attempt++) {
            ApiClient.Response r = nobody.post("/api/v1/auth/login", Map.of("username", "admin", "password", "wrong-" + attempt));
            assertEquals("unauthorized", r.assertError(401, "failed login " + attempt));
        }

        ApiClient.Response blocked = nobody.post("/api/v1/auth/login", Map.of("username", "admin", "password", password));
        assertEquals("too_many_attempts", blocked.assertError(429, "the right password after five failures"));
        assertTrue("says when to try again: " + blocked.body(), blocked.body().matches(".*try again in \\d+ s.*"));
        assertTrue("a Retry-After header says it to clients too", blocked.header("Retry-After") != null && Integer.parseInt(blocked.header("Retry-After")) > 0);

        // per address too: another user name from the same address is refused as well
        ApiClient.Response otherUser = nobody.post("/api/v1/auth/login", Map.of("username", "operator", "password", "whatever-1"));
        assertEquals("too_many_attempts", otherUser.assertError(429, "another user name from the blocked address"));
    }
}
