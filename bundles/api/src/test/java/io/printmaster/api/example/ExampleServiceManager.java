package io.printmaster.api.example;

import io.printmaster.api.service.ServiceManager;
import io.printmaster.api.service.ServiceManagerType;
import io.printmaster.api.service.ServiceStatus;
import java.time.Duration;
import org.osgi.service.component.annotations.Component;

/** Deliberately without {@code @PluginName}: the property must then be absent. */
@Component(service = ServiceManager.class)
@ServiceManagerType(name = "systemd")
public class ExampleServiceManager implements ServiceManager {

    @Override
    public String name() {
        return "systemd";
    }

    @Override
    public boolean detect() {
        return false;
    }

    @Override
    public ServiceStatus status(String service) {
        return ServiceStatus.UNKNOWN;
    }

    @Override
    public void start(String service, Duration timeout) {
    }

    @Override
    public void stop(String service, Duration timeout) {
    }

    @Override
    public void restart(String service, Duration timeout) {
    }
}
