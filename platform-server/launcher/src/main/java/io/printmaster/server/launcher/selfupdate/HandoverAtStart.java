package io.printmaster.server.launcher.selfupdate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntConsumer;
import org.slf4j.Logger;

/**
 * What the server launcher does with a self-update hand-over before the framework starts (so Derby is closed):
 *
 * <ul>
 *   <li><b>This is the version handed over to</b> ({@code to_version} is the program's own): the hand-over is marked
 *       {@code phase: booted} before anything can touch the database (from now on a rollback must restore the
 *       backup), and a watchdog is armed: if the hand-over still names this version once the health deadline and a
 *       margin have passed (the selfupdate bundle never committed nor gave up: it did not even start), it records
 *       {@code HEALTH_CHECK_FAILED} and exits {@value #EXIT_RESTART}, which abandons the trial.</li>
 *   <li><b>This is the version handed over from</b> ({@code from_version} is the program's own: the trial was
 *       abandoned or never booted): when the new version booted, the backup is restored ({@link BackupRestore}), and
 *       {@code restored_at} recorded; the selfupdate bundle then records the run {@code rolled_back} and deletes the
 *       file. A hand-over whose trial never booted changed nothing: nothing is restored.</li>
 *   <li>Any other version leaves the file alone and says so.</li>
 * </ul>
 */
public final class HandoverAtStart {
    /** "Restart me" (EX_TEMPFAIL): the supervisor or service manager starts the server again. */
    public static final int EXIT_RESTART = 75;
    /** Seconds the new version has to become healthy; the bundle reads the same variable. */
    public static final String HEALTH_TIMEOUT_ENV = "PM_SELFUPDATE_HEALTH_TIMEOUT";
    static final Duration DEFAULT_HEALTH_TIMEOUT = Duration.ofSeconds(120);
    /** The watchdog waits this much longer than the bundle's own deadline, which acts first when it runs. */
    static final Duration WATCHDOG_MARGIN = Duration.ofSeconds(30);

    private HandoverAtStart() {
    }

    /** What the start found, for logs and tests. */
    public enum Action { NONE, TRIAL_ARMED, RESTORED, NOTHING_TO_RESTORE, ALREADY_RESTORED, FOREIGN }

    /**
     * @param exit how the watchdog ends the process ({@code System::exit} in production)
     * @throws IOException when the hand-over cannot be read or the backup cannot be restored: the start must not go
     *     on against a database the old version cannot use
     */
    public static Action run(Path dataDir, Path programDir, String databaseUrl, Map<String, String> env, Logger log,
            IntConsumer exit) throws IOException {
        return run(dataDir, programDir, databaseUrl, env, log, exit, WATCHDOG_MARGIN);
    }

    /** @param margin how much longer than the health timeout the watchdog waits (tests shorten it) */
    static Action run(Path dataDir, Path programDir, String databaseUrl, Map<String, String> env, Logger log,
            IntConsumer exit, Duration margin) throws IOException {
        Path file = HandoverFile.of(dataDir);
        Optional<Map<String, Object>> read = HandoverFile.read(file);
        if (read.isEmpty()) {
            return Action.NONE;
        }
        Map<String, Object> handover = read.get();
        String own = ownVersion(programDir);
        String runId = HandoverFile.text(handover, "run_id");
        String from = HandoverFile.text(handover, "from_version");
        String to = HandoverFile.text(handover, "to_version");
        if (own.equals(to)) {
            if (!"booted".equals(HandoverFile.text(handover, "phase"))) {
                handover.put("phase", "booted");
                handover.put("booted_at", Instant.now().toString());
                HandoverFile.write(file, handover);
            }
            Duration deadline = healthTimeout(env).plus(margin);
            log.info("self-update run {}: starting {} as the trial of {} → {}; it must report healthy within {} s",
                    runId, own, from, to, deadline.toSeconds());
            armWatchdog(file, own, deadline, log, exit);
            return Action.TRIAL_ARMED;
        }
        if (!own.equals(from)) {
            log.warn("self-update run {}: the hand-over in {} is from {} to {}, and this is {}: left alone", runId,
                    file, from, to, own);
            return Action.FOREIGN;
        }
        if (handover.get("restored_at") != null) {
            return Action.ALREADY_RESTORED;
        }
        if (!"booted".equals(HandoverFile.text(handover, "phase"))) {
            log.warn("self-update run {}: {} never booted; the database was not touched, nothing to restore", runId, to);
            return Action.NOTHING_TO_RESTORE;
        }
        Map<String, Object> backup = HandoverFile.object(handover, "backup");
        log.warn("self-update run {}: {} did not commit; restoring the database backup taken before it ({})", runId,
                to, backup == null ? "none" : backup.get("path"));
        BackupRestore.restore(backup, runId, dataDir, databaseUrl, env, log);
        handover.put("restored_at", Instant.now().toString());
        HandoverFile.write(file, handover);
        log.warn("self-update run {}: database restored; {} runs again", runId, own);
        return Action.RESTORED;
    }

    static Duration healthTimeout(Map<String, String> env) {
        String v = env.get(HEALTH_TIMEOUT_ENV);
        if (v == null || v.isBlank()) {
            return DEFAULT_HEALTH_TIMEOUT;
        }
        try {
            long seconds = Long.parseLong(v.strip());
            if (seconds > 0) {
                return Duration.ofSeconds(seconds);
            }
        } catch (NumberFormatException e) {
            // below
        }
        return DEFAULT_HEALTH_TIMEOUT;
    }

    static String ownVersion(Path programDir) throws IOException {
        Path file = programDir.resolve("VERSION");
        return Files.isRegularFile(file) ? Files.readString(file).strip() : "";
    }

    /**
     * A daemon thread that, at the deadline, ends a trial the selfupdate bundle neither committed (it deletes the
     * hand-over) nor failed (it records an outcome and exits itself).
     */
    private static void armWatchdog(Path file, String own, Duration deadline, Logger log, IntConsumer exit) {
        Thread t = new Thread(() -> {
            long end = System.nanoTime() + deadline.toNanos();
            try {
                while (System.nanoTime() < end) {
                    Thread.sleep(Math.min(1000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
                    if (!Files.exists(file)) {
                        return; // committed
                    }
                }
                Optional<Map<String, Object>> now = HandoverFile.read(file);
                if (now.isEmpty() || !own.equals(HandoverFile.text(now.get(), "to_version"))) {
                    return;
                }
                Map<String, Object> h = now.get();
                if (h.get("outcome") == null) {
                    h.put("outcome", Map.of("code", "HEALTH_CHECK_FAILED", "message", own
                            + " did not report healthy within " + deadline.toSeconds() + " s of its start"));
                    HandoverFile.write(file, h);
                }
                log.error("self-update: {} did not commit within {} s: exiting with {} to return to the previous "
                        + "version", own, deadline.toSeconds(), EXIT_RESTART);
                exit.accept(EXIT_RESTART);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException | RuntimeException e) {
                log.error("self-update watchdog: {}; exiting with {}", e.toString(), EXIT_RESTART);
                exit.accept(EXIT_RESTART);
            }
        }, "pm-selfupdate-watchdog");
        t.setDaemon(true);
        t.start();
    }
}
