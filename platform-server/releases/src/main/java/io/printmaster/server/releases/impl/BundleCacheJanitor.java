package io.printmaster.server.releases.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the bundle cache to the jars of the agent archives still recorded: retention drops old versions (and their
 * recorded contents, by cascade), and this removes the jars no remaining version lists. It runs a minute after the
 * server starts and then every {@code interval_hours}; a jar written after the run read the store is kept.
 */
@Component(immediate = true, configurationPid = BundleCacheJanitor.PID)
@Designate(ocd = BundleCacheJanitor.Config.class)
public class BundleCacheJanitor {
    static final String PID = "io.printmaster.server.releases.bundlecache";
    private static final Logger LOG = LoggerFactory.getLogger(BundleCacheJanitor.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long FIRST_RUN_DELAY_MINUTES = 1;
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    @ObjectClassDefinition(name = "PrintMaster bundle cache clean-up",
            description = "How often jars of agent versions no longer kept are removed from the bundle cache.")
    public @interface Config {
        @AttributeDefinition(min = "1", description = "Hours between clean-ups (at least 1).")
        int interval__hours() default 24;
    }

    private final ReleaseStore store;
    private final BundleCache cache;
    private final Clock clock;
    private final ScheduledExecutorService executor;

    @Activate
    public BundleCacheJanitor(@Reference ReleaseStore store, @Reference BundleCache cache, Config config) {
        // the executor starts its thread with the first task: a refused configuration leaves none behind
        this(store, cache, Clock.systemUTC());
        executor.scheduleWithFixedDelay(this::runQuietly, FIRST_RUN_DELAY_MINUTES,
                TimeUnit.HOURS.toMinutes(intervalHours(config)), TimeUnit.MINUTES);
    }

    private static int intervalHours(Config config) {
        if (config.interval__hours() < 1) {
            throw new IllegalArgumentException(PID + ": interval_hours must be at least 1, was " + config.interval__hours());
        }
        return config.interval__hours();
    }

    /** Without a schedule (tests call {@link #run}). */
    BundleCacheJanitor(ReleaseStore store, BundleCache cache, Clock clock) {
        this.store = store;
        this.cache = cache;
        this.clock = clock;
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pm-bundle-cache-janitor");
            t.setDaemon(true);
            return t;
        });
    }

    @Deactivate
    void stop() {
        executor.shutdownNow();
        try {
            // a clean-up in progress ends at its next file: let it, so it does not outlive the store it reads
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One clean-up: what the recorded agent archives list stays, every other jar older than this run goes. */
    BundleCache.Removed run() throws SQLException, IOException {
        Instant started = clock.instant();
        Set<String> inUse = new HashSet<>();
        for (String list : store.agentBundleLists()) {
            JsonNode bundles = JSON.readTree(list);
            if (!bundles.isArray()) {
                throw new IOException("a recorded bundle list is not a JSON array; nothing is removed");
            }
            for (JsonNode bundle : bundles) {
                String sha256 = bundle.path("sha256").asText("");
                if (!SHA256_HEX.matcher(sha256).matches()) {
                    // a list this code cannot read must not make its jars look unused
                    throw new IOException("a recorded bundle list has an entry without a valid sha256; nothing is removed");
                }
                inUse.add(sha256);
            }
        }
        BundleCache.Removed removed = cache.removeAllBut(inUse, started);
        if (removed.files() > 0) {
            LOG.info("bundle cache: removed {} jar(s), {} bytes, that no kept agent version lists", removed.files(),
                    removed.bytes());
        }
        return removed;
    }

    private void runQuietly() {
        try {
            run();
        } catch (SQLException | IOException | RuntimeException e) {
            LOG.warn("the bundle cache clean-up failed; it runs again at its next interval: {}", e.toString());
        }
    }
}
