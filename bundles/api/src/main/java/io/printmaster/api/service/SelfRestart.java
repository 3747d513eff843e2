package io.printmaster.api.service;

import java.util.function.UnaryOperator;

/**
 * How a PrintMaster process (the agent, the server) restarts itself: it exits with {@link #EXIT_CODE} and its
 * service manager starts it again, through the launcher script that chooses the version to run. It never asks its
 * own service manager to stop and start it from inside: the stop would end the caller before the start.
 *
 * <p>Who starts it again, and sets {@value #SUPERVISED_ENV}{@code =1} for the process to say so:
 * <ul>
 *   <li>{@code bin/pm-agent --supervise} (and the server's {@code bin/pm-server --supervise}): at once;</li>
 *   <li>systemd: the unit's {@code RestartForceExitStatus=75} (and {@code Environment=PM_SUPERVISED=1});</li>
 *   <li>launchd: {@code KeepAlive} with {@code SuccessfulExit=false} (a non-zero exit is restarted), the plist's
 *       {@code EnvironmentVariables};</li>
 *   <li>the Windows service host: it reports the exit as a service-specific error {@value #EXIT_CODE}, which the
 *       service's recovery actions (restart, also on non-crash failures) answer with a start; it sets the variable
 *       only when those recovery actions are configured.</li>
 * </ul>
 * A process without the variable must not exit with {@link #EXIT_CODE} hoping for a restart: nothing may start it.
 *
 * @since 2.1
 */
public final class SelfRestart {

    /** The exit code that asks the service manager for a restart: 75, {@code EX_TEMPFAIL} of sysexits.h. */
    public static final int EXIT_CODE = 75;

    /** The environment variable every supervisor above sets to {@code 1} for the process it restarts on 75. */
    public static final String SUPERVISED_ENV = "PM_SUPERVISED";

    private SelfRestart() {
    }

    /**
     * True when this process's supervisor starts it again after an exit with {@link #EXIT_CODE}.
     *
     * @param environment the environment lookup, {@code System::getenv} outside tests
     */
    public static boolean supervised(UnaryOperator<String> environment) {
        return "1".equals(environment.apply(SUPERVISED_ENV));
    }
}
