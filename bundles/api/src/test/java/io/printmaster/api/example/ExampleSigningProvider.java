package io.printmaster.api.example;

import io.printmaster.api.plugin.PluginName;
import io.printmaster.api.signing.KeyMaterial;
import io.printmaster.api.signing.SigningException;
import io.printmaster.api.signing.SigningProvider;
import io.printmaster.api.signing.SigningProviderType;
import org.osgi.service.component.annotations.Component;

@Component(service = SigningProvider.class)
@SigningProviderType(name = "bouncycastle")
@PluginName("Example signer")
public class ExampleSigningProvider implements SigningProvider {

    @Override
    public String algorithm() {
        return ED25519;
    }

    @Override
    public KeyMaterial generateKeyPair() throws SigningException {
        throw new SigningException("an example only");
    }

    @Override
    public byte[] sign(byte[] privateKey, byte[] message) throws SigningException {
        throw new SigningException("an example only");
    }

    @Override
    public boolean verify(byte[] publicKey, byte[] message, byte[] signature) {
        return false;
    }
}
