package io.printmaster.itests;

import io.printmaster.api.installer.Availability;
import io.printmaster.api.installer.FleetFile;
import io.printmaster.api.installer.FleetFiles;
import io.printmaster.api.installer.InstallerEntry;
import io.printmaster.api.installer.InstallerFormat;
import io.printmaster.api.installer.InstallerFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A test stand-in for the tar.gz installer format, used by {@link InstallersIT} only while the real one
 * ({@code io.printmaster.installer.tar}) is not in the server distribution: unpacks the official archive in memory,
 * refuses unsafe names, adds the fleet files under the top-level folder and writes a new archive.
 */
final class FixtureTarGzFormat implements InstallerFormat {

    @Override
    public String type() {
        return "tar.gz";
    }

    @Override
    public Availability availability() {
        return Availability.AVAILABLE;
    }

    @Override
    public void repackage(Path officialArtifact, FleetFiles fleetFiles, Path output) throws IOException, InstallerFormatException {
        List<TarGz.Entry> entries;
        try (InputStream in = Files.newInputStream(officialArtifact)) {
            entries = TarGz.read(in);
        }
        if (entries.isEmpty()) {
            throw new InstallerFormatException("the archive is empty");
        }
        String top = entries.get(0).name().split("/")[0];
        List<TarGz.Entry> out = new ArrayList<>();
        for (TarGz.Entry e : entries) {
            if (e.name().startsWith("/") || List.of(e.name().split("/")).contains("..")) {
                throw new InstallerFormatException("entry '" + e.name() + "' escapes the installation folder");
            }
            if (!e.name().startsWith(top + "/")) {
                throw new InstallerFormatException("entry '" + e.name() + "' is outside the top-level folder " + top);
            }
            String relative = e.name().substring(top.length() + 1);
            if (fleetFiles.get(relative).isEmpty()) {
                out.add(e);
            }
        }
        for (FleetFile f : fleetFiles.files()) {
            out.add(new TarGz.Entry(top + "/" + f.path(), f.content(), f.mode(), false));
        }
        Path tmp = output.resolveSibling(output.getFileName() + ".part");
        try {
            TarGz.write(tmp, out);
            Files.move(tmp, output, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Override
    public List<InstallerEntry> entries(Path installer) throws IOException {
        List<InstallerEntry> list = new ArrayList<>();
        try (InputStream in = Files.newInputStream(installer)) {
            for (TarGz.Entry e : TarGz.read(in)) {
                int slash = e.name().indexOf('/');
                String relative = e.name().substring(slash + 1).replaceAll("/$", "");
                if (!e.directory() && !relative.isEmpty()) {
                    list.add(new InstallerEntry(relative, e.content().length, OptionalInt.of(e.mode())));
                }
            }
        }
        return list;
    }

    @Override
    public Optional<byte[]> readBack(Path installer, String path) throws IOException {
        try (InputStream in = Files.newInputStream(installer)) {
            for (TarGz.Entry e : TarGz.read(in)) {
                if (!e.directory() && e.name().substring(e.name().indexOf('/') + 1).equals(path)) {
                    return Optional.of(e.content());
                }
            }
        }
        return Optional.empty();
    }
}
