package io.printmaster.server.system;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleLocationsTest {
    @TempDir
    Path data;

    /**
     * Regression: GET /api/v1/plugins reported from_plugins_folder=false for every jar dropped into plugins/,
     * because FileInstall's locations read file:/… while the folder was compared as file:///… text.
     */
    @Test
    void fileInstallAndLauncherSpellingsOfTheSameFileAreBothInside() throws Exception {
        Path plugins = Files.createDirectories(data.resolve("plugins"));
        Path jar = Files.createFile(plugins.resolve("vendor.jar"));
        String fileInstallStyle = jar.toFile().getCanonicalFile().toURI().normalize().toString();
        String launcherStyle = jar.toUri().toString();
        assertTrue(fileInstallStyle.startsWith("file:/") && !fileInstallStyle.startsWith("file:///"), fileInstallStyle);
        assertTrue(launcherStyle.startsWith("file:///"), launcherStyle);

        assertTrue(BundleLocations.isInside(fileInstallStyle, plugins));
        assertTrue(BundleLocations.isInside(launcherStyle, plugins));
    }

    @Test
    void aDeletedFileStillCountsByItsPath() {
        Path plugins = data.resolve("plugins");
        assertTrue(BundleLocations.isInside(new File(plugins.toFile(), "gone.jar").toURI().toString(), plugins));
    }

    @Test
    void aFolderReachedThroughASymbolicLinkMatchesTheCanonicalLocation() throws Exception {
        Path real = Files.createDirectories(data.resolve("real/plugins"));
        Path link = Files.createSymbolicLink(data.resolve("link"), data.resolve("real"));
        Path jar = Files.createFile(real.resolve("vendor.jar"));
        String canonical = jar.toFile().getCanonicalFile().toURI().toString();
        assertTrue(BundleLocations.isInside(canonical, link.resolve("plugins")));
    }

    @Test
    void otherFoldersAndOtherKindsOfLocationAreNotInside() throws Exception {
        Path plugins = Files.createDirectories(data.resolve("plugins"));
        Path sibling = Files.createDirectories(data.resolve("plugins-old"));
        assertFalse(BundleLocations.isInside(sibling.resolve("x.jar").toUri().toString(), plugins));
        assertFalse(BundleLocations.isInside(plugins.resolve("../etc/x.jar").toUri().toString(), plugins));
        assertFalse(BundleLocations.isInside("mvn:io.printmaster/x/1.0", plugins));
        assertFalse(BundleLocations.isInside("inputstream:x.jar", plugins));
        assertFalse(BundleLocations.isInside("file:relative/x.jar", plugins));
        assertFalse(BundleLocations.isInside(null, plugins));
    }
}
