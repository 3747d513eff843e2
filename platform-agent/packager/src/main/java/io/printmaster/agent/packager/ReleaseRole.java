package io.printmaster.agent.packager;

import java.util.List;

/**
 * Whose official archives a packager writes: the agent's or the server's. The two share the layout, the archive
 * formats and the launcher script (one script, {@code bin/pm-agent}, whose own name gives its role: the server's copy
 * is {@code bin/pm-server}); they differ in names, service files, the compile switch of the Windows service host and
 * whether an empty {@code etc/} ships (the agent's fleet files land there; the server keeps its site files in its data
 * folder).
 */
public enum ReleaseRole {
    AGENT("agent", true, List.of()),
    SERVER("server", false, List.of("-DPM_ROLE_SERVER"));

    /** The component name of the role's releases ({@code agent}, {@code server}). */
    public final String component;
    /** True when the archives carry an empty {@code etc/} (the agent's installers add the fleet files there). */
    public final boolean shipsEtcFolder;
    /** Extra compiler flags for the Windows service host of this role (one C source for both). */
    public final List<String> serviceHostDefines;

    ReleaseRole(String component, boolean shipsEtcFolder, List<String> serviceHostDefines) {
        this.component = component;
        this.shipsEtcFolder = shipsEtcFolder;
        this.serviceHostDefines = serviceHostDefines;
    }

    /** Parses {@code agent} or {@code server}; anything else is an error naming the flag. */
    public static ReleaseRole parse(String name) {
        for (ReleaseRole r : values()) {
            if (r.component.equals(name)) {
                return r;
            }
        }
        throw new IllegalArgumentException("--role: '" + name + "' is not agent or server");
    }

    /** {@code pm-agent} / {@code pm-server}: the POSIX launcher in {@code bin/} ({@code .cmd} beside it for Windows). */
    public String script() {
        return "pm-" + component;
    }

    /** {@code pm-agent-service.exe} / {@code pm-server-service.exe}: the Windows service host in {@code bin/}. */
    public String windowsServiceExe() {
        return script() + "-service.exe";
    }

    /** The single folder every entry of an archive sits in, {@code printmaster-<role>-<version>}. */
    public String topFolder(String version) {
        return "printmaster-" + component + "-" + version;
    }

    /** {@code printmaster-<role>-v{version}-{os}-{arch}.{tar.gz|zip}}. */
    public String fileName(AgentPackager.Target target, String version) {
        return "printmaster-" + component + "-v" + version + "-" + target.os + "-" + target.arch + "." + target.extension;
    }

    /** The service files in {@code service/} of a platform's archive (systemd unit, launchd plist, Windows service). */
    public List<String> serviceFiles(AgentPackager.Target target) {
        if (this == AGENT) {
            return target.serviceFiles;
        }
        return switch (target.os) {
            case "linux" -> List.of("printmaster-server.service");
            case "darwin" -> List.of("io.printmaster.server.plist");
            case "windows" -> List.of("printmaster-server-service.xml");
            default -> throw new IllegalStateException("no server service files for " + target.os);
        };
    }
}
