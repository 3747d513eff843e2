package io.printmaster.server.notifications.impl;

import io.printmaster.server.notifications.api.ServerEvent;
import io.printmaster.server.notifications.api.ServerEventListener;
import io.printmaster.store.AuditLog;
import io.printmaster.store.Database;
import java.sql.SQLException;
import java.util.Set;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the notifications ({@value ServerEvent#ROLLOUT_PAUSED}, {@value ServerEvent#RELEASE_FAILED},
 * {@value ServerEvent#RELEASE_CACHED}) to the audit log as {@code notification.<type>} by {@value #ACTOR}, with the
 * event as "after". Here, in the process that published the event, so each is recorded once; producers do not audit
 * them themselves.
 */
@Component(service = ServerEventListener.class)
public class NotificationAudit implements ServerEventListener {
    static final String ACTOR = "system";
    static final Set<String> NOTIFICATIONS = Set.of(ServerEvent.ROLLOUT_PAUSED, ServerEvent.RELEASE_FAILED,
            ServerEvent.RELEASE_CACHED);
    private static final Logger LOG = LoggerFactory.getLogger(NotificationAudit.class);

    private final Database database;
    private final AuditLog audit;

    @Activate
    public NotificationAudit(@Reference Database database, @Reference AuditLog audit) {
        this.database = database;
        this.audit = audit;
    }

    @Override
    public void onEvent(ServerEvent e) {
        if (!NOTIFICATIONS.contains(e.type())) {
            return;
        }
        try {
            database.inTransaction(c -> {
                audit.record(c, ACTOR, "notification." + e.type(), target(e), e.fleet(), null, EventJson.document(e));
                return null;
            });
        } catch (SQLException | RuntimeException x) {
            LOG.warn("notification {} could not be written to the audit log: {}", e.type(), x.toString());
        }
    }

    /** {@code rollout:<id>} for a rollout's, {@code release:<component>@<version>} for a release's. */
    static String target(ServerEvent e) {
        Object rollout = e.data().get("rollout_id");
        if (rollout != null) {
            return "rollout:" + rollout;
        }
        Object component = e.data().get("component");
        Object version = e.data().get("version");
        if (component != null && version != null) {
            return "release:" + component + "@" + version;
        }
        return "event:" + e.type();
    }
}
