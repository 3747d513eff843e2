package io.printmaster.server.agents.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.printmaster.server.agents.api.InstallerToken;
import io.printmaster.store.impl.JdbcClusterLease;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replicas asked for a fleet's installer at the same moment embed one installer token, not one each: their installers
 * then agree byte for byte and the token's max_uses bounds all of them together.
 */
class InstallerTokenReplicasTest {
    @TempDir
    Path dir;

    @Test
    void replicasMintingAtOnceShareOneInstallerToken() throws Exception {
        try (AgentsFixture f = new AgentsFixture(dir)) {
            int replicas = 4;
            List<JoinTokenStore> stores = new ArrayList<>();
            for (int i = 0; i < replicas; i++) {
                stores.add(new JoinTokenStore(f.db, f.audit, f.fleets, f.secretBox, new AgentSecrets(new SecureRandom()),
                        f.clock, new JdbcClusterLease(f.db)));
            }
            for (int round = 0; round < 5; round++) {
                String fleet = f.fleet("lab-" + round);
                CyclicBarrier together = new CyclicBarrier(replicas);
                ExecutorService threads = Executors.newFixedThreadPool(replicas);
                try {
                    List<Future<InstallerToken>> asked = new ArrayList<>();
                    for (JoinTokenStore store : stores) {
                        asked.add(threads.submit(() -> {
                            together.await();
                            return store.installerToken(fleet, 100, "admin");
                        }));
                    }
                    Set<String> tokens = new java.util.HashSet<>();
                    for (Future<InstallerToken> a : asked) {
                        tokens.add(a.get(60, TimeUnit.SECONDS).token());
                    }
                    assertEquals(1, tokens.size(), "one installer token for fleet " + fleet + ": " + tokens);
                    assertEquals(1, f.tokens.list(fleet).stream().filter(t -> t.installer()).collect(Collectors.toList()).size());
                } finally {
                    threads.shutdownNow();
                }
            }
        }
    }
}
