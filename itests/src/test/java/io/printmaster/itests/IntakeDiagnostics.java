package io.printmaster.itests;

import java.time.Duration;
import java.util.Map;

/**
 * Waits on what a release sync produces, and says why when it is late: the intake's last syncs, the configured
 * sources, and where the intake's threads are (the Pax Exam server runs in this JVM, so its threads are ours to
 * read). A sync that finished empty, one still stuck, and one never started then look different in the report.
 */
final class IntakeDiagnostics {
    /** The threads of the release module: the intake's sync, its download watchdog, the manifest renewal job. */
    private static final String[] THREAD_PREFIXES = {"pm-release-intake", "pm-artifact-download", "pm-manifest"};

    private IntakeDiagnostics() {
    }

    /**
     * Waits until {@code check} holds after the release sync the server starts by itself. When it does not hold
     * within a third of {@code timeout}, the intake's state is printed (the test's output keeps it), a sync is asked
     * for, as an admin would, and the wait goes on; when time runs out the failure carries the intake's state.
     */
    static void awaitIntake(ApiClient admin, Duration timeout, Eventually.Check check) throws Exception {
        try {
            Eventually.within(timeout.dividedBy(3), check);
            return;
        } catch (AssertionError | Exception e) {
            System.out.println("the release intake has not delivered within " + timeout.dividedBy(3).toSeconds()
                    + " s (" + e.getMessage() + "); asking for a sync.\n" + describe(admin));
        }
        ApiClient.Response sync = admin.post("/api/v1/releases/sync", Map.of());
        if (sync.status() != 202) {
            throw new AssertionError("POST /api/v1/releases/sync: " + sync.status() + " " + sync.body());
        }
        try {
            Eventually.within(timeout.minus(timeout.dividedBy(3)), check);
        } catch (AssertionError | Exception e) {
            throw new AssertionError(e.getMessage() + "\n" + describe(admin), e);
        }
    }

    /** The sync status, the sources and the release module's threads, as text. */
    static String describe(ApiClient admin) {
        StringBuilder out = new StringBuilder("release intake now:\n");
        for (String path : new String[] {"/api/v1/releases/sync/status", "/api/v1/release-sources"}) {
            try {
                ApiClient.Response r = admin.get(path);
                out.append("GET ").append(path).append(" → ").append(r.status()).append(' ').append(r.body()).append('\n');
            } catch (Exception e) {
                out.append("GET ").append(path).append(" failed: ").append(e).append('\n');
            }
        }
        boolean any = false;
        for (Map.Entry<Thread, StackTraceElement[]> t : Thread.getAllStackTraces().entrySet()) {
            String name = t.getKey().getName();
            boolean ours = false;
            for (String prefix : THREAD_PREFIXES) {
                ours |= name.startsWith(prefix);
            }
            if (!ours) {
                continue;
            }
            any = true;
            out.append("thread ").append(name).append(" (").append(t.getKey().getState()).append(")\n");
            for (StackTraceElement frame : t.getValue()) {
                out.append("    at ").append(frame).append('\n');
            }
        }
        if (!any) {
            out.append("no release module thread in this JVM (a server started as its own process keeps them there)\n");
        }
        return out.toString();
    }
}
