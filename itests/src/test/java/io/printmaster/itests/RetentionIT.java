package io.printmaster.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.store.Database;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Calendar;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TimeZone;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;
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
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Retention against the real server: {@code GET /api/v1/audit/export} streams JSON Lines (every line parsed, the
 * fields of {@code GET /api/v1/audit}), refuses a bad {@code before} naming it, refuses a token without
 * {@code audit.read}, and gives a token restricted to a fleet only that fleet's entries; the sweep, configured through
 * Configuration Admin (PID {@code io.printmaster.server.retention}), writes the entries older than {@code audit_days}
 * to a file in {@code export_dir} (read back here) and only then deletes them.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RetentionIT {
    private static final String PID = "io.printmaster.server.retention";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    BundleContext context;

    @Inject
    ConfigurationAdmin configurationAdmin;

    @Configuration
    public Option[] config() throws Exception {
        Path data = ServerContainer.newDataDir("retention");
        return OptionUtils.combine(ServerContainer.options(data, ServerContainer.freePort()),
                frameworkProperty("pm.admin.password").value("itest-" + UUID.randomUUID()),
                frameworkProperty("pm.releases.builtin").value("off"));
    }

    @Test
    public void exportsStreamsAndSweepsTheAuditLog() throws Exception {
        Path exportDir = Path.of(context.getProperty("pm.data.dir")).resolve("archive-test");
        org.osgi.service.cm.Configuration configuration = configurationAdmin.getConfiguration(PID, "?");
        // no sweep while the test sets the log up
        configuration.update(settings(exportDir, 3600));

        String port = context.getProperty("org.osgi.service.http.port");
        ApiClient anonymous = ApiClient.anonymous(port);
        anonymous.awaitHealthy();
        ApiClient admin = anonymous.login(context.getProperty("pm.admin.password"));
        AgentsPagingIT.awaitRoute(admin, "/api/v1/audit/export");
        for (String fleet : List.of("ra", "rb")) {
            assertEquals(201, admin.post("/api/v1/fleets", Map.of("id", fleet, "name", fleet)).status());
        }

        ApiClient.Response export = admin.get("/api/v1/audit/export");
        assertEquals(export.body(), 200, export.status());
        assertTrue(export.header("Content-Type"), export.header("Content-Type").startsWith("application/x-ndjson"));
        assertTrue(export.header("Content-Disposition"),
                export.header("Content-Disposition").matches("attachment; filename=\"audit-before-\\d{8}T\\d{6}Z\\.jsonl\""));
        List<JsonNode> lines = lines(export.body());
        assertTrue("the fleets and the login are there: " + export.body(), lines.size() >= 3);
        long previous = 0;
        for (JsonNode line : lines) {
            assertEquals(line.toString(), Set.of("id", "at", "actor", "action", "target", "fleet", "before", "after"),
                    names(line));
            assertTrue("oldest first", line.get("id").asLong() > previous);
            previous = line.get("id").asLong();
            Instant.parse(line.get("at").asText());
        }
        assertTrue(lines.stream().anyMatch(l -> "fleet:ra".equals(l.get("target").asText())
                && "ra".equals(l.get("after").get("id").asText())));
        assertEquals("nothing before the first entry", "",
                admin.get("/api/v1/audit/export?before=2000-01-01T00:00:00Z").body());

        ApiClient.Response bad = admin.get("/api/v1/audit/export?before=yesterday");
        assertEquals("invalid_field", bad.assertError(400, "bad before"));
        assertEquals("before", ((Map<?, ?>) bad.json().get("error")).get("field"));
        ApiClient noScope = anonymous.withToken(admin.createToken("no-audit", List.of("fleets.read"), null));
        noScope.get("/api/v1/audit/export").assertError(403, "without audit.read");
        ApiClient onlyRa = anonymous.withToken(admin.createToken("audit-ra", List.of("audit.read"), List.of("ra")));
        List<JsonNode> seenByRa = lines(onlyRa.get("/api/v1/audit/export").body());
        assertFalse(seenByRa.isEmpty());
        assertTrue(seenByRa.toString(), seenByRa.stream().allMatch(l -> "ra".equals(l.get("fleet").asText())));

        // the entries so far are two years old: the sweep exports and deletes them
        List<Long> old = new ArrayList<>();
        lines(admin.get("/api/v1/audit/export").body()).forEach(l -> old.add(l.get("id").asLong()));
        Database db = context.getService(context.getServiceReference(Database.class));
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE AUDIT_LOG SET OCCURRED_AT = ? WHERE ID <= ?")) {
                ps.setTimestamp(1, Timestamp.from(Instant.now().minus(Duration.ofDays(730))),
                        Calendar.getInstance(TimeZone.getTimeZone("UTC")));
                ps.setLong(2, old.get(old.size() - 1));
                return ps.executeUpdate();
            }
        });
        configuration.update(settings(exportDir, 0));
        try {
            Eventually.within(Duration.ofSeconds(60), () -> assertEquals(1, jsonlFiles(exportDir).size()));
            Path file = jsonlFiles(exportDir).get(0);
            List<Long> archived = new ArrayList<>();
            lines(Files.readString(file)).forEach(l -> archived.add(l.get("id").asLong()));
            assertEquals("every old entry, in the file, once", old, archived);
            Eventually.within(Duration.ofSeconds(30), () -> {
                List<JsonNode> left = lines(admin.get("/api/v1/audit/export").body());
                assertTrue(left.toString(), left.stream().noneMatch(l -> old.contains(l.get("id").asLong())));
                assertTrue(left.toString(), left.stream().anyMatch(l -> "retention.sweep".equals(l.get("action").asText())
                        && l.get("after").get("audit_entries").asLong() == old.size()));
            });
            try (Stream<Path> s = Files.list(exportDir)) {
                assertEquals("no marker, no partial file left", List.of(file), s.toList());
            }

            // a bad value is refused, not replaced: no sweep, and health names the setting until it is corrected
            Hashtable<String, Object> refused = settings(exportDir, 0);
            refused.put("audit_days", 0);
            configuration.update(refused);
            Eventually.within(Duration.ofSeconds(30), () -> {
                ApiClient.Response health = anonymous.get("/api/v1/health");
                assertEquals(health.body(), 503, health.status());
                assertTrue(health.body(), health.body().contains("audit_days must be at least 1, was 0"));
            });
            configuration.update(settings(exportDir, 3600));
            anonymous.awaitHealthy();
        } finally {
            configuration.delete();
        }
    }

    private static Hashtable<String, Object> settings(Path exportDir, int firstRunDelaySeconds) {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("audit_days", 365);
        p.put("export_dir", exportDir.toString());
        p.put("first_run_delay_seconds", firstRunDelaySeconds);
        return p;
    }

    private static List<JsonNode> lines(String body) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : body.split("\n")) {
            if (!line.isEmpty()) {
                out.add(JSON.readTree(line));
            }
        }
        return out;
    }

    private static Set<String> names(JsonNode n) {
        Set<String> s = new TreeSet<>();
        n.fieldNames().forEachRemaining(s::add);
        return s;
    }

    private static List<Path> jsonlFiles(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".jsonl")).toList();
        }
    }
}
