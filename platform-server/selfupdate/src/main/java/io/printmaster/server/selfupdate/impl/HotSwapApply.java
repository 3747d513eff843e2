package io.printmaster.server.selfupdate.impl;

import io.printmaster.agent.hotswap.api.BundleSwapper;
import io.printmaster.agent.hotswap.api.PlannedBundle;
import io.printmaster.agent.hotswap.api.SelfSwap;
import io.printmaster.agent.hotswap.api.SwapOutcome;
import io.printmaster.agent.hotswap.api.SwapPlan;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hot-swap apply on the agent's shared engine ({@link BundleSwapper}): the plan is the staged slot's complete
 * {@code bundle/} folder; the engine swaps inside the running framework, runs its health gate (bundles active,
 * components satisfied again, Felix Health Checks, and the server's {@link ServerServesCheck}) and puts the previous
 * bundles back on failure. This bundle may be in the plan: its classes are loaded before the swap and, after it, only
 * objects built before are used (files, then the caller's return). Only this class touches the engine's API, so the
 * bundle runs (restart mode only) where the engine is not installed.
 */
final class HotSwapApply {
    static final String SWAPPER = "io.printmaster.agent.hotswap.api.BundleSwapper";
    private static final Logger LOG = LoggerFactory.getLogger(HotSwapApply.class);

    private HotSwapApply() {
    }

    /** Whether the engine runs in this framework. */
    static boolean available(BundleContext context) {
        return context.getServiceReference(SWAPPER) != null;
    }

    /** What the swap did, for the run's detail and the caller. */
    record Result(boolean swapped, String code, String message, Map<String, Object> detail) {
    }

    /** Loads this bundle's classes now: the swap may replace this bundle, after which they could not be loaded. */
    static void preload(Bundle own) {
        int failed = SelfSwap.preloadClasses(own, "io/printmaster/server/selfupdate", HotSwapApply.class.getClassLoader());
        if (failed > 0) {
            LOG.warn("{} classes of the selfupdate bundle could not be preloaded before the hot swap", failed);
        }
    }

    static List<PlannedBundle> plan(Path bundleFolder) throws IOException {
        List<PlannedBundle> plan = new ArrayList<>();
        try (Stream<Path> jars = Files.list(bundleFolder)) {
            for (Path jar : jars.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList()) {
                String name;
                String version;
                try (JarFile j = new JarFile(jar.toFile())) {
                    Attributes main = j.getManifest() == null ? null : j.getManifest().getMainAttributes();
                    name = main == null ? null : main.getValue("Bundle-SymbolicName");
                    version = main == null ? null : main.getValue("Bundle-Version");
                }
                if (name == null) {
                    throw new IOException(jar + " is not an OSGi bundle (no Bundle-SymbolicName)");
                }
                int semicolon = name.indexOf(';');
                plan.add(new PlannedBundle((semicolon < 0 ? name : name.substring(0, semicolon)).strip(),
                        version == null ? "0.0.0" : version.strip(), sha256(jar), jar));
            }
        }
        return plan;
    }

    /**
     * Swaps and maps the outcome: {@code SWAPPED}; {@code ROLLED_BACK} to {@code SWAP_FAILED} when a bundle of the new
     * set did not start (cannot resolve, activator failed), else {@code HEALTH_CHECK_FAILED}; {@code ROLLBACK_FAILED}
     * to {@code SWAP_FAILED} with {@code restart_needed}.
     */
    static Result swap(BundleContext context, Bundle own, StagedRelease release, Duration healthTimeout)
            throws IOException, InterruptedException, SelfUpdateFailure {
        List<PlannedBundle> plan = plan(release.slot().resolve("bundle"));
        ServiceReference<?> ref = context.getServiceReference(SWAPPER);
        Object service = ref == null ? null : context.getService(ref);
        if (!(service instanceof BundleSwapper swapper)) {
            throw new SelfUpdateFailure("SWAP_FAILED", "the hot-swap engine (io.printmaster.agent.hotswap) does not run");
        }
        preload(own);
        SwapOutcome outcome;
        try {
            outcome = swapper.swap(new SwapPlan(release.fromVersion(), release.toVersion(), plan, healthTimeout));
        } catch (IllegalStateException e) {
            throw new SelfUpdateFailure("SWAP_FAILED", "the hot swap to " + release.toVersion() + " cannot begin: "
                    + e.getMessage() + " (nothing was changed)", e);
        }
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("mode", ServerReleaseApplier.HOT_SWAP);
        detail.put("bundles_changed", outcome.changed());
        detail.put("swap_ms", outcome.swapMillis());
        detail.put("downtime_ms", outcome.downtimeMillis());
        return switch (outcome.result()) {
            case SWAPPED -> new Result(true, null, "hot-swapped " + outcome.changed().size() + " bundle(s) from "
                    + release.fromVersion() + " to " + release.toVersion() + " without a restart", detail);
            case ROLLED_BACK -> {
                String check = outcome.failingCheck();
                String code = check != null && check.startsWith("bundle ") ? "SWAP_FAILED" : "HEALTH_CHECK_FAILED";
                yield new Result(false, code, release.toVersion() + " failed the hot-swap gate (" + check
                        + "); the bundles of " + release.fromVersion() + " run again", detail);
            }
            case ROLLBACK_FAILED -> {
                detail.put("restart_needed", true);
                yield new Result(false, "SWAP_FAILED", release.toVersion() + " failed the hot-swap gate and the "
                        + "previous bundles did not come back healthy (" + outcome.failingCheck() + "); the server "
                        + "restarts into " + release.fromVersion(), detail);
            }
        };
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /**
     * The release the engine says runs (it moves on with each swap), for a process whose bundles were hot-swapped
     * since it started ({@code pm.version} still names the version it started as); empty without the engine.
     */
    static java.util.Optional<String> runningRelease(BundleContext context) {
        ServiceReference<?> ref = context.getServiceReference("io.printmaster.agent.update.api.RunningRelease");
        if (ref == null) {
            return java.util.Optional.empty();
        }
        try {
            return context.getService(ref) instanceof io.printmaster.agent.update.api.RunningRelease r
                    ? java.util.Optional.ofNullable(r.version()) : java.util.Optional.empty();
        } finally {
            context.ungetService(ref);
        }
    }
}
