package io.printmaster.installer.tar.impl;

import io.printmaster.api.support.ArchiveLimits;

import static io.printmaster.installer.tar.impl.TarGzInstallerFormatTest.endOfArchive;
import static io.printmaster.installer.tar.impl.TarGzInstallerFormatTest.gzip;
import static io.printmaster.installer.tar.impl.TarGzInstallerFormatTest.listing;
import static io.printmaster.installer.tar.impl.TarGzInstallerFormatTest.official;
import static io.printmaster.installer.tar.impl.TarGzInstallerFormatTest.random;
import static io.printmaster.installer.tar.impl.TarGzInstallerFormatTest.run;
import static io.printmaster.installer.tar.impl.TarGzInstallerFormatTest.tarEntries;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.installer.AppendableInstallerFormat;
import io.printmaster.api.installer.FleetFile;
import io.printmaster.api.installer.FleetFiles;
import io.printmaster.api.installer.InstallerFormatException;
import io.printmaster.installer.tar.impl.TarGzInstallerFormatTest.E;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tar.gz format as an {@link AppendableInstallerFormat}: a base with the public files and no end-of-archive, a tail
 * with the join token and the end-of-archive; base followed by tail is a complete installer for the real tools.
 */
class TarGzAppendableTest {
    private static final String TOP = "printmaster-agent-0.1.0";
    private static final byte[] TOKEN_A = "pmj_first_secret_token\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] TOKEN_B = "pmj_other_secret_token\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] FLEET_JSON = "{\"fleet_id\":\"f1\"}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] TRUST_JSON = "{\"keys\":[]}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private final TarGzInstallerFormat format = new TarGzInstallerFormat(ArchiveLimits.DEFAULT);

    static FleetFiles publicFiles() {
        return FleetFiles.of(FleetFile.of("etc/fleet.json", FLEET_JSON), FleetFile.of("etc/trust.json", TRUST_JSON));
    }

    static FleetFiles tailFiles(byte[] token) {
        return FleetFiles.of(FleetFile.secret("etc/join-token", token));
    }

    Path splitTarGz(String name, List<E> entries) throws IOException {
        byte[] tar = tarEntries(entries);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(gzip(tar));
        out.write(gzip(endOfArchive(tar.length)));
        return Files.write(dir.resolve(name), out.toByteArray());
    }

    Path plainTarGz(String name, List<E> entries) throws IOException {
        byte[] tar = tarEntries(entries);
        byte[] all = Arrays.copyOf(tar, tar.length + endOfArchive(tar.length).length);
        return Files.write(dir.resolve(name), gzip(all));
    }

    Path concatenate(Path base, byte[] tail, String name) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(Files.readAllBytes(base));
        out.write(tail);
        return Files.write(dir.resolve(name), out.toByteArray());
    }

    /** gzip -t, tar -tzvf (modes), tar -xzf (contents); returns the unpacked home. */
    Path checkWithRealTools(Path installer, byte[] token) throws Exception {
        run(dir, "gzip", "-t", installer.toString());
        Map<String, String> modes = listing(installer);
        assertEquals("-rwxr-xr-x", modes.get(TOP + "/bin/pm-agent"), "listing " + modes);
        assertEquals("-rw-------", modes.get(TOP + "/etc/join-token"), "listing " + modes);
        assertEquals("-rw-r--r--", modes.get(TOP + "/etc/fleet.json"));
        Path unpacked = Files.createDirectories(dir.resolve("unpacked-" + installer.getFileName()));
        run(unpacked, "tar", "-xzf", installer.toString());
        Path home = unpacked.resolve(TOP);
        assertArrayEquals(token, Files.readAllBytes(home.resolve("etc/join-token")));
        assertArrayEquals(FLEET_JSON, Files.readAllBytes(home.resolve("etc/fleet.json")));
        assertArrayEquals(TRUST_JSON, Files.readAllBytes(home.resolve("etc/trust.json")));
        assertArrayEquals(random(300_000, 1), Files.readAllBytes(home.resolve("lib/felix.jar")));
        assertTrue(Files.isExecutable(home.resolve("bin/pm-agent")));
        assertArrayEquals(token, format.readBack(installer, "etc/join-token").orElseThrow());
        return home;
    }

    static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** The base's bytes and its inflated bytes (all members) hold no trace of the token. */
    static void assertNoToken(Path base, byte[] token) throws IOException {
        byte[] raw = Files.readAllBytes(base);
        assertFalse(contains(raw, token), "the token's bytes are not in the base file");
        byte[] inflated = new GZIPInputStream(new ByteArrayInputStream(raw)).readAllBytes();
        assertFalse(contains(inflated, token), "nor in its inflated content");
        assertFalse(contains(inflated, "join-token".getBytes(StandardCharsets.UTF_8)), "no join-token entry at all");
    }

    @Test
    void baseAndTailMakeACompleteInstallerForTheRealTools() throws Exception {
        Path official = splitTarGz("official.tar.gz", official());
        Path base = dir.resolve("base.tar.gz");

        byte[] state = format.prepareBase(official, publicFiles(), base);
        byte[] tail = format.tail(Files.size(base), state, tailFiles(TOKEN_A));

        assertTrue(state.length < 4096, "a small state: " + state.length);
        assertNoToken(base, TOKEN_A);
        byte[] firstMember = Arrays.copyOf(Files.readAllBytes(official), (int) format.verdict(official).splitOffset());
        assertArrayEquals(firstMember, Arrays.copyOf(Files.readAllBytes(base), firstMember.length),
                "the base starts with the official first member, unchanged");
        Path installer = concatenate(base, tail, "installer.tar.gz");
        checkWithRealTools(installer, TOKEN_A);
        assertTrue(format.verdict(installer).split(), "base + tail has the split layout again");
    }

    @Test
    void twoTokensGiveTwoTailsOverTheSameBaseAndTheSameTokenTheSameBytes() throws Exception {
        Path base = dir.resolve("base.tar.gz");
        byte[] state = format.prepareBase(splitTarGz("official.tar.gz", official()), publicFiles(), base);
        long length = Files.size(base);

        byte[] tailA = format.tail(length, state, tailFiles(TOKEN_A));
        byte[] tailB = format.tail(length, state, tailFiles(TOKEN_B));
        byte[] tailAAgain = new TarGzInstallerFormat(ArchiveLimits.DEFAULT).tail(length, state, tailFiles(TOKEN_A));

        assertFalse(Arrays.equals(tailA, tailB));
        assertArrayEquals(tailA, tailAAgain, "deterministic: a download resumes across base and tail");
        checkWithRealTools(concatenate(base, tailA, "a.tar.gz"), TOKEN_A);
        checkWithRealTools(concatenate(base, tailB, "b.tar.gz"), TOKEN_B);
    }

    @Test
    void anArtifactOffTheFastPathStillGivesABase() throws Exception {
        // one gzip member (not the split layout), and a public file replacing an official entry: both rewrite
        byte[] unit = "[Unit]\nDescription=fleet\n".getBytes(StandardCharsets.UTF_8);
        FleetFiles publicFiles = FleetFiles.of(FleetFile.of("etc/fleet.json", FLEET_JSON),
                FleetFile.of("etc/trust.json", TRUST_JSON), FleetFile.of("service/printmaster-agent.service", unit));
        Path base = dir.resolve("base.tar.gz");

        byte[] state = format.prepareBase(plainTarGz("official.tar.gz", official()), publicFiles, base);
        Path installer = concatenate(base, format.tail(Files.size(base), state, tailFiles(TOKEN_A)), "i.tar.gz");

        Path home = checkWithRealTools(installer, TOKEN_A);
        assertArrayEquals(unit, Files.readAllBytes(home.resolve("service/printmaster-agent.service")));
        assertNoToken(base, TOKEN_A);
    }

    @Test
    void aTailFileInANewFolderGetsThatFolder() throws Exception {
        Path base = dir.resolve("base.tar.gz");
        byte[] state = format.prepareBase(splitTarGz("official.tar.gz", official()), publicFiles(), base);
        FleetFiles tail = FleetFiles.of(FleetFile.secret("etc/join-token", TOKEN_A),
                FleetFile.secret("etc/secrets/key.pem", "KEY".getBytes(StandardCharsets.UTF_8)));

        Path installer = concatenate(base, format.tail(Files.size(base), state, tail), "i.tar.gz");

        Map<String, String> modes = listing(installer);
        assertEquals("drwxr-xr-x", modes.get(TOP + "/etc/secrets/"), modes.toString());
        assertEquals("-rw-------", modes.get(TOP + "/etc/secrets/key.pem"));
        assertFalse(modes.containsKey(TOP + "/etc/etc/"));
        checkWithRealTools(installer, TOKEN_A);
    }

    @Test
    void aBasePlusTailInstallerRepackagesAgain() throws Exception {
        Path base = dir.resolve("base.tar.gz");
        byte[] state = format.prepareBase(splitTarGz("official.tar.gz", official()), publicFiles(), base);
        Path installer = concatenate(base, format.tail(Files.size(base), state, tailFiles(TOKEN_A)), "i.tar.gz");
        Path again = dir.resolve("again.tar.gz");

        format.repackage(installer, tailFiles(TOKEN_B), again);

        checkWithRealTools(again, TOKEN_B);
        assertEquals(1, format.entries(again).stream().filter(e -> e.path().equals("etc/join-token")).count());
        // and a base made from it takes a tail as well
        Path base2 = dir.resolve("base2.tar.gz");
        byte[] state2 = format.prepareBase(installer, FleetFiles.empty(), base2);
        assertThrows(InstallerFormatException.class, () -> format.tail(Files.size(base2), state2, tailFiles(TOKEN_B)),
                "the join token is in that base already");
    }

    @Test
    void tailRefusesAPathTheBaseHoldsAndAForeignState() throws Exception {
        Path base = dir.resolve("base.tar.gz");
        byte[] state = format.prepareBase(splitTarGz("official.tar.gz", official()), publicFiles(), base);
        long length = Files.size(base);

        InstallerFormatException inBase = assertThrows(InstallerFormatException.class,
                () -> format.tail(length, state, FleetFiles.of(FleetFile.of("etc/fleet.json", FLEET_JSON))));
        assertTrue(inBase.getMessage().contains("etc/fleet.json"), inBase.getMessage());
        InstallerFormatException caseOnly = assertThrows(InstallerFormatException.class,
                () -> format.tail(length, state, FleetFiles.of(FleetFile.of("BIN/PM-AGENT", FLEET_JSON))));
        assertTrue(caseOnly.getMessage().contains("bin/pm-agent"), caseOnly.getMessage());
        assertThrows(InstallerFormatException.class,
                () -> format.tail(length, state, FleetFiles.of(FleetFile.secret("etc", TOKEN_A))));

        byte[] foreign = "PK\u0001\u0002whatever".getBytes(StandardCharsets.ISO_8859_1);
        InstallerFormatException notOurs = assertThrows(InstallerFormatException.class,
                () -> format.tail(length, foreign, tailFiles(TOKEN_A)));
        assertTrue(notOurs.getMessage().contains("not a tar.gz base state"), notOurs.getMessage());
        byte[] newer = state.clone();
        newer[4] = 9;
        assertTrue(assertThrows(InstallerFormatException.class, () -> format.tail(length, newer, tailFiles(TOKEN_A)))
                .getMessage().contains("version 9"));
        assertThrows(InstallerFormatException.class, () -> format.tail(length + 1, state, tailFiles(TOKEN_A)),
                "a state of another base");
    }

    @Test
    void aRefusedArtifactLeavesNoBase() throws Exception {
        List<E> entries = official();
        entries.add(E.file(TOP + "/../evil.sh", "x", 0755));
        Path official = splitTarGz("official.tar.gz", entries);
        Path base = dir.resolve("base.tar.gz");

        InstallerFormatException e = assertThrows(InstallerFormatException.class,
                () -> format.prepareBase(official, publicFiles(), base));

        assertTrue(e.getMessage().contains("evil.sh"), e.getMessage());
        try (var files = Files.list(dir)) {
            assertEquals(List.of("official.tar.gz"), files.map(p -> p.getFileName().toString()).toList());
        }
    }
}
