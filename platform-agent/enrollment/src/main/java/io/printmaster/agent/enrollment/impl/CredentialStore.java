package io.printmaster.agent.enrollment.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.printmaster.agent.enrollment.api.EnrolledAgent;
import io.printmaster.agent.files.AtomicFiles;
import io.printmaster.security.api.SecretBox;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's enrollment on disk, in {@code <data>/state/}: {@code agent-credential.sealed} (the credential sealed
 * with the {@link SecretBox}, whose master key is kept outside the data folder, so a copy of the data folder alone
 * does not open it; readable by the owner only) and {@code enrollment.json} (agent id, fleet id, server
 * URL, time; no secret). The sealed credential's associated data names its purpose and server, so a credential
 * sealed for one server never opens for another. Each file is written to a temporary file and moved into place, the
 * credential first: a crash leaves either the old enrollment or the new one, never half of one.
 */
final class CredentialStore {
    private static final Logger LOG = LoggerFactory.getLogger(CredentialStore.class);
    static final String CREDENTIAL_FILE = "agent-credential.sealed";
    static final String ENROLLMENT_FILE = "enrollment.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What is stored: who the agent is, and its credential. */
    record Stored(EnrolledAgent agent, String credential) {
        @Override
        public String toString() {
            return "Stored[" + agent + ", credential=(set)]";
        }
    }

    private final Path dir;
    private final SecretBox box;

    CredentialStore(Path stateDir, SecretBox box) {
        this.dir = stateDir;
        this.box = box;
    }

    Path credentialFile() {
        return dir.resolve(CREDENTIAL_FILE);
    }

    Path enrollmentFile() {
        return dir.resolve(ENROLLMENT_FILE);
    }

    static byte[] associatedData(URI serverUrl) {
        return ("agent-credential:" + serverUrl).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The stored enrollment for {@code serverUrl}; empty when there is none, when it is for another server, or when
     * it cannot be read or opened (then it is logged: the agent enrolls again rather than stopping).
     */
    Optional<Stored> load(URI serverUrl) {
        JsonNode doc;
        try {
            doc = JSON.readTree(Files.readAllBytes(enrollmentFile()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            LOG.warn("{} is unreadable ({}); the agent enrolls again", enrollmentFile(), e.getMessage());
            return Optional.empty();
        }
        EnrolledAgent agent;
        try {
            agent = new EnrolledAgent(doc.path("agent_id").asText(null), doc.path("fleet_id").asText(null),
                    URI.create(doc.path("server_url").asText("")), Instant.parse(doc.path("enrolled_at").asText("")));
        } catch (RuntimeException e) {
            LOG.warn("{} is incomplete ({}); the agent enrolls again", enrollmentFile(), e.getMessage());
            return Optional.empty();
        }
        if (!agent.serverUrl().equals(serverUrl)) {
            LOG.info("the stored enrollment is for {}, the agent is now configured for {}: it enrolls with the new server",
                    agent.serverUrl(), serverUrl);
            return Optional.empty();
        }
        try {
            byte[] plain = box.open(Files.readAllBytes(credentialFile()), associatedData(serverUrl));
            return Optional.of(new Stored(agent, new String(plain, StandardCharsets.UTF_8)));
        } catch (NoSuchFileException e) {
            LOG.warn("{} is missing; the agent enrolls again", credentialFile());
        } catch (IOException e) {
            LOG.warn("{} is unreadable ({}); the agent enrolls again", credentialFile(), e.getMessage());
        } catch (GeneralSecurityException e) {
            LOG.warn("{} does not open with this agent's master key (the key file beside the data folder, or "
                    + "PM_MASTER_KEY / --master-key-file, was replaced, or the file was altered or copied from "
                    + "elsewhere); the agent enrolls again", credentialFile());
        }
        return Optional.empty();
    }

    void save(Stored stored) throws IOException, GeneralSecurityException {
        Files.createDirectories(dir);
        byte[] sealed = box.seal(stored.credential().getBytes(StandardCharsets.UTF_8),
                associatedData(stored.agent().serverUrl()));
        AtomicFiles.writeOwnerOnly(credentialFile(), sealed);
        ObjectNode doc = JSON.createObjectNode();
        doc.put("agent_id", stored.agent().agentId());
        doc.put("fleet_id", stored.agent().fleetId());
        doc.put("server_url", stored.agent().serverUrl().toString());
        doc.put("enrolled_at", stored.agent().enrolledAt().toString());
        // no secret in it, but every file of the data folder is the owner's only (0600)
        AtomicFiles.writeOwnerOnly(enrollmentFile(), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(doc));
    }

    /** Forgets the enrollment (the server no longer accepts the credential). */
    void discard() throws IOException {
        Files.deleteIfExists(enrollmentFile());
        Files.deleteIfExists(credentialFile());
    }
}
