package io.printmaster.security.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.Authenticator.RequestCredentials;
import io.printmaster.http.api.Caller;
import io.printmaster.store.AuditLog;
import io.printmaster.store.impl.DerbyDatabase;
import io.printmaster.store.impl.JdbcAuditLog;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Accounts, sessions and tokens against a real embedded Derby. */
class AccountsAndTokensTest {
    @TempDir
    static Path dir;
    static DerbyDatabase db;
    static AuditLog audit;
    private static final PasswordHasher FAST = new PasswordHasher(1_000, new SecureRandom());

    @BeforeAll
    static void open() throws Exception {
        db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        audit = new JdbcAuditLog(db);
    }

    @AfterAll
    static void close() {
        db.close();
    }

    @Test
    void firstStartWritesTheGeneratedPasswordToAnOwnerOnlyFileAndPrintsOnlyItsPath() throws Exception {
        Path own = dir.resolve("first");
        Path data = own.resolve("data");
        Map<String, String> framework = Map.of("pm.data.dir", data.toString());
        DerbyDatabase fresh = new DerbyDatabase(own.resolve("db"), own.resolve("derby.log"));
        try {
            ByteArrayOutputStream console = new ByteArrayOutputStream();
            AdminAccounts accounts = new AdminAccounts(fresh, FAST, Map.of(), framework::get,
                    new PrintStream(console, true, StandardCharsets.UTF_8));
            Path file = data.resolve("initial-admin-password");
            assertTrue(Files.isRegularFile(file), "the generated password is written to " + file);
            String password = Files.readString(file, StandardCharsets.UTF_8).strip();
            assertEquals(20, password.length());
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file));
            }
            String printed = console.toString(StandardCharsets.UTF_8);
            assertTrue(printed.contains(file.toAbsolutePath().toString()), printed);
            assertFalse(printed.contains(password), "the password itself is never printed: " + printed);
            try (var leftovers = Files.list(data)) {
                assertEquals(List.of(file), leftovers.toList(), "no temporary file is left behind");
            }

            assertEquals(Optional.of("admin"), accounts.verify("admin", password));
            assertEquals(Optional.empty(), accounts.verify("admin", password + "x"));
            assertEquals(Optional.empty(), accounts.verify("root", password));

            String stored = fresh.read(c -> {
                try (PreparedStatement ps = c.prepareStatement("SELECT PASSWORD_HASH FROM PM_USER WHERE USERNAME = 'admin'");
                     ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getString(1);
                }
            });
            assertFalse(stored.contains(password));

            ByteArrayOutputStream second = new ByteArrayOutputStream();
            new AdminAccounts(fresh, FAST, Map.of(), framework::get, new PrintStream(second, true, StandardCharsets.UTF_8));
            assertEquals("", second.toString(StandardCharsets.UTF_8), "only the first start announces the file");
            assertEquals(password, Files.readString(file, StandardCharsets.UTF_8).strip(), "a restart keeps the password");

            // setting the password at start deletes the file: the generated password no longer works
            PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
            AdminAccounts reset = new AdminAccounts(fresh, FAST, Map.of("PM_ADMIN_PASSWORD", "a-chosen-password"), framework::get, quiet);
            assertFalse(Files.exists(file), "the initial password file is deleted once the password is changed");
            assertEquals(Optional.empty(), reset.verify("admin", password));
            assertTrue(reset.verify("admin", "a-chosen-password").isPresent());
        } finally {
            fresh.close();
        }
    }

    /**
     * Replicas starting on an empty database at the same moment, each with its own data folder: one of them creates
     * the admin account; the others neither fail nor overwrite its password, and only the winner's folder keeps a
     * password file (the one that works). With PM_ADMIN_PASSWORD all of them start and the password works.
     */
    @Test
    void replicasStartingAtOnceOnAnEmptyDatabaseCreateOneAdminAndAllStart() throws Exception {
        int replicas = 4;
        Path own = dir.resolve("race");
        DerbyDatabase fresh = new DerbyDatabase(own.resolve("db"), own.resolve("derby.log"));
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        try {
            SecuritySchema.ensure(fresh);
            List<AdminAccounts> started = startAtOnce(replicas, i -> new AdminAccounts(fresh, FAST, Map.of(),
                    Map.of("pm.data.dir", own.resolve("data-" + i).toString())::get, quiet));
            List<Path> files = new java.util.ArrayList<>();
            for (int i = 0; i < replicas; i++) {
                Path file = own.resolve("data-" + i).resolve("initial-admin-password");
                if (Files.exists(file)) {
                    files.add(file);
                }
            }
            assertEquals(1, files.size(), "one replica created the account: " + files);
            String password = Files.readString(files.get(0), StandardCharsets.UTF_8).strip();
            for (AdminAccounts a : started) {
                assertEquals(Optional.of("admin"), a.verify("admin", password), "the remaining file holds the password");
            }
        } finally {
            fresh.close();
        }

        DerbyDatabase preset = new DerbyDatabase(own.resolve("db2"), own.resolve("derby2.log"));
        try {
            SecuritySchema.ensure(preset);
            List<AdminAccounts> started = startAtOnce(replicas, i -> new AdminAccounts(preset, FAST,
                    Map.of("PM_ADMIN_PASSWORD", "the-shared-password"), quiet));
            for (AdminAccounts a : started) {
                assertEquals(Optional.of("admin"), a.verify("admin", "the-shared-password"));
            }
        } finally {
            preset.close();
        }
    }

    interface Start {
        AdminAccounts start(int replica) throws Exception;
    }

    /** Starts the replicas on threads released together; fails when any of them fails. */
    private static List<AdminAccounts> startAtOnce(int replicas, Start start) throws Exception {
        java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(replicas);
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(replicas);
        try {
            List<java.util.concurrent.Future<AdminAccounts>> futures = new java.util.ArrayList<>();
            for (int i = 0; i < replicas; i++) {
                int replica = i;
                futures.add(threads.submit(() -> {
                    together.await();
                    return start.start(replica);
                }));
            }
            List<AdminAccounts> started = new java.util.ArrayList<>();
            for (var f : futures) {
                started.add(f.get(60, java.util.concurrent.TimeUnit.SECONDS));
            }
            return started;
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void withoutADataDirectoryTheGeneratedPasswordIsRefusedRatherThanLost() throws Exception {
        Path own = dir.resolve("nodata");
        DerbyDatabase fresh = new DerbyDatabase(own.resolve("db"), own.resolve("derby.log"));
        try {
            ByteArrayOutputStream console = new ByteArrayOutputStream();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> new AdminAccounts(fresh, FAST, Map.of(), new PrintStream(console, true, StandardCharsets.UTF_8)));
            assertTrue(e.getMessage().contains("pm.data.dir") && e.getMessage().contains("PM_ADMIN_PASSWORD"), e.getMessage());
        } finally {
            fresh.close();
        }
    }

    @Test
    void aPasswordChangeAtStartEndsEveryConsoleSessionOfTheAdmin() throws Exception {
        Path own = dir.resolve("sessions");
        DerbyDatabase fresh = new DerbyDatabase(own.resolve("db"), own.resolve("derby.log"));
        try {
            PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
            new AdminAccounts(fresh, FAST, Map.of("PM_ADMIN_PASSWORD", "the-old-password"), quiet);
            SessionStore sessions = new SessionStore(fresh);
            SessionStore.NewSession first = sessions.create("admin");
            SessionStore.NewSession second = sessions.create("admin");
            SessionStore.NewSession other = sessions.create("auditor");

            // the same password again changes nothing, so nobody is logged out by a plain restart
            new AdminAccounts(fresh, FAST, Map.of("PM_ADMIN_PASSWORD", "the-old-password"), quiet);
            assertTrue(sessions.find(first.token()).isPresent(), "a restart with the same password keeps sessions");

            new AdminAccounts(fresh, FAST, Map.of("PM_ADMIN_PASSWORD", "the-new-password"), quiet);
            assertTrue(sessions.find(first.token()).isEmpty(), "a session opened with the old password ends");
            assertTrue(sessions.find(second.token()).isEmpty(), "every admin session ends");
            assertTrue(sessions.find(other.token()).isPresent(), "another user's session is untouched");
        } finally {
            fresh.close();
        }
    }

    @Test
    void aPresetPasswordUnderTwelveCharactersFailsTheStartAndKeepsThePreviousPassword() throws Exception {
        Path own = dir.resolve("short");
        DerbyDatabase fresh = new DerbyDatabase(own.resolve("db"), own.resolve("derby.log"));
        try {
            PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
            AdminAccounts accounts = new AdminAccounts(fresh, FAST, Map.of("PM_ADMIN_PASSWORD", "twelve-chars"), quiet);
            assertTrue(accounts.verify("admin", "twelve-chars").isPresent(), "12 characters are enough");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new AdminAccounts(fresh, FAST, Map.of("PM_ADMIN_PASSWORD", "eleven-char"), quiet));
            assertEquals("PM_ADMIN_PASSWORD must have at least 12 characters; the admin password was not changed", e.getMessage());
            assertTrue(accounts.verify("admin", "twelve-chars").isPresent(), "the previous password still works");
            assertFalse(accounts.verify("admin", "eleven-char").isPresent());
        } finally {
            fresh.close();
        }
    }

    @Test
    void environmentPasswordSetsAndResetsTheAdminPassword() throws Exception {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        AdminAccounts a = new AdminAccounts(db, FAST, Map.of("PM_ADMIN_PASSWORD", "first-password"), quiet);
        assertTrue(a.verify("admin", "first-password").isPresent());
        AdminAccounts b = new AdminAccounts(db, FAST, Map.of("PM_ADMIN_PASSWORD", "second-password"), quiet);
        assertTrue(b.verify("admin", "second-password").isPresent());
        assertFalse(b.verify("admin", "first-password").isPresent());
        assertThrows(IllegalArgumentException.class, () -> new AdminAccounts(db, FAST, Map.of("PM_ADMIN_PASSWORD", "short"), quiet));
    }

    @Test
    void frameworkPropertySetsThePasswordWhenTheEnvironmentDoesNot() throws Exception {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        Map<String, String> framework = Map.of("pm.admin.password", "property-password");
        AdminAccounts a = new AdminAccounts(db, FAST, Map.of(), framework::get, quiet);
        assertTrue(a.verify("admin", "property-password").isPresent());

        // the environment wins: an operator resetting a lost password is never overridden by a stale property
        AdminAccounts b = new AdminAccounts(db, FAST, Map.of("PM_ADMIN_PASSWORD", "environment-password"), framework::get, quiet);
        assertTrue(b.verify("admin", "environment-password").isPresent());
        assertFalse(b.verify("admin", "property-password").isPresent());

        IllegalArgumentException tooShort = assertThrows(IllegalArgumentException.class,
                () -> new AdminAccounts(db, FAST, Map.of(), Map.of("pm.admin.password", "short")::get, quiet));
        assertEquals("pm.admin.password must have at least 12 characters; the admin password was not changed", tooShort.getMessage());
    }

    @Test
    void sessionsCarryACsrfTokenAndExpire() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-26T10:00:00Z"));
        SessionStore sessions = new SessionStore(db, new Secrets(new SecureRandom()), clock);
        SessionStore.NewSession s = sessions.create("admin");
        SessionAuthenticator auth = new SessionAuthenticator(sessions);

        Caller caller = auth.authenticate(new RequestCredentials(Optional.empty(), Optional.of(s.token()), "127.0.0.1")).orElseThrow();
        assertEquals(Caller.Kind.SESSION, caller.kind());
        assertEquals(Optional.of(s.session().csrfToken()), caller.csrfToken());
        assertTrue(caller.hasScope("settings.server.write"));

        clock.now = clock.now.plus(SessionStore.LIFETIME);
        assertTrue(auth.authenticate(new RequestCredentials(Optional.empty(), Optional.of(s.token()), "127.0.0.1")).isEmpty());

        SessionStore.NewSession t = sessions.create("admin");
        sessions.delete(t.token());
        assertTrue(sessions.find(t.token()).isEmpty(), "logout ends the session");
    }

    @Test
    void tokensAreScopedFleetRestrictedRevocableAndAudited() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-26T10:00:00Z"));
        ApiTokenStore store = new ApiTokenStore(db, audit, new Secrets(new SecureRandom()), clock);
        TokenAuthenticator auth = new TokenAuthenticator(store);

        ApiTokenStore.NewToken t = store.create("ci", Set.of("fleets.read"), Optional.of(Set.of("lab")),
                Optional.of(clock.now.plusSeconds(3600)), "admin");
        assertTrue(t.token().startsWith("pmt_"));
        Caller caller = auth.authenticate(creds(t.token())).orElseThrow();
        assertEquals(Set.of("fleets.read"), caller.scopes());
        assertTrue(caller.canSeeFleet("lab"));
        assertFalse(caller.canSeeFleet("prod"));

        ApiException wrong = assertThrows(ApiException.class, () -> auth.authenticate(creds("pmt_not-a-token")));
        assertEquals(401, wrong.status());
        assertTrue(auth.authenticate(creds("something-else")).isEmpty(), "other credential kinds are declined, not refused");

        clock.now = clock.now.plusSeconds(3601);
        assertEquals(401, assertThrows(ApiException.class, () -> auth.authenticate(creds(t.token()))).status(), "expired");

        ApiTokenStore.NewToken u = store.create("ops", Set.of("audit.read"), Optional.empty(), Optional.empty(), "admin");
        assertTrue(auth.authenticate(creds(u.token())).orElseThrow().canSeeFleet("any"));
        assertTrue(store.revoke(u.info().id(), "admin"));
        assertEquals(401, assertThrows(ApiException.class, () -> auth.authenticate(creds(u.token()))).status(), "revoked");
        assertFalse(store.revoke("no-such-id", "admin"));

        List<ApiTokenStore.TokenInfo> listed = store.list();
        assertTrue(listed.stream().anyMatch(i -> i.id().equals(u.info().id()) && i.revokedAt() != null));
        List<String> actions = audit.list(AuditLog.Query.latest(50)).stream().map(AuditLog.Entry::action).toList();
        assertTrue(actions.contains("token.create") && actions.contains("token.revoke"), actions.toString());
        assertTrue(audit.list(AuditLog.Query.latest(50)).stream().noneMatch(e -> String.valueOf(e.after()).contains(u.token())),
                "the secret never reaches the audit log");
    }

    private static RequestCredentials creds(String bearer) {
        return new RequestCredentials(Optional.of(bearer), Optional.empty(), "127.0.0.1");
    }
}
