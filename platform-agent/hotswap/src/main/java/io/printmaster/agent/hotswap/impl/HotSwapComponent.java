package io.printmaster.agent.hotswap.impl;

import io.printmaster.agent.hotswap.api.BundleSwapper;
import io.printmaster.agent.hotswap.api.PluginReplacement;
import io.printmaster.agent.hotswap.api.SelfSwap;
import io.printmaster.agent.hotswap.api.SwapOutcome;
import io.printmaster.agent.hotswap.api.SwapPlan;
import io.printmaster.agent.update.api.RunningRelease;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantLock;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link BundleSwapper} service. At activation it records which program bundles run
 * ({@code <data>/update/installed-bundles.json}, rebuilt from the program dir's jars when the file is from another
 * framework instance) and loads every class the swap needs, since a swap may replace this very bundle. It is also the
 * {@link RunningRelease}: the release recorded there, which each successful swap moves on.
 */
@Component(service = {BundleSwapper.class, RunningRelease.class}, immediate = true)
public class HotSwapComponent implements BundleSwapper, RunningRelease {
    private static final Logger LOG = LoggerFactory.getLogger(HotSwapComponent.class);

    private final SwapEngine engine;
    private final PluginSwapEngine plugins;
    private final String startedRelease;

    @Activate
    public HotSwapComponent(BundleContext context) throws IOException {
        Path data = Path.of(property(context, "pm.data.dir", null));
        String programDir = context.getProperty("pm.program.dir");
        Path program = Path.of(programDir != null && !programDir.isBlank() ? programDir
                : property(context, "pm.home", null));
        String uuid = property(context, Constants.FRAMEWORK_UUID, null);
        this.startedRelease = property(context, "pm.version", "0.0.0");
        Path updateDir = data.resolve("update");
        Path installedFile = updateDir.resolve("installed-bundles.json");

        preloadOwnClasses(context.getBundle());
        boolean healthChecks = preloadHealthChecks();
        if (InstalledBundles.read(installedFile, uuid).isEmpty()) {
            // a new process: the launcher installed the program dir's set, whatever an earlier process swapped
            SwapJournal.closeInterrupted(updateDir.resolve("hotswap.json"), program);
            // a plugin replacement cut short: the update worker puts the previous jar back (its run marker says which)
            SwapJournal.closeInterrupted(updateDir.resolve("plugin-swap.json"), program);
            InstalledBundles fromProgram = InstalledBundles.fromProgramDir(uuid, startedRelease,
                    program);
            fromProgram.write(installedFile);
            LOG.info("recorded the {} program bundles of {} in {}", fromProgram.bundles().size(), program,
                    installedFile);
        }
        // The system bundle's context stays valid whatever bundle is replaced, this one included.
        BundleContext system = context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).getBundleContext();
        HealthGate gate = new HealthGate(system, healthChecks);
        ReentrantLock oneAtATime = new ReentrantLock();
        this.engine = new SwapEngine(system, updateDir, uuid, gate, oneAtATime, CrashPoints.fromEnvironment());
        this.plugins = new PluginSwapEngine(system, updateDir, gate, oneAtATime);
    }

    @Override
    public SwapOutcome swap(SwapPlan plan) throws InterruptedException {
        return engine.swap(plan);
    }

    @Override
    public SwapOutcome replacePlugin(PluginReplacement replacement) throws InterruptedException {
        return plugins.replace(replacement);
    }

    @Override
    public String version() {
        return engine.runningRelease().orElse(startedRelease);
    }

    private static String property(BundleContext context, String name, String fallback) {
        String value = context.getProperty(name);
        if (value == null || value.isBlank()) {
            if (fallback == null) {
                throw new IllegalStateException("framework property " + name + " is not set");
            }
            return fallback;
        }
        return value;
    }

    /**
     * Loads every class of this bundle now. After a refresh that replaces this bundle, the running swap still executes
     * the old revision's code, whose class loader can no longer load classes it has not loaded yet.
     */
    private static void preloadOwnClasses(Bundle bundle) {
        int failed = SelfSwap.preloadClasses(bundle, "io/printmaster/agent/hotswap", HotSwapComponent.class.getClassLoader());
        if (failed > 0) {
            LOG.warn("{} classes of the hot-swap bundle could not be preloaded", failed);
        }
        // classes of other bundles the engine uses
        for (Class<?> c : HealthGate.USED_TYPES) {
            c.getName();
        }
        // The file helpers of the configuration bundle, which a swap may replace: loaded through this bundle's wiring
        // now; the journal write before the first bundle changes then loads every JDK class they use.
        for (Class<?> c : new Class<?>[] {io.printmaster.agent.files.AtomicFiles.class,
                io.printmaster.agent.files.Digests.class}) {
            c.getName();
        }
    }

    private static boolean preloadHealthChecks() {
        try {
            HealthChecks.preload();
            return true;
        } catch (NoClassDefFoundError e) {
            LOG.warn("Apache Felix Health Checks (org.apache.felix.healthcheck.api) are not installed: the hot-swap "
                    + "health gate runs no health checks");
            return false;
        }
    }
}
