package io.printmaster.installer.msi.impl;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The agent service's recovery actions, written into the MSI after wixl built it: restart after 5 s, 5 s, then 60 s
 * (every later failure too), the failure count reset after a day, and the actions applied to non-crash failures
 * ({@code FailureActionsOnNonCrashFailures}). The agent restarts itself by exiting with code 75; the service host
 * then stops with a service-specific error, a failure that only these settings turn into a start
 * (docs/admin-guide.md, "Restarting itself (exit code 75)").
 *
 * <p><b>Why after wixl, with msibuild.</b> Windows Installer 5.0 configures a service's recovery itself from the
 * tables {@code MsiServiceConfigFailureActions} and {@code MsiServiceConfig} through the standard action
 * {@code MsiConfigureServices} (WiX writes them from {@code ServiceConfigFailureActions} / {@code ServiceConfig}).
 * wixl 0.101 knows none of these elements (nor WiX's util extension), so the format adds the two tables and the
 * action to the built database with msibuild's SQL (msitools, like msiextract). This keeps the settings declarative,
 * in the package where {@code msiinfo export} shows them, installed and rolled back by Windows Installer itself: no
 * custom action running {@code sc.exe} (which Windows Installer cannot roll back and antivirus products flag), and no
 * service that rewrites its own configuration at every start (which would override an administrator's choice).
 * The service host checks these settings at start and tells the agent it may restart itself only when they are set.
 */
final class ServiceRecovery {
    /** Restart, restart, restart: the last action repeats for every later failure within the reset period. */
    static final List<Duration> RESTART_DELAYS = List.of(Duration.ofSeconds(5), Duration.ofSeconds(5),
            Duration.ofSeconds(60));
    static final Duration RESET_PERIOD = Duration.ofDays(1);
    /** SC_ACTION_RESTART in the Actions column. */
    static final int ACTION_RESTART = 1;
    /** msidbServiceConfigEventInstall | msidbServiceConfigEventReinstall: set whenever the service is (re)installed. */
    static final int EVENTS = 1 | 4;
    /** SERVICE_CONFIG_FAILURE_ACTIONS_FLAG in MsiServiceConfig's ConfigType column. */
    static final int CONFIG_FAILURE_ACTIONS_FLAG = 4;
    /** After InstallServices (5800), before StartServices (5900), where WiX schedules it. */
    static final int SEQUENCE = 5850;
    /** MsiConfigureServices needs Windows Installer 5.0, which is Windows 7 / Server 2008 R2 (VersionNT 601) on. */
    static final String CONDITION = "VersionNT >= 601";

    private ServiceRecovery() {
    }

    /** msibuild's arguments after the package: {@code -q <SQL>} pairs for the tables, rows and the action. */
    static List<String> msibuildQueries(String serviceName, String componentId) {
        String delimiter = "[~]"; // the list separator of a Formatted column
        String actions = RESTART_DELAYS.stream().map(d -> String.valueOf(ACTION_RESTART))
                .collect(Collectors.joining(delimiter));
        String delays = RESTART_DELAYS.stream().map(d -> String.valueOf(d.toMillis()))
                .collect(Collectors.joining(delimiter));
        return List.of(
                "-q", "CREATE TABLE `MsiServiceConfigFailureActions` (`MsiServiceConfigFailureActions` CHAR(72) NOT "
                        + "NULL, `Name` CHAR(255) NOT NULL, `Event` SHORT NOT NULL, `ResetPeriod` LONG, "
                        + "`RebootMessage` CHAR(255) LOCALIZABLE, `Command` CHAR(255), `Actions` CHAR(255), "
                        + "`DelayActions` CHAR(255), `Component_` CHAR(72) NOT NULL PRIMARY KEY "
                        + "`MsiServiceConfigFailureActions`)",
                "-q", "INSERT INTO `MsiServiceConfigFailureActions` (`MsiServiceConfigFailureActions`, `Name`, "
                        + "`Event`, `ResetPeriod`, `Actions`, `DelayActions`, `Component_`) VALUES ('AgentRecovery', '"
                        + sql(serviceName) + "', " + EVENTS + ", " + RESET_PERIOD.toSeconds() + ", '" + actions + "', '"
                        + delays + "', '" + sql(componentId) + "')",
                "-q", "CREATE TABLE `MsiServiceConfig` (`MsiServiceConfig` CHAR(72) NOT NULL, `Name` CHAR(255) NOT "
                        + "NULL, `Event` SHORT NOT NULL, `ConfigType` LONG NOT NULL, `Argument` CHAR(255), "
                        + "`Component_` CHAR(72) NOT NULL PRIMARY KEY `MsiServiceConfig`)",
                "-q", "INSERT INTO `MsiServiceConfig` (`MsiServiceConfig`, `Name`, `Event`, `ConfigType`, `Argument`, "
                        + "`Component_`) VALUES ('AgentRecoveryOnNonCrashFailures', '" + sql(serviceName) + "', "
                        + EVENTS + ", " + CONFIG_FAILURE_ACTIONS_FLAG + ", '1', '" + sql(componentId) + "')",
                "-q", "INSERT INTO `InstallExecuteSequence` (`Action`, `Condition`, `Sequence`) VALUES "
                        + "('MsiConfigureServices', '" + CONDITION + "', " + SEQUENCE + ")");
    }

    /** A string literal's content; the values are our constants, so this only guards against a future change. */
    private static String sql(String value) {
        if (!value.matches("[A-Za-z0-9_.]+")) {
            throw new IllegalArgumentException("not a plain identifier: " + value);
        }
        return value;
    }
}
