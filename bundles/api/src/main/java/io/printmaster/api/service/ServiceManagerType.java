package io.printmaster.api.service;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Marks a {@link ServiceManager} component with its name: {@code @ServiceManagerType(name = "systemd")} gives the
 * service property {@value ServiceManager#NAME}{@code =systemd}.
 */
@ComponentPropertyType
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface ServiceManagerType {

    /** Declarative Services rule: prefixed to each element name ({@code name} becomes {@value ServiceManager#NAME}). */
    String PREFIX_ = "printmaster.service.manager.";

    /** The manager's name: {@code systemd}, {@code windows}, {@code launchd}, {@code process} or a vendor's. */
    String name();
}
