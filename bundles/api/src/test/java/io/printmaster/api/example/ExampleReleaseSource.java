package io.printmaster.api.example;

import io.printmaster.api.plugin.PluginName;
import io.printmaster.api.release.ReleaseAsset;
import io.printmaster.api.release.ReleasePage;
import io.printmaster.api.release.ReleaseSource;
import io.printmaster.api.release.ReleaseSourceType;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import org.osgi.service.component.annotations.Component;

@Component(service = ReleaseSource.class)
@ReleaseSourceType(type = "example-feed")
@PluginName("Example feed")
public class ExampleReleaseSource implements ReleaseSource {

    @Override
    public ReleasePage releases(Optional<String> pageToken) {
        return ReleasePage.last(List.of());
    }

    @Override
    public Optional<InputStream> open(ReleaseAsset asset) {
        return Optional.empty();
    }
}
