package io.printmaster.http.api;

import java.util.List;
import java.util.Set;

/** The API token scopes. Names are part of the public interface: tools outside the repository use them. */
public final class Scopes {
    public static final String RELEASES_READ = "releases.read";
    public static final String RELEASES_WRITE = "releases.write";
    public static final String FLEETS_READ = "fleets.read";
    public static final String FLEETS_WRITE = "fleets.write";
    public static final String INSTALLERS_DOWNLOAD = "installers.download";
    public static final String AGENTS_READ = "agents.read";
    public static final String AGENTS_WRITE = "agents.write";
    public static final String SETTINGS_SERVER_READ = "settings.server.read";
    public static final String SETTINGS_SERVER_WRITE = "settings.server.write";
    public static final String AUDIT_READ = "audit.read";

    /** Every scope, in documentation order. */
    public static final List<String> ORDERED = List.of(RELEASES_READ, RELEASES_WRITE, FLEETS_READ, FLEETS_WRITE,
            INSTALLERS_DOWNLOAD, AGENTS_READ, AGENTS_WRITE, SETTINGS_SERVER_READ, SETTINGS_SERVER_WRITE, AUDIT_READ);

    public static final Set<String> ALL = Set.copyOf(ORDERED);

    private Scopes() {
    }
}
