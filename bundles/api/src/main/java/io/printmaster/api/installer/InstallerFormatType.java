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

    /**
     * The format of the official artifact this format repackages, when it differs from {@link #type()}: an MSI is
     * built from the Windows {@code zip}. Empty (the default) means the same as {@code type}. Gives the service
     * property {@value InstallerFormat#INPUT}.
     *
     * @since 1.1
     */
    String input() default "";
}
