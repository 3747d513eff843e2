package io.printmaster.server.agents.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.store.Signal;
import io.printmaster.store.SignalListener;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Push to agents on this replica: turns the cluster signals that concern agents into push events for the agents'
 * long polls ({@link UpdateWaitResource}) held in a {@link WaiterRegistry}.
 *
 * <ul>
 *   <li>{@code agent.command} (scope: agent) → {@code {"type":"command","command_id","command"}} to that agent;</li>
 *   <li>{@code rollout.state} (scope: fleet) with state {@code aborted} or {@code rolling_back} →
 *       {@code {"type":"abort","rollout_id","state"}} to the fleet's agents: an agent in the middle of the
 *       rollout's update must learn at once that the offer is gone. Other states (started, paused, resumed,
 *       completed, superseded) are not pushed: a paused rollout lets running updates finish, and waking a whole
 *       fleet when a rollout starts would defeat its waves; the next poll brings them;</li>
 *   <li>{@code fleet.policy} (scope: fleet, or null for the server-wide policy) → {@code {"type":"policy","fleet_id"}}
 *       to the fleet's agents, or to every waiting agent;</li>
 *   <li>{@code agent.credential} (scope: agent) ends that agent's wait without events (its next wait is refused).</li>
 * </ul>
 * Events are hints: an agent answers each with a check-in, which stays the source of truth.
 */
@Component(service = {UpdatePush.class, SignalListener.class}, configurationPid = UpdatePush.PID,
        property = {SignalListener.TOPICS + "=" + UpdatePush.AGENT_COMMAND,
                SignalListener.TOPICS + "=" + UpdatePush.ROLLOUT_STATE,
                SignalListener.TOPICS + "=" + UpdatePush.FLEET_POLICY,
                SignalListener.TOPICS + "=" + UpdatePush.AGENT_CREDENTIAL})
@Designate(ocd = UpdatePush.Config.class)
public class UpdatePush implements SignalListener {
    static final String PID = "io.printmaster.server.agents.push";
    static final String AGENT_COMMAND = "agent.command";
    static final String ROLLOUT_STATE = "rollout.state";
    static final String FLEET_POLICY = "fleet.policy";
    static final String AGENT_CREDENTIAL = "agent.credential";
    /** How long a push event is kept for agents that reconnect with a cursor: the signals' own retention. */
    static final long REPLAY_MILLIS = io.printmaster.store.ClusterSignals.RETENTION_SECONDS * 1000;
    static final int MAX_RECENT_EVENTS = 100_000;
    private static final Logger LOG = LoggerFactory.getLogger(UpdatePush.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    @ObjectClassDefinition(name = "PrintMaster push to agents")
    public @interface Config {
        @AttributeDefinition(description = "Most agents' waits (GET /api/v1/agents/update/wait) held at once on this "
                + "replica; beyond, 503 with Retry-After and the agent keeps to its polling.")
        int max__waits() default 20_000;

        @AttributeDefinition(description = "Longest a wait is held without events before it is answered 204 (seconds, "
                + "1 to 55). A reverse proxy's read timeout must be longer (nginx: proxy_read_timeout 75s).")
        int max__wait__seconds() default 55;
    }

    private final WaiterRegistry registry;
    private final ExecutorService waker;
    private final int maxWaitSeconds;

    @Activate
    public UpdatePush(Config config) {
        if (config.max__waits() < 0) {
            throw new IllegalArgumentException("max_waits: must be 0 or more, not " + config.max__waits());
        }
        if (config.max__wait__seconds() < 1 || config.max__wait__seconds() > 55) {
            throw new IllegalArgumentException("max_wait_seconds: must be 1 to 55, not " + config.max__wait__seconds());
        }
        this.maxWaitSeconds = config.max__wait__seconds();
        // one thread wakes the waiters (answers are written without blocking): a signal's listener returns at once
        this.waker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "pm-push-waker");
            t.setDaemon(true);
            return t;
        });
        this.registry = new WaiterRegistry(config.max__waits(), REPLAY_MILLIS, MAX_RECENT_EVENTS,
                System::currentTimeMillis, waker);
    }

    @Deactivate
    void deactivate() {
        waker.shutdownNow();
    }

    WaiterRegistry registry() {
        return registry;
    }

    int maxWaitSeconds() {
        return maxWaitSeconds;
    }

    @Override
    public void signalled(Signal signal) {
        try {
            switch (signal.topic()) {
                case AGENT_COMMAND -> {
                    if (signal.scope() != null) {
                        JsonNode p = payload(signal);
                        Map<String, Object> e = new LinkedHashMap<>();
                        e.put("type", "command");
                        e.put("command_id", p.path("command_id").asText(null));
                        e.put("command", p.path("type").asText(null));
                        registry.publish(signal.seq(), WaiterRegistry.Scope.AGENT, signal.scope(), e);
                    }
                }
                case ROLLOUT_STATE -> {
                    JsonNode p = payload(signal);
                    String state = p.path("state").asText("");
                    if (signal.scope() != null && ("aborted".equals(state) || "rolling_back".equals(state))) {
                        Map<String, Object> e = new LinkedHashMap<>();
                        e.put("type", "abort");
                        e.put("rollout_id", p.path("rollout_id").asText(null));
                        e.put("state", state);
                        registry.publish(signal.seq(), WaiterRegistry.Scope.FLEET, signal.scope(), e);
                    }
                }
                case FLEET_POLICY -> {
                    Map<String, Object> e = new LinkedHashMap<>();
                    e.put("type", "policy");
                    e.put("fleet_id", signal.scope());
                    registry.publish(signal.seq(), signal.scope() == null ? WaiterRegistry.Scope.ALL
                            : WaiterRegistry.Scope.FLEET, signal.scope(), e);
                }
                case AGENT_CREDENTIAL -> {
                    if (signal.scope() != null) {
                        waker.execute(() -> registry.endAgent(signal.scope()));
                    }
                }
                default -> {
                    // not ours
                }
            }
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            // deactivating: the waits end with the server
        }
    }

    private static JsonNode payload(Signal signal) {
        if (signal.payload() == null) {
            return JSON.missingNode();
        }
        try {
            return JSON.readTree(signal.payload());
        } catch (java.io.IOException e) {
            LOG.warn("signal {} #{} has an unreadable payload; pushed without details", signal.topic(), signal.seq());
            return JSON.missingNode();
        }
    }
}
