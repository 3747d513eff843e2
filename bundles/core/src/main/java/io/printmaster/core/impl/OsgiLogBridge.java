package io.printmaster.core.impl;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import org.osgi.framework.Bundle;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the OSGi Log Service's entries to SLF4J, so what Felix SCR (a component that fails to activate, a bad
 * reference), Configuration Admin, Felix HTTP and the framework itself (a bundle that fails to start, a listener
 * that throws) report lands in {@code <data>/logs/<role>.log} beside our own lines instead of on standard error.
 *
 * <p>Each entry goes to the SLF4J logger {@code osgi.<bundle symbolic name>}, the OSGi logger name in the message, so
 * an operator can filter by bundle in logback.xml. The framework's own lifecycle events (bundle and service
 * events, at INFO and DEBUG) are left out: they say what the launcher already logs, once per bundle and service.
 *
 * <p>Entries logged before this component activated (SCR starts before this bundle; a component of a bundle started
 * earlier may already have failed) are replayed once per process from the Log Service's history, WARN and worse
 * only. A system property remembers how far the replay went, so a new activation after this bundle is updated
 * does not log the same entries again.
 */
@Component(immediate = true)
public final class OsgiLogBridge implements LogListener {
    /** How far (entry time, ms) earlier activations in this process have replayed the history. */
    static final String REPLAYED_UNTIL = "pm.osgi.log.replayed.until";

    private final LogReaderService reader;

    @Activate
    public OsgiLogBridge(@Reference LogReaderService reader) {
        this.reader = reader;
        long activatedAt = System.currentTimeMillis(); // before listening: what is live from here is not replayed
        reader.addLogListener(this);
        replayHistory(activatedAt);
    }

    @Deactivate
    void deactivate() {
        reader.removeLogListener(this);
    }

    @Override
    public void logged(LogEntry entry) {
        if (isLifecycleNoise(entry)) {
            return;
        }
        write(entry, "");
    }

    private void replayHistory(long activatedAt) {
        long from = Long.getLong(REPLAYED_UNTIL, Long.MIN_VALUE);
        List<LogEntry> earlier = new ArrayList<>();
        for (Enumeration<LogEntry> e = reader.getLog(); e.hasMoreElements();) {
            LogEntry entry = e.nextElement();
            if (entry.getTime() > from && entry.getTime() < activatedAt && isWarningOrWorse(entry.getLogLevel())) {
                earlier.add(entry);
            }
        }
        Collections.reverse(earlier); // the history is newest first
        earlier.forEach(entry -> write(entry, " (logged before the OSGi log bridge started)"));
        System.setProperty(REPLAYED_UNTIL, Long.toString(activatedAt - 1));
    }

    static boolean isLifecycleNoise(LogEntry entry) {
        String name = entry.getLoggerName();
        return name != null && name.startsWith("Events.") && !isWarningOrWorse(entry.getLogLevel());
    }

    private static boolean isWarningOrWorse(LogLevel level) {
        return level == LogLevel.AUDIT || level == LogLevel.ERROR || level == LogLevel.WARN;
    }

    static String loggerName(LogEntry entry) {
        Bundle b = entry.getBundle();
        String bsn = b == null ? null : b.getSymbolicName();
        return "osgi." + (bsn == null ? "unknown" : bsn);
    }

    private static void write(LogEntry entry, String note) {
        Logger log = LoggerFactory.getLogger(loggerName(entry));
        String message = "[" + entry.getLoggerName() + "] " + entry.getMessage() + note;
        Throwable t = entry.getException();
        switch (entry.getLogLevel()) {
            case ERROR -> log.error(message, t);
            case AUDIT, WARN -> log.warn(message, t); // AUDIT: to be logged whatever the level

            case INFO -> log.info(message, t);
            case DEBUG -> log.debug(message, t);
            default -> log.trace(message, t);
        }
    }
}
