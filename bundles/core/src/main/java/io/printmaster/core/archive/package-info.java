/**
 * Unpacking the official release archives of PrintMaster itself (the agent's and the server's {@code tar.gz} and
 * {@code zip} files, one top folder each) into a version slot, safely: {@link
 * io.printmaster.core.archive.ReleaseArchiveUnpacker}. Shared by the agent's update worker and the server's
 * self-update, so both refuse unsafe entries, links and zip bombs the same way.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.printmaster.core.archive;
