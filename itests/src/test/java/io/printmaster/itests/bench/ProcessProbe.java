package io.printmaster.itests.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the simulator reports of a process on this machine, read the cheap way: CPU time from
 * {@code /proc/<pid>/stat} (user + system ticks), resident memory from {@code /proc/<pid>/status}, the Java heap from
 * one {@code jstat -gc <pid> <ms>} child that reads the JVM's performance counters (no attach, no safepoint, nothing
 * run inside the measured JVM).
 */
public final class ProcessProbe implements AutoCloseable {
    private final long pid;
    private final int ticksPerSecond;
    private Process jstat;
    private final AtomicLong heapUsedKb = new AtomicLong(-1);
    private final AtomicLong heapCommittedKb = new AtomicLong(-1);
    private final AtomicLong heapUsedMaxKb = new AtomicLong(-1);
    private final AtomicLong rssMaxKb = new AtomicLong(-1);

    public ProcessProbe(long pid, int ticksPerSecond) {
        this.pid = pid;
        this.ticksPerSecond = ticksPerSecond;
    }

    public long pid() {
        return pid;
    }

    /** Seconds of CPU (user + system) the process used so far; -1 when it cannot be read. */
    public double cpuSeconds() {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            // the command name (field 2) may hold spaces: count the fields after its closing parenthesis
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) ticksPerSecond;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Seconds of CPU of the process and every process below it, living or ended (a database server's backends):
     * each one's user + system time plus what its ended children used ({@code cutime}, {@code cstime}).
     */
    public double treeCpuSeconds() {
        double total = ticksOf(pid);
        ProcessHandle root = ProcessHandle.of(pid).orElse(null);
        if (root != null) {
            total += root.descendants().mapToLong(p -> ticksOf(p.pid())).sum();
        }
        return total / ticksPerSecond;
    }

    private static long ticksOf(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** Resident set size in KB (and remembers the highest seen); -1 when it cannot be read. */
    public long rssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    rssMaxKb.accumulateAndGet(kb, Math::max);
                    return kb;
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return -1;
    }

    public long rssMaxKb() {
        return rssMaxKb.get();
    }

    /** Starts sampling the heap every {@code millis} (a Java process only; absent jstat leaves the heap unknown). */
    public void startHeapSampling(int millis) {
        try {
            jstat = new ProcessBuilder("jstat", "-gc", Long.toString(pid), Integer.toString(millis))
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            System.out.println("sim: no jstat (" + e.getMessage() + "): the heap is not reported");
            return;
        }
        Thread reader = new Thread(() -> readJstat(jstat), "sim-jstat");
        reader.setDaemon(true);
        reader.start();
    }

    private void readJstat(Process p) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String[] header = null;
            String line;
            while ((line = in.readLine()) != null) {
                String[] cols = line.trim().split("\\s+");
                if (cols.length > 0 && cols[0].equals("S0C")) {
                    header = cols;
                    continue;
                }
                if (header == null || cols.length != header.length) {
                    continue;
                }
                double used = 0;
                double committed = 0;
                for (int i = 0; i < header.length; i++) {
                    switch (header[i]) {
                        case "S0U", "S1U", "EU", "OU" -> used += parse(cols[i]);
                        case "S0C", "S1C", "EC", "OC" -> committed += parse(cols[i]);
                        default -> { }
                    }
                }
                heapUsedKb.set((long) used);
                heapCommittedKb.set((long) committed);
                heapUsedMaxKb.accumulateAndGet((long) used, Math::max);
            }
        } catch (IOException e) {
            // jstat ended with the process
        }
    }

    private static double parse(String s) {
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    public long heapUsedKb() {
        return heapUsedKb.get();
    }

    public long heapCommittedKb() {
        return heapCommittedKb.get();
    }

    public long heapUsedMaxKb() {
        return heapUsedMaxKb.get();
    }

    /** The 1, 5 and 15 minute load averages of the machine. */
    public static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }

    @Override
    public void close() {
        if (jstat != null) {
            jstat.destroy();
        }
    }
}
