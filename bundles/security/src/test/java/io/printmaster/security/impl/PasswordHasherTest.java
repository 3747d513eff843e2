package io.printmaster.security.impl;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class PasswordHasherTest {
    // low cost keeps the test fast; the cost is part of the stored string, so verification reads it from there
    private final PasswordHasher hasher = new PasswordHasher(1_000, new SecureRandom());

    @Test
    void verifiesTheRightPasswordOnly() {
        String stored = hasher.hash("correct horse".toCharArray());
        assertTrue(hasher.verify("correct horse".toCharArray(), stored));
        assertFalse(hasher.verify("correct horsE".toCharArray(), stored));
        assertFalse(hasher.verify("".toCharArray(), stored));
    }

    @Test
    void saltsEveryHashAndNeverStoresThePassword() {
        String a = hasher.hash("same".toCharArray());
        String b = hasher.hash("same".toCharArray());
        assertNotEquals(a, b);
        assertFalse(a.contains("same"));
        assertTrue(a.startsWith("pbkdf2-sha256$1000$"));
    }

    @Test
    void defaultCostIsSlow() {
        String stored = new PasswordHasher().hash("x".toCharArray());
        assertTrue(stored.startsWith("pbkdf2-sha256$600000$"), stored);
    }

    @Test
    void rejectsMalformedStoredHashes() {
        assertFalse(hasher.verify("x".toCharArray(), "plain"));
        assertFalse(hasher.verify("x".toCharArray(), "md5$1$a$b"));
        assertFalse(hasher.verify("x".toCharArray(), "pbkdf2-sha256$many$a$b"));
    }
}
