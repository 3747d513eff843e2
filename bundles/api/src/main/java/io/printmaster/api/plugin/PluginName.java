package io.printmaster.api.plugin;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * The human-readable name of a plugin, as the console and {@code GET /api/v1/plugins} show it. Put it on a plugin
 * component next to its type annotation:
 *
 * <pre>{@code
 * @Component(service = ReleaseSource.class)
 * @ReleaseSourceType(type = "github")
 * @PluginName("GitHub releases")
 * public class GitHubReleaseSource implements ReleaseSource { ... }
 * }</pre>
 *
 * It becomes the service property {@value #PROPERTY}. A plugin without it is listed by its type or component
 * name.
 */
@ComponentPropertyType
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface PluginName {

    /** Service property holding a plugin's human-readable name ({@code String}). */
    String PROPERTY = "printmaster.plugin.name";

    /**
     * Declarative Services rule: a single-element annotation {@code PluginName} maps to the property
     * {@code plugin.name}, which this prefix turns into {@value #PROPERTY}.
     */
    String PREFIX_ = "printmaster.";

    /** The name, such as {@code "GitHub releases"}. */
    String value();
}
