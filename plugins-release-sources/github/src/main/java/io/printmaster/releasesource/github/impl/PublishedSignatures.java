package io.printmaster.releasesource.github.impl;

import io.printmaster.api.release.ReleaseAsset;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The signature files ({@code <asset>.minisig}, {@code <asset>.sig}) a release publishes beside its assets, as the
 * latest listing named them, looked up by the asset's download URL when the intake asks the source to verify it.
 */
final class PublishedSignatures {
    /** A signature published beside an asset. */
    record Ref(String name, URI url) {
    }

    private final Map<URI, List<Ref>> byAsset = new ConcurrentHashMap<>();

    /** Signatures published beside assets: minisign's {@code .minisig} and SSH signatures ({@code .sig}). */
    static boolean isSignatureFileName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".minisig") || n.endsWith(".sig");
    }

    /**
     * Records one release's listing: each asset's own signature files among {@code refs}. They replace what an
     * earlier listing recorded (a re-uploaded {@code .sig} has a new URL).
     */
    void listed(List<ReleaseAsset> assets, List<Ref> refs) {
        for (ReleaseAsset asset : assets) {
            byAsset.put(asset.downloadUrl(), refs.stream()
                    .filter(r -> r.name().equals(asset.name() + ".minisig") || r.name().equals(asset.name() + ".sig"))
                    .toList());
        }
    }

    /** Whether a listing of this process named the asset (after a restart none has yet). */
    boolean knows(ReleaseAsset asset) {
        return byAsset.containsKey(asset.downloadUrl());
    }

    /** The asset's signature file called {@code name}, as the latest listing named it. */
    Optional<Ref> find(ReleaseAsset asset, String name) {
        return byAsset.getOrDefault(asset.downloadUrl(), List.of()).stream().filter(r -> r.name().equals(name))
                .findFirst();
    }
}
