package io.printmaster.security.impl;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.secretbox.impl.MasterKeySecretBox;
import io.printmaster.store.impl.DerbyDatabase;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Replicas on one database must share the master key: one with another key fails its start with a clear message. */
class MasterKeyCheckTest {
    @TempDir
    Path dir;

    private static byte[] key(int fill) {
        byte[] k = new byte[32];
        Arrays.fill(k, (byte) fill);
        return k;
    }

    @Test
    void aReplicaWithTheSameKeyStartsAndOneWithAnotherKeyFailsClosed() throws Exception {
        DerbyDatabase db = new DerbyDatabase(dir.resolve("db"), dir.resolve("derby.log"));
        try {
            new MasterKeyCheck(db, new MasterKeySecretBox(key(1)));
            assertDoesNotThrow(() -> new MasterKeyCheck(db, new MasterKeySecretBox(key(1))), "same key, second replica");
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> new MasterKeyCheck(db, new MasterKeySecretBox(key(2))));
            assertTrue(e.getMessage().contains("same master key") && e.getMessage().contains("PM_MASTER_KEY_FILE"),
                    e.getMessage());
            // an administrator who lost the first key makes the new one the database's, on purpose
            new MasterKeyCheck(db, new MasterKeySecretBox(key(2)), true);
            assertDoesNotThrow(() -> new MasterKeyCheck(db, new MasterKeySecretBox(key(2))));
            assertThrows(IllegalStateException.class, () -> new MasterKeyCheck(db, new MasterKeySecretBox(key(1))));
        } finally {
            db.close();
        }
    }
}
