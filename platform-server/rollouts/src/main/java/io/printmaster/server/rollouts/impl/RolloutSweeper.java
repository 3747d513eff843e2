package io.printmaster.server.rollouts.impl;

import io.printmaster.server.fleets.api.Fleet;
import io.printmaster.server.fleets.api.FleetDirectory;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every {@code sweep_seconds}: frees slots held past {@code slot_timeout_seconds} (the agent counts as failed,
 * {@code SLOT_TIMEOUT}), opens waves whose delay passed, completes or ends rollouts, and creates the automatic
 * rollouts that are due, so all of this happens without agent traffic too. Each step is idempotent and guarded by
 * conditional updates, so sweeps of several server processes may overlap.
 */
@Component(service = RolloutSweeper.class, immediate = true, configurationPid = RolloutSettings.PID)
@Designate(ocd = RolloutsConfiguration.class)
public class RolloutSweeper {
    private static final Logger LOG = LoggerFactory.getLogger(RolloutSweeper.class);
    static final String COMPONENT = "agent";

    private final RolloutStore store;
    private final AutomaticRollouts automatic;
    private final FleetDirectory fleets;
    private final RolloutAdmission admission;
    private final ScheduledExecutorService executor;

    @Activate
    public RolloutSweeper(@Reference RolloutStore store, @Reference AutomaticRollouts automatic,
                          @Reference FleetDirectory fleets, RolloutsConfiguration configuration) {
        this(store, automatic, fleets, RolloutSettings.of(configuration), true);
    }

    RolloutSweeper(RolloutStore store, AutomaticRollouts automatic, FleetDirectory fleets, RolloutSettings settings,
                   boolean scheduled) {
        this.store = store;
        this.automatic = automatic;
        this.fleets = fleets;
        this.admission = new RolloutAdmission(store, settings);
        if (scheduled) {
            executor = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "printmaster-rollouts-sweep");
                t.setDaemon(true);
                return t;
            });
            executor.scheduleWithFixedDelay(this::sweepLogged, settings.sweepSeconds(), settings.sweepSeconds(),
                    TimeUnit.SECONDS);
        } else {
            executor = null;
        }
    }

    @Deactivate
    void deactivate() {
        if (executor != null) {
            executor.shutdownNow();
        }
    }

    private void sweepLogged() {
        try {
            sweep();
        } catch (Exception e) {
            LOG.warn("rollout sweep failed; next in one interval: {}", e.toString());
        }
    }

    /** One pass (tests call it directly on their clock). */
    void sweep() throws Exception {
        List<String> ids = store.database().read(c -> RolloutRows.idsInStates(c,
                List.of(Rollout.RUNNING, Rollout.PAUSED, Rollout.ROLLING_BACK)));
        for (String id : ids) {
            Instant now = store.now();
            store.inTransaction(c -> {
                RolloutWrites.lock(c, id);
                admission.expireSlots(c, id, now);
                store.progress().evaluate(c, id, now);
                return null;
            });
        }
        for (Fleet fleet : fleets.list()) {
            automatic.sweepFleet(fleet.id(), COMPONENT);
        }
    }
}
