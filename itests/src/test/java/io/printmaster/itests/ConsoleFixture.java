package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.openqa.selenium.By;

/** What the console's browser tests share: logging in through the page, agents enrolled over the API, closing down. */
final class ConsoleFixture {
    private ConsoleFixture() {
    }

    /** Logs in as admin through the login page and waits for the page it lands on, titled {@code landing}. */
    static void logIn(Browser browser, ServerProcess server, String landing) {
        browser.open("/login");
        browser.visible(By.id("login-password"));
        browser.typeById("login-username", "admin");
        browser.typeById("login-password", server.adminPassword());
        browser.click("login-submit");
        browser.awaitPage(landing);
    }

    /** An agent enrolled with a fresh join token of {@code fleet}, as the real agent enrolls. */
    record EnrolledAgent(String id, ApiClient client) {
    }

    static EnrolledAgent enroll(ApiClient admin, ApiClient anonymous, String fleet, String hostname, String version)
            throws Exception {
        ApiClient.Response token = admin.post("/api/v1/fleets/" + fleet + "/join-tokens", Map.of());
        assertEquals(201, token.status(), token.body());
        Map<String, Object> enroll = new LinkedHashMap<>();
        enroll.put("join_token", token.json().get("token"));
        enroll.put("hostname", hostname);
        enroll.put("platform", "linux");
        enroll.put("arch", "amd64");
        enroll.put("current_version", version);
        ApiClient.Response enrolled = anonymous.post("/api/v1/agents/enroll", enroll);
        assertEquals(201, enrolled.status(), enrolled.body());
        return new EnrolledAgent((String) enrolled.json().get("agent_id"),
                anonymous.withToken((String) enrolled.json().get("credential")));
    }

    /** Closes the browser, then the server, whatever fails first. */
    static void close(Browser browser, ServerProcess server) throws Exception {
        try {
            if (browser != null) {
                browser.close();
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }
}
