package io.printmaster.agent.worker.impl;

import io.printmaster.core.wire.UpdateOffer;
import io.printmaster.agent.enrollment.api.EnrolledAgent;
import io.printmaster.agent.enrollment.api.Enrollment;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;

/**
 * Where releases come from and why they are trusted: the server's offers verified against the trust anchors
 * ({@code <home>/etc/trust.json} as the trust statements changed it, {@link TrustStore}) and this agent's platform and release counters, and the server's address and
 * credential for the downloads. Every path (full install, hot swap, plugin) verifies through here.
 */
final class ReleaseSource {
    /** The component of the agent's own releases. */
    static final String AGENT = "agent";

    private final AgentHost host;
    private final Enrollment enrollment;
    private final ManifestVerifier verifier;

    ReleaseSource(AgentHost host, Enrollment enrollment, ManifestVerifier verifier) {
        this.host = host;
        this.enrollment = enrollment;
        this.verifier = verifier;
    }

    /**
     * The signed manifest of an agent release offer, verified (signature, platform, replay counter). The counter is
     * the highest this agent installed, and never below the one its installer carried ({@code etc/release.json}): a
     * fresh agent cannot be rolled back below the release it was installed with.
     */
    VerifiedManifest verifyAgent(UpdateOffer offer, Instant now) throws UpdateFailure {
        long floor = InstallerReleaseFloor.read(host.layout().installedReleaseFile());
        PersistentState state = host.files().state();
        if (floor > state.releaseCounter()) {
            try {
                host.files().saveState(state.withCounter(floor)); // kept even if the file goes away
            } catch (IOException e) {
                throw new UpdateFailure("MANIFEST_ERROR", "cannot record the installer's release counter " + floor
                        + ": " + e.getMessage());
            }
        }
        VerifiedManifest m = verify(offer, AGENT, Math.max(floor, state.releaseCounter()), now);
        if (m.downgrade()) {
            acceptDowngrade(m, state);
        }
        return m;
    }

    /**
     * A rollback manifest takes the agent back only along the way it came: through a rollout it took part in
     * ({@link PersistentState#rollouts()}), from the version that rollout installed, to the version that ran before.
     * Anything else is refused, so a signed rollback of another rollout (or of another agent's path) cannot move this
     * agent to an older release.
     *
     * @throws UpdateFailure {@code MANIFEST_ERROR} naming which condition failed
     */
    private void acceptDowngrade(VerifiedManifest m, PersistentState state) throws UpdateFailure {
        String rollout = m.downgradeOf();
        PersistentState.RolloutParticipation p = state.rollout(rollout).orElseThrow(() -> new UpdateFailure(
                "MANIFEST_ERROR", "the downgrade to " + m.version() + " is bound to rollout " + rollout + ", which "
                + "this agent did not update through; refused"));
        if (!m.version().equals(p.fromVersion())) {
            throw new UpdateFailure("MANIFEST_ERROR", "the downgrade of rollout " + rollout + " is to " + m.version()
                    + ", but this agent came to " + p.toVersion() + " from " + p.fromVersion() + "; refused");
        }
        String running = host.runningRelease();
        if (!running.equals(p.toVersion())) {
            throw new UpdateFailure("MANIFEST_ERROR", "the downgrade of rollout " + rollout + " applies to agents "
                    + "running " + p.toVersion() + ", which it installed here; this agent runs " + running + "; refused");
        }
    }

    /** The signed manifest of a plugin release offer, verified against that plugin's own replay counter. */
    VerifiedManifest verifyPlugin(UpdateOffer offer, String component, Instant now) throws UpdateFailure {
        VerifiedManifest m = verify(offer, component, host.files().state().pluginCounter(component), now);
        if (m.downgrade()) {
            throw new UpdateFailure("MANIFEST_ERROR", "the manifest of plugin " + component + " is a downgrade: "
                    + "rollbacks exist only for the agent's own releases; refused");
        }
        return m;
    }

    private VerifiedManifest verify(UpdateOffer offer, String component, long counter, Instant now) throws UpdateFailure {
        return verifier.verify(manifestBytes(offer), offer.signature() == null ? "" : offer.signature(), trust(),
                new ManifestVerifier.Expectation(component, host.platform(), host.arch(), counter), now);
    }

    private static byte[] manifestBytes(UpdateOffer offer) throws UpdateFailure {
        try {
            return Base64.getDecoder().decode(offer.manifestBase64() == null ? "" : offer.manifestBase64());
        } catch (IllegalArgumentException e) {
            throw new UpdateFailure("MANIFEST_ERROR", "manifest_base64 is not base64");
        }
    }

    /** The installer's trust as the trust statements of the check-ins changed it ({@link TrustStore}). */
    private TrustAnchors trust() throws UpdateFailure {
        return TrustStore.of(host.layout(), verifier.signatures(), host.clock()).current();
    }

    /** Whether {@code file} holds exactly the bytes the manifest signed (a download finished before). */
    static boolean sameBytes(Path file, VerifiedManifest m) {
        try {
            ManifestVerifier.verifyBytes(file, m);
            return true;
        } catch (UpdateFailure | IOException e) {
            return false;
        }
    }

    /** Where the server is and how to authenticate to it, for one run's downloads. */
    record ServerAccess(URI url, Map<String, String> headers) {
        /** A path the server named, on the server: a download_url pointing elsewhere is refused. */
        URI resolve(String downloadUrl) throws UpdateFailure {
            if (downloadUrl.isBlank()) {
                throw new UpdateFailure("MANIFEST_ERROR", "the offer has no download_url");
            }
            URI u = URI.create(url.toString() + "/").resolve(downloadUrl.startsWith("/") ? downloadUrl.substring(1)
                    : downloadUrl);
            if (!u.getScheme().equals(url.getScheme()) || !String.valueOf(u.getAuthority()).equals(url.getAuthority())) {
                throw new UpdateFailure("MANIFEST_ERROR", "the download_url points away from the server: " + u);
            }
            return u;
        }
    }

    ServerAccess serverAccess() throws UpdateFailure {
        EnrolledAgent agent = enrollment.current().orElseThrow(() -> new UpdateFailure("SERVER_ERROR",
                "the agent is not enrolled any more"));
        String credential = enrollment.credential().orElseThrow(() -> new UpdateFailure("SERVER_ERROR",
                "the agent has no credential any more"));
        return new ServerAccess(agent.serverUrl(), Map.of("Authorization", "Bearer " + credential));
    }
}
