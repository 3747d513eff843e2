package io.printmaster.server.releases.impl;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.api.version.SemanticVersion;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.ReleaseCatalog.ArtifactFilter;
import io.printmaster.server.releases.impl.ReleaseStore.AgentContentsRow;
import io.printmaster.server.signing.api.CanonicalJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import io.printmaster.core.wire.ManifestBundle;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hot-swap fields of the manifest of a program archive, an {@code agent} or a {@code server} artifact
 * ({@code bundles}, {@code runtime_sha256}, {@code restart_required}; docs/manifests.md): both components ship the
 * same program tree (bin/ lib/ bundle/ conf/ VERSION), read the same way. The archive is read once per artifact (the first time its manifest
 * is signed) and what it holds is kept in the release store, so renewal, which re-signs many manifests, costs a
 * database read per manifest, not an archive read.
 */
@Component(service = AgentContents.class)
public class AgentContents {
    static final String AGENT = "agent";
    /** The components whose archives are program trees; every other component's manifest lists no bundles. */
    static final Set<String> PROGRAM_COMPONENTS = Set.of(AGENT, "server");
    private static final Logger LOG = LoggerFactory.getLogger(AgentContents.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ReleaseStore store;
    private final ArtifactCache cache;
    private final Clock clock;

    @Activate
    public AgentContents(@Reference ReleaseStore store, @Reference ArtifactCache cache) {
        this(store, cache, Clock.systemUTC());
    }

    AgentContents(ReleaseStore store, ArtifactCache cache, Clock clock) {
        this.store = store;
        this.cache = cache;
        this.clock = clock;
    }

    /**
     * The manifest members this artifact adds: {@code bundles}, {@code runtime_sha256} and {@code restart_required}
     * for a readable agent or server archive; nothing for anything else (other components, msi, an archive that is
     * not a program tree), whose manifest keeps {@code "bundles":[]} and means "full install only".
     */
    Optional<HotSwapFields> manifestFields(Artifact artifact) throws SQLException {
        Optional<AgentArchive.Contents> contents = contents(artifact);
        if (contents.isEmpty()) {
            return Optional.empty();
        }
        String runtime = contents.get().runtimeSha256();
        boolean restartRequired = nextLower(artifact).map(lower -> !lower.runtimeSha256().equals(runtime)).orElse(true);
        List<ManifestBundle> bundles = new ArrayList<>();
        for (AgentArchive.Bundle b : contents.get().bundles()) {
            bundles.add(b.toManifestBundle());
        }
        return Optional.of(new HotSwapFields(bundles, runtime, restartRequired));
    }

    /** The manifest members of a program archive (see {@link #manifestFields}). */
    record HotSwapFields(List<ManifestBundle> bundles, String runtimeSha256, boolean restartRequired) {
        HotSwapFields {
            bundles = List.copyOf(bundles);
        }
    }

    /**
     * What the artifact's archive holds, read from the store or (the first time) from the cached archive; empty when
     * it is not a program archive, not readable, or its file is not in the cache (then it is tried again next time).
     */
    synchronized Optional<AgentArchive.Contents> contents(Artifact artifact) throws SQLException {
        if (!PROGRAM_COMPONENTS.contains(artifact.component()) || !AgentArchive.readable(artifact.format())) {
            return Optional.empty();
        }
        Optional<AgentContentsRow> known = store.agentContents(artifact.id());
        if (known.isPresent()) {
            return known.get().problem() != null ? Optional.empty() : Optional.of(parse(known.get()));
        }
        Optional<Path> file = cache.file(artifact.sha256());
        if (file.isEmpty()) {
            LOG.warn("{} {} {}-{} ({}): its archive is not in the cache; its manifest lists no bundles for now",
                    artifact.component(), artifact.version(), artifact.platform(), artifact.arch(), artifact.format());
            return Optional.empty();
        }
        Instant now = clock.instant();
        try {
            AgentArchive.Contents read = AgentArchive.read(file.get(), artifact.format());
            List<Map<String, Object>> objects = JSON.convertValue(
                    read.bundles().stream().map(AgentArchive.Bundle::toManifestBundle).toList(),
                    new com.fasterxml.jackson.core.type.TypeReference<List<Map<String, Object>>>() { });
            String json = new String(CanonicalJson.bytes(objects), StandardCharsets.UTF_8);
            store.saveAgentContents(new AgentContentsRow(artifact.id(), read.runtimeSha256(), json, null), now);
            return Optional.of(read);
        } catch (AgentArchive.NotAnAgentArchive | IOException e) {
            // the bytes were verified against the upstream checksum: what cannot be read now never can
            String problem = e instanceof IOException ? "cannot read the archive: " + e : e.getMessage();
            LOG.warn("{} {} {}-{} ({}) is not hot-swappable, its manifest lists no bundles: {}", artifact.component(),
                    artifact.version(),
                    artifact.platform(), artifact.arch(), artifact.format(), problem);
            store.saveAgentContents(new AgentContentsRow(artifact.id(), null, null, problem), now);
            return Optional.empty();
        }
    }

    /**
     * The contents of the next lower version of the same component, platform and arch that has readable contents
     * (the same format preferred when that version has several).
     */
    private Optional<AgentArchive.Contents> nextLower(Artifact artifact) throws SQLException {
        Optional<SemanticVersion> version = SemanticVersion.tryParse(artifact.version());
        if (version.isEmpty()) {
            return Optional.empty();
        }
        List<Artifact> lower = new ArrayList<>();
        for (Artifact a : store.artifacts(new ArtifactFilter(artifact.component(), null, artifact.platform(),
                artifact.arch(), null, null))) {
            Optional<SemanticVersion> v = SemanticVersion.tryParse(a.version());
            if (v.isPresent() && v.get().compareTo(version.get()) < 0) {
                lower.add(a);
            }
        }
        // newest version first (the store's order); within one version the artifact's own format first
        lower.sort(ReleaseStore.NEWEST_FIRST);
        List<Artifact> sameFormatFirst = new ArrayList<>();
        for (int i = 0; i < lower.size(); ) {
            int j = i;
            while (j < lower.size() && lower.get(j).version().equals(lower.get(i).version())) {
                j++;
            }
            List<Artifact> ofVersion = new ArrayList<>(lower.subList(i, j));
            ofVersion.sort((x, y) -> Boolean.compare(!x.format().equals(artifact.format()), !y.format().equals(artifact.format())));
            sameFormatFirst.addAll(ofVersion);
            i = j;
        }
        for (Artifact candidate : sameFormatFirst) {
            Optional<AgentArchive.Contents> c = contents(candidate);
            if (c.isPresent()) {
                return c;
            }
        }
        return Optional.empty();
    }

    private static AgentArchive.Contents parse(AgentContentsRow row) throws SQLException {
        try {
            List<Map<String, Object>> objects = JSON.readValue(row.bundlesJson(), new TypeReference<>() { });
            List<AgentArchive.Bundle> bundles = new ArrayList<>();
            for (Map<String, Object> o : objects) {
                bundles.add(new AgentArchive.Bundle((String) o.get("path"), (String) o.get("symbolic_name"),
                        (String) o.get("version"), (String) o.get("sha256"), ((Number) o.get("size_bytes")).longValue()));
            }
            return new AgentArchive.Contents(bundles, row.runtimeSha256());
        } catch (IOException | RuntimeException e) {
            throw new SQLException("the stored bundles of artifact " + row.artifactId() + " are unreadable: " + e, e);
        }
    }
}
