package io.printmaster.server.signing.impl;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration PID {@value SigningKeyStore#PID}, file {@code etc/io.printmaster.server.signing.cfg}. */
@ObjectClassDefinition(name = "PrintMaster signing",
        description = "Which signing provider signs manifests and rotation statements.")
@interface SigningConfiguration {

    @AttributeDefinition(name = "Signing provider",
            description = "The printmaster.signing.provider.name of the SigningProvider to use: bouncycastle (default) "
                    + "or jdk, or a vendor's provider. Until a provider of that name is running, nothing is signed.")
    String provider() default ProviderSelection.DEFAULT_PROVIDER;
}
