package io.printmaster.server.signing.impl;

import io.printmaster.server.signing.api.SigningKey;
import io.printmaster.server.signing.api.SigningKeys;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The health endpoint's warning ahead of the root's delegation of the active key running out: from
 * {@value #AHEAD_DAYS} days before, and once it has (the server then signs nothing: agents under the root would refuse
 * it). Registered as a plain {@link Supplier} with {@code printmaster.health.warnings=true}, a JDK type, so the health
 * bundle needs no package of this one.
 */
@Component(service = Supplier.class, property = "printmaster.health.warnings=true")
public class DelegationExpiryWarning implements Supplier<List<String>> {
    static final int AHEAD_DAYS = 14;

    private final SigningKeys keys;
    private final Clock clock;

    @Activate
    public DelegationExpiryWarning(@Reference SigningKeys keys) {
        this(keys, Clock.systemUTC());
    }

    DelegationExpiryWarning(SigningKeys keys, Clock clock) {
        this.keys = keys;
        this.clock = clock;
    }

    @Override
    public List<String> get() {
        List<String> warnings = new ArrayList<>();
        try {
            Instant now = clock.instant();
            for (SigningKey k : keys.list()) {
                if (!k.active() || k.delegatedUntil() == null) {
                    continue;
                }
                if (!now.isBefore(k.delegatedUntil())) {
                    warnings.add("the root's delegation of the active signing key " + k.id() + " expired at "
                            + k.delegatedUntil() + ": nothing is signed until it is delegated again (./pm keys delegate, "
                            + "then POST /api/v1/releases/trust/statements)");
                } else if (now.plus(Duration.ofDays(AHEAD_DAYS)).isAfter(k.delegatedUntil())) {
                    warnings.add("the root's delegation of the active signing key " + k.id() + " expires at "
                            + k.delegatedUntil() + " (in " + Duration.between(now, k.delegatedUntil()).toHours()
                            + " h): delegate it again before then (./pm keys delegate)");
                }
            }
        } catch (SQLException e) {
            warnings.add("the signing keys cannot be read: " + e.getMessage());
        }
        return warnings;
    }
}
