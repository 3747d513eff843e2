package io.printmaster.api.example;

import io.printmaster.api.installer.Availability;
import io.printmaster.api.installer.FleetFiles;
import io.printmaster.api.installer.InstallerEntry;
import io.printmaster.api.installer.InstallerFormat;
import io.printmaster.api.installer.InstallerFormatException;
import io.printmaster.api.installer.InstallerFormatType;
import io.printmaster.api.plugin.PluginName;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.osgi.service.component.annotations.Component;

@Component(service = InstallerFormat.class)
@InstallerFormatType(type = "msi")
@PluginName("Example MSI")
public class ExampleInstallerFormat implements InstallerFormat {

    @Override
    public String type() {
        return "msi";
    }

    @Override
    public Availability availability() {
        return Availability.unavailable("an example only");
    }

    @Override
    public void repackage(Path officialArtifact, FleetFiles fleetFiles, Path output) throws InstallerFormatException {
        throw new InstallerFormatException("an example only");
    }

    @Override
    public List<InstallerEntry> entries(Path installer) {
        return List.of();
    }

    @Override
    public Optional<byte[]> readBack(Path installer, String path) {
        return Optional.empty();
    }
}
