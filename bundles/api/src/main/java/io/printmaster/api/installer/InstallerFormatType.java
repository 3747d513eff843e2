package io.printmaster.api.installer;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Marks an {@link InstallerFormat} component with its type: {@code @InstallerFormatType(type = "msi")} gives the
 * service property {@value InstallerFormat#TYPE}{@code =msi}.
 */
@ComponentPropertyType
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface InstallerFormatType {

    /** Declarative Services rule: prefixed to each element name, so {@code type} becomes {@value InstallerFormat#TYPE}. */
    String PREFIX_ = "printmaster.installer.format.";

    /** The format, such as {@code zip}, {@code tar.gz} or {@code msi}. */
    String type();
}
