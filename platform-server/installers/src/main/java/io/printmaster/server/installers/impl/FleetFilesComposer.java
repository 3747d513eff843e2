package io.printmaster.server.installers.impl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.api.installer.FleetFile;
import io.printmaster.api.installer.FleetFiles;
import io.printmaster.core.policy.UpdatePolicy;
import io.printmaster.server.signing.api.AgentTrust;
import io.printmaster.server.signing.api.SigningKey;
import io.printmaster.server.signing.api.TrustStatement;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The fleet files (docs/api.md#installers), written into every installer:
 * <ul>
 *   <li>{@code etc/fleet.json} (0644): server URL, fleet id and name, the policy snapshot and its source, the CA
 *   bundle's file name (or null), when it was generated, and, only when true, {@code tls_pinned} and
 *   {@code allow_insecure_http} ({@link AgentTransport});</li>
 *   <li>{@code etc/join-token} (0600): the join token and a newline;</li>
 *   <li>{@code etc/ca-bundle.pem} (0644): only when the server is configured with one;</li>
 *   <li>{@code etc/trust.json} (0644): only what a new agent must trust (docs/manifests.md, "Trust statements"): the
 *   active key, the offline root when one is configured, the statements the agent needs (the active key's delegation
 *   under a root) and the trust version they stand for; never a retired or revoked key.</li>
 *   <li>{@code etc/release.json} (0644): the release the installer installs, with its signed {@code release_counter}
 *   (only when its manifest is signed): a fresh agent starts its replay counter there, so it cannot be rolled back
 *   below the release it was installed with.</li>
 * </ul>
 * JSON is UTF-8, compact, one object followed by a newline.
 */
final class FleetFilesComposer {
    static final String FLEET_JSON = "etc/fleet.json";
    static final String JOIN_TOKEN = "etc/join-token";
    static final String CA_BUNDLE = "etc/ca-bundle.pem";
    static final String TRUST_JSON = "etc/trust.json";
    static final String RELEASE_JSON = "etc/release.json";
    static final String CA_BUNDLE_NAME = "ca-bundle.pem";

    private static final ObjectMapper JSON = new ObjectMapper();

    private FleetFilesComposer() {
    }

    /**
     * Everything that goes into the fleet files.
     *
     * @param caBundlePem the PEM text of the CA bundle, or null for none
     */
    record Inputs(String serverUrl, String fleetId, String fleetName, UpdatePolicy policy, String policySource,
                  String caBundlePem, String joinToken, AgentTrust trust, InstalledRelease release,
                  AgentTransport transport) {
        /** Without a say on transport: the agent trusts the system's CAs plus the CA bundle, and refuses remote http. */
        Inputs(String serverUrl, String fleetId, String fleetName, UpdatePolicy policy, String policySource,
               String caBundlePem, String joinToken, AgentTrust trust, InstalledRelease release) {
            this(serverUrl, fleetId, fleetName, policy, policySource, caBundlePem, joinToken, trust, release,
                    AgentTransport.DEFAULT);
        }

        Inputs {
            Objects.requireNonNull(transport, "transport");
            Objects.requireNonNull(serverUrl, "serverUrl");
            Objects.requireNonNull(fleetId, "fleetId");
            Objects.requireNonNull(fleetName, "fleetName");
            Objects.requireNonNull(policy, "policy");
            Objects.requireNonNull(policySource, "policySource");
            Objects.requireNonNull(joinToken, "joinToken");
            Objects.requireNonNull(trust, "trust");
        }

        /** Without the installed release (no signed manifest yet: no {@code etc/release.json}). */
        Inputs(String serverUrl, String fleetId, String fleetName, UpdatePolicy policy, String policySource,
               String caBundlePem, String joinToken, AgentTrust trust) {
            this(serverUrl, fleetId, fleetName, policy, policySource, caBundlePem, joinToken, trust, null,
                    AgentTransport.DEFAULT);
        }

        @Override
        public String toString() {
            return "Inputs[" + fleetId + ", " + serverUrl + "]"; // never the token
        }
    }

    /** The agent release an installer installs and the {@code release_counter} its signed manifest carries. */
    record InstalledRelease(String version, long releaseCounter) {
        InstalledRelease {
            Objects.requireNonNull(version, "version");
        }
    }

    /** The fleet files, {@code generated_at} set to {@code generatedAt}. */
    static FleetFiles compose(Inputs in, Instant generatedAt) {
        List<FleetFile> files = new ArrayList<>();
        Map<String, Object> fleet = new LinkedHashMap<>();
        fleet.put("server_url", in.serverUrl());
        fleet.put("fleet_id", in.fleetId());
        fleet.put("fleet_name", in.fleetName());
        fleet.put("policy", in.policy());
        fleet.put("policy_source", in.policySource());
        fleet.put("ca_bundle", in.caBundlePem() == null ? null : CA_BUNDLE_NAME);
        in.transport().writeTo(fleet);
        fleet.put("generated_at", generatedAt.toString());
        files.add(FleetFile.of(FLEET_JSON, json(fleet)));
        files.add(FleetFile.secret(JOIN_TOKEN, (in.joinToken() + "\n").getBytes(StandardCharsets.UTF_8)));
        if (in.caBundlePem() != null) {
            files.add(FleetFile.of(CA_BUNDLE, in.caBundlePem().getBytes(StandardCharsets.US_ASCII)));
        }
        files.add(FleetFile.of(TRUST_JSON, json(trustView(in.trust()))));
        if (in.release() != null) {
            Map<String, Object> release = new LinkedHashMap<>();
            release.put("component", "agent");
            release.put("version", in.release().version());
            release.put("release_counter", in.release().releaseCounter());
            files.add(FleetFile.of(RELEASE_JSON, json(release)));
        }
        return FleetFiles.of(files);
    }

    /** Whether a fleet file is a secret: it goes into the per-download tail, never into a cached base. */
    static boolean isSecret(String path) {
        return JOIN_TOKEN.equals(path);
    }

    /** The fleet files without the secrets: what a cached base of an appendable format holds. */
    static FleetFiles publicFiles(Inputs in, Instant generatedAt) {
        return FleetFiles.of(compose(in, generatedAt).files().stream().filter(f -> !isSecret(f.path())).toList());
    }

    /** Only the secret fleet files (the join token): the tail of an appendable format, made per download. */
    static FleetFiles secretFiles(Inputs in) {
        return FleetFiles.of(compose(in, Instant.EPOCH).files().stream().filter(f -> isSecret(f.path())).toList());
    }

    /**
     * The configuration hash of a cache key: SHA-256 over every fleet file's path, mode and bytes, with
     * {@code generated_at} fixed, so the same configuration always hashes the same, and any change (a new token, a
     * new policy, a rotated key, another server URL or CA bundle) gives a new hash.
     */
    static String configurationHash(Inputs in) {
        return hash(compose(in, Instant.EPOCH));
    }

    /**
     * The configuration hash of a base's cache key: as {@link #configurationHash} over the {@link #publicFiles} only,
     * so every join token of a fleet shares one base, and any other change gives a new one.
     */
    static String publicConfigurationHash(Inputs in) {
        return hash(publicFiles(in, Instant.EPOCH));
    }

    private static String hash(FleetFiles files) {
        MessageDigest md = ChunkedEncryption.sha256();
        for (FleetFile f : files.files()) {
            byte[] path = f.path().getBytes(StandardCharsets.UTF_8);
            md.update(ByteBuffer.allocate(12).putInt(path.length).putInt(f.mode()).putInt(f.size()).array());
            md.update(path);
            md.update(f.content());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static Map<String, Object> keyView(SigningKey k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", k.id());
        m.put("algorithm", k.algorithm());
        m.put("public_key_pem", k.publicKeyPem());
        m.put("active", k.active());
        m.put("created_at", k.createdAt().toString());
        m.put("rotated_at", k.rotatedAt() == null ? null : k.rotatedAt().toString());
        return m;
    }

    /**
     * {@code etc/trust.json}: {@code format}, {@code trust_version}, {@code keys} (the active key only),
     * {@code root} (or null) and {@code statements} in the check-in's {@code trust_statements} form.
     */
    static Map<String, Object> trustView(AgentTrust t) {
        Map<String, Object> trust = new LinkedHashMap<>();
        trust.put("format", "printmaster.trust.v2");
        trust.put("trust_version", t.trustVersion());
        trust.put("keys", List.of(keyView(t.activeKey())));
        if (t.root() == null) {
            trust.put("root", null);
        } else {
            Map<String, Object> root = new LinkedHashMap<>();
            root.put("id", t.root().id());
            root.put("public_key_pem", t.root().publicKeyPem());
            trust.put("root", root);
        }
        trust.put("statements", t.statements().stream().map(FleetFilesComposer::statementView).toList());
        return trust;
    }

    private static Map<String, Object> statementView(TrustStatement s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sequence", s.sequence());
        m.put("type", s.type());
        m.put("key_id", s.keyId());
        m.put("statement", s.statementText());
        m.put("statement_base64", Base64.getEncoder().encodeToString(s.statement()));
        m.put("signature", Base64.getEncoder().encodeToString(s.signature()));
        return m;
    }

    private static byte[] json(Object value) {
        try {
            byte[] body = JSON.writeValueAsBytes(value);
            byte[] withNewline = new byte[body.length + 1];
            System.arraycopy(body, 0, withNewline, 0, body.length);
            withNewline[body.length] = '\n';
            return withNewline;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the fleet files as JSON", e);
        }
    }
}
