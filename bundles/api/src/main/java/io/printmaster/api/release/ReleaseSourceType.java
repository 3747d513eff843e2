package io.printmaster.api.release;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Marks a {@link ReleaseSource} component with its kind: {@code @ReleaseSourceType(type = "github")} gives the
 * service property {@value ReleaseSource#TYPE}{@code =github}, which consumers filter on.
 */
@ComponentPropertyType
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface ReleaseSourceType {

    /** Declarative Services rule: prefixed to each element name, so {@code type} becomes {@value ReleaseSource#TYPE}. */
    String PREFIX_ = "printmaster.release.source.";

    /** The kind of source, such as {@code github}, {@code http-feed} or {@code directory}. */
    String type();
}
