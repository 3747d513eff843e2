package io.printmaster.server.releases.impl;

import io.printmaster.server.notifications.api.ServerEvent;
import io.printmaster.server.notifications.api.ServerEvents;
import io.printmaster.server.releases.api.Artifact;
import io.printmaster.server.releases.api.ReleaseCatalog.ArtifactFilter;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.commonmark.parser.Parser;
import org.commonmark.node.AbstractVisitor;
import org.commonmark.node.Code;
import org.commonmark.node.HardLineBreak;
import org.commonmark.node.Heading;
import org.commonmark.node.HtmlBlock;
import org.commonmark.node.HtmlInline;
import org.commonmark.node.ListItem;
import org.commonmark.node.Paragraph;
import org.commonmark.node.SoftLineBreak;
import org.commonmark.node.Text;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a sync tells the server's event bus, when one is bound: {@code sync.progress} as it runs (at most
 * {@value #PER_SECOND} a second, and always its end), and once it is over {@code release.cached} for each release
 * whose first artifacts this sync recorded (with a plain-text snippet of its notes). Follows the run like an event
 * stream, so the intake itself does not change; publishing never blocks.
 */
final class SyncNotifications implements SyncRun.Follower {
    static final int PER_SECOND = 2;
    static final int SNIPPET_CHARS = 280;
    private static final long INTERVAL_NANOS = Duration.ofSeconds(1).toNanos() / PER_SECOND;
    private static final Parser PARSER = Parser.builder().build();
    private static final Logger LOG = LoggerFactory.getLogger(SyncNotifications.class);

    private final SyncRun run;
    private final Supplier<ServerEvents> events;
    private final Clock clock;
    /**
     * Releases ({@code component, version}) of which this sync cached an artifact. Like the fields below, touched
     * only by the intake thread (events are emitted there, under the run's lock, and the releases published there
     * after the sync).
     */
    private final Set<List<String>> cached = new LinkedHashSet<>();
    private long lastPublished;
    private boolean published;
    private String endMessage;

    SyncNotifications(SyncRun run, Supplier<ServerEvents> events, Clock clock) {
        this.run = run;
        this.events = events;
        this.clock = clock;
    }

    @Override
    public void event(SyncRun.Event e) {
        if ("finished".equals(e.name())) {
            endMessage = (String) e.data().get("message");
        } else if ("asset_cached".equals(e.name())) {
            cached.add(List.of(String.valueOf(e.data().get("component")), String.valueOf(e.data().get("version"))));
        }
        long now = System.nanoTime();
        if (!"finished".equals(e.name()) && (!published || now - lastPublished >= INTERVAL_NANOS)) {
            published = true;
            lastPublished = now;
            publish(progress(run.snapshot(), e.name()));
        }
    }

    @Override
    public void ended() {
        Map<String, Object> end = progress(run.snapshot(), "finished");
        if (endMessage != null) {
            end.put("message", endMessage);
        }
        publish(end);
    }

    private static Map<String, Object> progress(SyncRun.Snapshot s, String lastEvent) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sync_id", s.id());
        m.put("state", s.state());
        m.put("cached", s.cachedCount());
        m.put("rejected", s.rejectedCount());
        m.put("skipped", s.skippedCount());
        m.put("event", lastEvent);
        return m;
    }

    /** Never throws: it runs inside the sync's own steps, which must not fail because of a notification. */
    private void publish(Map<String, Object> data) {
        ServerEvents bound = events.get();
        if (bound != null) {
            try {
                bound.publish(new ServerEvent(ServerEvent.SYNC_PROGRESS, clock.instant(), null, data));
            } catch (RuntimeException e) {
                LOG.warn("sync progress of {} could not be published: {}", run.id(), e.toString());
            }
        }
    }

    /**
     * After the sync (its artifacts and manifests committed): {@code release.cached} for every release this sync
     * cached whose artifacts all arrived in it (a new platform of a known release is not a new release).
     */
    void publishCachedReleases(ReleaseStore store) throws SQLException {
        ServerEvents bound = events.get();
        List<List<String>> releases = new ArrayList<>(cached);
        if (bound == null) {
            return;
        }
        for (List<String> release : releases) {
            List<Artifact> artifacts = store.artifacts(new ArtifactFilter(release.get(0), release.get(1), null, null, null, null));
            boolean isNew = !artifacts.isEmpty() && artifacts.stream()
                    .allMatch(a -> a.downloadedAt() != null && !a.downloadedAt().isBefore(run.startedAt()));
            if (!isNew) {
                continue;
            }
            String notes = artifacts.stream().map(Artifact::releaseNotes).filter(n -> n != null && !n.isBlank())
                    .findFirst().orElse(null);
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("component", release.get(0));
            data.put("version", release.get(1));
            data.put("channel", artifacts.get(0).channel());
            data.put("platforms", artifacts.stream().map(a -> a.platform() + "-" + a.arch()).distinct().sorted().toList());
            if (notes != null) {
                data.put("notes_snippet", snippet(notes));
            }
            data.put("sync_id", run.id());
            bound.publish(new ServerEvent(ServerEvent.RELEASE_CACHED, clock.instant(), null, data));
        }
    }

    /** The notes as one line of plain text (Markdown and tags removed), at most {@value #SNIPPET_CHARS} characters. */
    static String snippet(String markdown) {
        String source = markdown.length() > 20_000 ? markdown.substring(0, 20_000) : markdown;
        StringBuilder out = new StringBuilder();
        PARSER.parse(source).accept(new PlainText(out));
        String text = out.toString().replaceAll("\\s+", " ").strip();
        if (text.length() <= SNIPPET_CHARS) {
            return text;
        }
        int cut = text.lastIndexOf(' ', SNIPPET_CHARS - 1);
        return text.substring(0, cut > SNIPPET_CHARS / 2 ? cut : SNIPPET_CHARS - 1).strip() + "…";
    }

    /** The words of a Markdown document: text and code, blocks separated by a space; raw HTML left out. */
    private static final class PlainText extends AbstractVisitor {
        private final StringBuilder out;

        PlainText(StringBuilder out) {
            this.out = out;
        }

        @Override
        public void visit(Text text) {
            out.append(text.getLiteral());
        }

        @Override
        public void visit(Code code) {
            out.append(code.getLiteral());
        }

        @Override
        public void visit(SoftLineBreak b) {
            out.append(' ');
        }

        @Override
        public void visit(HardLineBreak b) {
            out.append(' ');
        }

        @Override
        public void visit(HtmlInline html) {
            // tags are markup, not words
        }

        @Override
        public void visit(HtmlBlock html) {
            // likewise
        }

        @Override
        public void visit(Paragraph p) {
            visitChildren(p);
            out.append(' ');
        }

        @Override
        public void visit(Heading h) {
            visitChildren(h);
            out.append(' ');
        }

        @Override
        public void visit(ListItem item) {
            visitChildren(item);
            out.append(' ');
        }
    }
}
