package io.printmaster.api.signing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Marks a {@link SigningProvider} component with its name and algorithm:
 * {@code @SigningProviderType(name = "bouncycastle")} gives the service properties
 * {@value SigningProvider#NAME}{@code =bouncycastle} and {@value SigningProvider#ALGORITHM}{@code =Ed25519}.
 */
@ComponentPropertyType
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface SigningProviderType {

    /** Declarative Services rule: prefixed to each element name ({@code name} becomes {@value SigningProvider#NAME}). */
    String PREFIX_ = "printmaster.signing.provider.";

    /** The provider's name, such as {@code bouncycastle} or {@code jdk}. */
    String name();

    /** The algorithm implemented. */
    String algorithm() default SigningProvider.ED25519;
}
