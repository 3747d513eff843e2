package io.printmaster.agent.worker.impl;

import io.printmaster.api.service.ServiceManager;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.osgi.framework.Constants;

/** The service managers that may restart this agent, in the order the OSGi rule ranks them. */
final class ServiceManagers {
    /** By ranking, highest first (ties: older service first). */
    private final ConcurrentSkipListMap<Long, ServiceManager> managers = new ConcurrentSkipListMap<>();
    private final Map<ServiceManager, Long> keys = new ConcurrentHashMap<>();

    void add(ServiceManager manager, Map<String, Object> props) {
        int ranking = props.get(Constants.SERVICE_RANKING) instanceof Integer r ? r : 0;
        long id = props.get(Constants.SERVICE_ID) instanceof Long l ? l : 0L;
        // highest ranking first, then the lowest service id (the OSGi rule)
        long key = ((long) -ranking << 32) + (id & 0xffffffffL);
        keys.put(manager, key);
        managers.put(key, manager);
    }

    void remove(ServiceManager manager) {
        Long key = keys.remove(manager);
        if (key != null) {
            managers.remove(key);
        }
    }

    /** The managers now, best first. */
    List<ServiceManager> ranked() {
        return List.copyOf(managers.values());
    }
}
