package io.printmaster.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repository's {@code Dockerfile} and {@code docker-compose.yml}, checked without a Docker daemon: the archive
 * the image is made from exists, the image's ENTRYPOINT and ENV start the unpacked server (as the image would, with
 * its paths mapped to a temporary folder), its HEALTHCHECK command answers 0 against that running server and 1 when
 * nothing answers, and the compose file is YAML with the services, health checks, database URL and volumes the
 * admin guide describes, its server health check the image's own.
 */
class ContainerFilesIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String IMAGE_PROGRAM = "/opt/printmaster-server";

    @TempDir
    Path work;

    static Path workspace() {
        return Path.of(System.getProperty("pm.workspace", ".."));
    }

    /** The Dockerfile with its continuation lines joined. */
    static List<String> dockerfile() throws IOException {
        List<String> lines = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String raw : Files.readAllLines(workspace().resolve("Dockerfile"))) {
            if (current.isEmpty() && (raw.isBlank() || raw.startsWith("#"))) {
                continue;
            }
            if (raw.endsWith("\\")) {
                current.append(raw, 0, raw.length() - 1).append(' ');
            } else {
                lines.add(current.append(raw).toString().strip());
                current.setLength(0);
            }
        }
        return lines;
    }

    static String instruction(String name) throws IOException {
        List<String> found = dockerfile().stream().filter(l -> l.startsWith(name + " ")).toList();
        assertEquals(1, found.size(), "one " + name + " in the Dockerfile: " + found);
        return found.get(0).substring(name.length() + 1).strip();
    }

    /** A JSON array (exec form) after an optional prefix such as "CMD". */
    static List<String> execForm(String text) throws IOException {
        List<String> list = new ArrayList<>();
        JSON.readTree(text.substring(text.indexOf('['))).forEach(n -> list.add(n.asText()));
        return list;
    }

    static List<String> healthCheck() throws IOException {
        String healthcheck = instruction("HEALTHCHECK");
        assertTrue(healthcheck.contains("CMD ["), "exec form, no shell needed: " + healthcheck);
        return execForm(healthcheck.substring(healthcheck.indexOf("CMD ")));
    }

    @Test
    void theImagesEntrypointStartsTheServerAndItsHealthCheckFollowsIt() throws Exception {
        String version = ServerDistributionIT.version();
        // ADD: the archive the image is made from is what the build wrote
        String add = instruction("ADD").split("\\s+")[0].replace("${PM_VERSION}", version).replace("${TARGETARCH}", "amd64");
        Path archive = workspace().resolve(add);
        assertTrue(Files.isRegularFile(archive), "the Dockerfile adds " + add + ", which the build must write");
        assertTrue(instruction("USER").startsWith("10001"), "not root");
        assertEquals("[\"/var/lib/printmaster\"]", instruction("VOLUME"));

        // the image's file system, in a temporary folder: the archive unpacked and renamed as the RUN step does
        Path opt = work.resolve("opt");
        Path unpacked = ServerDistributionIT.unpack(opt);
        Path program = Files.move(unpacked, opt.resolve("printmaster-server"));
        Path volume = Files.createDirectories(work.resolve("var/lib/printmaster"));

        Map<String, String> env = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(\\w+)=(\\S+)").matcher(instruction("ENV"));
        while (m.find()) {
            env.put(m.group(1), m.group(2).replace("/var/lib/printmaster", volume.toString()));
        }
        assertEquals(volume.resolve("data").toString(), env.get("PM_DATA_DIR"), "the data folder is in the volume");
        assertEquals("1", env.get("PM_DISABLE_SELFUPDATE"), "containers update by image");
        int port = freePort();
        env.put("PM_PORT", Integer.toString(port));
        env.put("PM_BIND", "127.0.0.1"); // the image listens on all interfaces; the test machine's loopback is enough

        List<String> healthCheck = new ArrayList<>();
        for (String arg : healthCheck()) {
            healthCheck.add(arg.equals("java") ? Path.of(System.getProperty("java.home"), "bin", "java").toString()
                    : arg.replace(IMAGE_PROGRAM, program.toString()));
        }
        assertEquals(1, run(healthCheck, env).code(), "nothing listens yet: unhealthy");

        List<String> entrypoint = new ArrayList<>();
        for (String arg : execForm(instruction("ENTRYPOINT"))) {
            entrypoint.add(arg.replace(IMAGE_PROGRAM, program.toString()));
        }
        entrypoint.addAll(execForm(instruction("CMD")));
        Path log = work.resolve("image-server.log");
        ProcessBuilder builder = new ProcessBuilder(entrypoint).directory(volume.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("PM_"));
        builder.environment().putAll(env);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process server = builder.start();
        try {
            Eventually.within(Duration.ofSeconds(120), () -> {
                assertTrue(server.isAlive(), "the server exited: " + Files.readString(log));
                Result probe = run(healthCheck, env);
                assertEquals(0, probe.code(), probe.output());
            });
            assertTrue(server.toHandle().info().command().orElse("").endsWith("/java"),
                    "the entrypoint's shell exec'd the JVM (PID 1 in the container gets SIGTERM)");
            assertTrue(Files.isRegularFile(volume.resolve("data/initial-admin-password")), "state in the volume");
            assertTrue(Files.isRegularFile(volume.resolve("data.keys/master.key")), "the master key in the volume too");
        } finally {
            server.destroy();
            assertTrue(server.waitFor(60, TimeUnit.SECONDS), "SIGTERM stops it");
        }
        // (the launcher's "stopped" line races the JVM's exit: the shutdown hook's lines are the clean stop's proof)
        String out = Files.readString(log);
        assertTrue(out.contains("stopping PrintMaster server") && out.contains("store closed"), out);
        Result after = run(healthCheck, env);
        assertEquals(1, after.code(), "stopped: unhealthy again: " + after.output());
    }

    @Test
    void theComposeFileRunsTheServerOnPostgresqlWithHealthChecksAndVolumes() throws Exception {
        JsonNode compose = new ObjectMapper(new YAMLFactory()).readTree(workspace().resolve("docker-compose.yml").toFile());
        JsonNode services = compose.get("services");
        JsonNode db = services.get("db");
        JsonNode server = services.get("server");
        assertTrue(db.get("image").asText().startsWith("postgres:"), db.toString());
        assertTrue(db.get("healthcheck").get("test").toString().contains("pg_isready"), db.toString());
        assertEquals("service_healthy", server.get("depends_on").get("db").get("condition").asText());
        assertEquals(".", server.get("build").get("context").asText(), "built from this repository's Dockerfile");

        String url = server.get("environment").get("PM_DATABASE_URL").asText();
        String withPassword = url.replaceAll("\\$\\{PM_DB_PASSWORD[^}]*}", "0123abcd");
        // the form --database / PM_DATABASE_URL documents: postgresql://user:password@host:port/database
        Matcher parts = Pattern.compile("postgresql://([^:@/]+):([^@/]+)@db:5432/([^?/]+)").matcher(withPassword);
        assertTrue(parts.matches(), url);
        assertEquals(db.get("environment").get("POSTGRES_USER").asText(), parts.group(1));
        assertEquals(db.get("environment").get("POSTGRES_DB").asText(), parts.group(3));
        assertEquals(db.get("environment").get("POSTGRES_PASSWORD").asText(), url.substring(url.indexOf("${"),
                url.indexOf('}') + 1), "one password variable for both");

        List<String> test = new ArrayList<>();
        server.get("healthcheck").get("test").forEach(n -> test.add(n.asText()));
        List<String> expected = new ArrayList<>(List.of("CMD"));
        expected.addAll(healthCheck());
        assertEquals(expected, test, "the server's health check is the image's");
        assertTrue(server.get("ports").toString().contains("8080:8080"), server.toString());
        assertTrue(server.get("volumes").toString().contains("server-data:/var/lib/printmaster"), server.toString());
        assertTrue(compose.get("volumes").has("server-data") && compose.get("volumes").has("db-data"), compose.toString());
        assertEquals("unless-stopped", server.get("restart").asText(), "exit 75 (restart) and crashes restart it");
    }

    record Result(int code, String output) {
    }

    private Result run(List<String> command, Map<String, String> env) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true);
        builder.environment().keySet().removeIf(k -> k.startsWith("PM_"));
        builder.environment().putAll(env);
        Process p = builder.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the health check did not end");
        return new Result(p.exitValue(), output);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
