package io.printmaster.installer.zip.impl;

import io.printmaster.api.support.ArchiveLimits;

import static io.printmaster.installer.zip.impl.ZipInstallerFormatTest.TOP_FOLDER;
import static io.printmaster.installer.zip.impl.ZipInstallerFormatTest.permissions;
import static io.printmaster.installer.zip.impl.ZipInstallerFormatTest.random;
import static io.printmaster.installer.zip.impl.ZipInstallerFormatTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.api.installer.AppendableInstallerFormat;
import io.printmaster.api.installer.FleetFile;
import io.printmaster.api.installer.FleetFiles;
import io.printmaster.api.installer.InstallerFormatException;
import io.printmaster.installer.zip.impl.ZipInstallerFormatTest.E;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The zip format as an {@link AppendableInstallerFormat}: a base with the official and public entries and no central
 * directory, a tail with the join token's entry, the whole central directory and the end record.
 */
class ZipAppendableTest {
    private static final String TOP = TOP_FOLDER;
    private static final byte[] TOKEN_A = "pmj_first_secret_token\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] TOKEN_B = "pmj_other_secret_token\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] FLEET_JSON = "{\"fleet_id\":\"f1\"}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] TRUST_JSON = "{\"keys\":[]}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private final List<String> written = new ArrayList<>();
    private final ZipInstallerFormat format = new ZipInstallerFormat(ArchiveLimits.DEFAULT, written::add);

    static FleetFiles publicFiles() {
        return FleetFiles.of(FleetFile.of("etc/fleet.json", FLEET_JSON), FleetFile.of("etc/trust.json", TRUST_JSON));
    }

    static FleetFiles tailFiles(byte[] token) {
        return FleetFiles.of(FleetFile.secret("etc/join-token", token));
    }

    Path official(String name, List<E> entries) throws IOException {
        Path file = dir.resolve(name);
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(file)) {
            ZipFastPathTest.write(zip, entries);
        }
        return file;
    }

    Path concatenate(Path base, byte[] tail, String name) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(Files.readAllBytes(base));
        out.write(tail);
        return Files.write(dir.resolve(name), out.toByteArray());
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

    /** unzip -t, unzip -Z (modes), unzip (contents), commons-compress reads every entry, readBack. */
    Path checkWithRealTools(Path installer, byte[] token) throws Exception {
        assertTrue(run(dir, "unzip", "-t", installer.toString()).contains("No errors detected"));
        Map<String, String> modes = permissions(installer);
        assertEquals("-rwxr-xr-x", modes.get(TOP + "/bin/pm-agent"), modes.toString());
        assertEquals("-rw-------", modes.get(TOP + "/etc/join-token"), modes.toString());
        assertEquals("-rw-r--r--", modes.get(TOP + "/etc/fleet.json"));
        Map<String, byte[]> contents = new LinkedHashMap<>();
        try (ZipFile zip = ZipFile.builder().setPath(installer).get()) {
            for (ZipArchiveEntry e : Collections.list(zip.getEntries())) {
                try (InputStream in = zip.getInputStream(e)) {
                    contents.put(e.getName(), in.readAllBytes());
                }
            }
        }
        assertArrayEquals(token, contents.get(TOP + "/etc/join-token"));
        assertArrayEquals(random(300_000, 1), contents.get(TOP + "/lib/felix.jar"));
        assertArrayEquals(token, format.readBack(installer, "etc/join-token").orElseThrow());
        Path unpacked = Files.createDirectories(dir.resolve("unpacked-" + installer.getFileName()));
        run(unpacked, "unzip", "-q", installer.toString());
        Path home = unpacked.resolve(TOP);
        assertArrayEquals(token, Files.readAllBytes(home.resolve("etc/join-token")));
        assertArrayEquals(FLEET_JSON, Files.readAllBytes(home.resolve("etc/fleet.json")));
        assertArrayEquals(TRUST_JSON, Files.readAllBytes(home.resolve("etc/trust.json")));
        assertTrue(Files.isExecutable(home.resolve("bin/pm-agent")));
        return home;
    }

    static void assertNoToken(Path base, byte[] token) throws IOException {
        byte[] raw = Files.readAllBytes(base);
        assertFalse(contains(raw, token), "the token's bytes are not in the base");
        assertFalse(contains(raw, "join-token".getBytes(StandardCharsets.UTF_8)), "no join-token entry in the base");
    }

    @Test
    void baseAndTailMakeACompleteInstallerForTheRealTools() throws Exception {
        Path official = official("official.zip", ZipInstallerFormatTest.official());
        Path base = dir.resolve("base.zip");

        byte[] state = format.prepareBase(official, publicFiles(), base);
        byte[] tail = format.tail(Files.size(base), state, tailFiles(TOKEN_A));

        assertTrue(written.contains("(unchanged entries)"), "fast path: " + written);
        assertNoToken(base, TOKEN_A);
        byte[] in = Files.readAllBytes(official);
        int prefix = (int) ZipFastPathTest.centralDirectoryOffset(in);
        assertArrayEquals(Arrays.copyOf(in, prefix), Arrays.copyOf(Files.readAllBytes(base), prefix),
                "the official entries copied unchanged");
        assertTrue(state.length < 16 << 20);
        checkWithRealTools(concatenate(base, tail, "installer.zip"), TOKEN_A);
    }

    @Test
    void twoTokensGiveTwoTailsOverTheSameBaseAndTheSameTokenTheSameBytes() throws Exception {
        Path base = dir.resolve("base.zip");
        byte[] state = format.prepareBase(official("official.zip", ZipInstallerFormatTest.official()), publicFiles(),
                base);
        long length = Files.size(base);

        byte[] tailA = format.tail(length, state, tailFiles(TOKEN_A));
        byte[] tailB = format.tail(length, state, tailFiles(TOKEN_B));
        byte[] tailAAgain = new ZipInstallerFormat(ArchiveLimits.DEFAULT).tail(length, state, tailFiles(TOKEN_A));

        assertFalse(Arrays.equals(tailA, tailB));
        assertArrayEquals(tailA, tailAAgain, "deterministic: a download resumes across base and tail");
        checkWithRealTools(concatenate(base, tailA, "a.zip"), TOKEN_A);
        checkWithRealTools(concatenate(base, tailB, "b.zip"), TOKEN_B);
    }

    @Test
    void aPublicFileReplacingAnEntryTakesTheRewritePathAndStillGivesABase() throws Exception {
        byte[] logback = "<configuration debug=\"true\"/>\n".getBytes(StandardCharsets.UTF_8);
        FleetFiles publicFiles = FleetFiles.of(FleetFile.of("etc/fleet.json", FLEET_JSON),
                FleetFile.of("etc/trust.json", TRUST_JSON), FleetFile.of("conf/logback.xml", logback));
        Path base = dir.resolve("base.zip");

        byte[] state = format.prepareBase(official("official.zip", ZipInstallerFormatTest.official()), publicFiles, base);
        Path installer = concatenate(base, format.tail(Files.size(base), state, tailFiles(TOKEN_A)), "i.zip");

        assertFalse(written.contains("(unchanged entries)"), "rewritten: " + written);
        Path home = checkWithRealTools(installer, TOKEN_A);
        assertArrayEquals(logback, Files.readAllBytes(home.resolve("conf/logback.xml")));
        assertNoToken(base, TOKEN_A);
    }

    @Test
    void aTailFileInANewFolderGetsThatFolder() throws Exception {
        Path base = dir.resolve("base.zip");
        byte[] state = format.prepareBase(official("official.zip", ZipInstallerFormatTest.official()), publicFiles(),
                base);
        FleetFiles tail = FleetFiles.of(FleetFile.secret("etc/join-token", TOKEN_A),
                FleetFile.secret("etc/secrets/key.pem", "KEY".getBytes(StandardCharsets.UTF_8)));

        Path installer = concatenate(base, format.tail(Files.size(base), state, tail), "i.zip");

        Map<String, String> modes = permissions(installer);
        assertEquals("drwxr-xr-x", modes.get(TOP + "/etc/secrets/"), modes.toString());
        assertEquals("-rw-------", modes.get(TOP + "/etc/secrets/key.pem"));
        assertFalse(modes.containsKey(TOP + "/etc/"  + "etc/"));
        checkWithRealTools(installer, TOKEN_A);
    }

    @Test
    void aBasePlusTailInstallerRepackagesAgain() throws Exception {
        Path base = dir.resolve("base.zip");
        byte[] state = format.prepareBase(official("official.zip", ZipInstallerFormatTest.official()), publicFiles(),
                base);
        Path installer = concatenate(base, format.tail(Files.size(base), state, tailFiles(TOKEN_A)), "i.zip");
        Path again = dir.resolve("again.zip");

        format.repackage(installer, tailFiles(TOKEN_B), again);

        checkWithRealTools(again, TOKEN_B);
        assertEquals(1, format.entries(again).stream().filter(e -> e.path().equals("etc/join-token")).count());
        // and a new base over it appends on the fast path: base + tail has the layout the fast path trusts
        written.clear();
        Path base2 = dir.resolve("base2.zip");
        byte[] state2 = format.prepareBase(installer, FleetFiles.of(FleetFile.of("etc/extra.json", FLEET_JSON)), base2);
        assertTrue(written.contains("(unchanged entries)"), "fast path over base + tail: " + written);
        assertThrows(InstallerFormatException.class, () -> format.tail(Files.size(base2), state2, tailFiles(TOKEN_B)),
                "the join token is in that base already");
    }

    @Test
    void tailRefusesAPathTheBaseHoldsAndAForeignState() throws Exception {
        Path base = dir.resolve("base.zip");
        byte[] state = format.prepareBase(official("official.zip", ZipInstallerFormatTest.official()), publicFiles(),
                base);
        long length = Files.size(base);

        InstallerFormatException inBase = assertThrows(InstallerFormatException.class,
                () -> format.tail(length, state, FleetFiles.of(FleetFile.of("etc/trust.json", FLEET_JSON))));
        assertTrue(inBase.getMessage().contains("etc/trust.json"), inBase.getMessage());
        InstallerFormatException caseOnly = assertThrows(InstallerFormatException.class,
                () -> format.tail(length, state, FleetFiles.of(FleetFile.of("Bin/PM-Agent", FLEET_JSON))));
        assertTrue(caseOnly.getMessage().contains("bin/pm-agent"), caseOnly.getMessage());
        assertThrows(InstallerFormatException.class,
                () -> format.tail(length, state, FleetFiles.of(FleetFile.secret("VERSION/token", TOKEN_A))),
                "under a file of the base");

        byte[] tarState = "PMTB\u0001rest".getBytes(StandardCharsets.ISO_8859_1);
        InstallerFormatException notOurs = assertThrows(InstallerFormatException.class,
                () -> format.tail(length, tarState, tailFiles(TOKEN_A)));
        assertTrue(notOurs.getMessage().contains("not a zip base state"), notOurs.getMessage());
        byte[] newer = state.clone();
        newer[4] = 2;
        assertTrue(assertThrows(InstallerFormatException.class, () -> format.tail(length, newer, tailFiles(TOKEN_A)))
                .getMessage().contains("version 2"));
        byte[] truncated = Arrays.copyOf(state, state.length - 3);
        assertThrows(InstallerFormatException.class, () -> format.tail(length, truncated, tailFiles(TOKEN_A)));
        assertThrows(InstallerFormatException.class, () -> format.tail(length - 1, state, tailFiles(TOKEN_A)),
                "a state of another base");
    }

    @Test
    void aRefusedArtifactLeavesNoBase() throws Exception {
        List<E> entries = ZipInstallerFormatTest.official();
        entries.add(E.file(TOP + "/../evil.sh", "x", 0755));
        Path official = official("official.zip", entries);
        Path base = dir.resolve("base.zip");

        InstallerFormatException e = assertThrows(InstallerFormatException.class,
                () -> format.prepareBase(official, publicFiles(), base));

        assertTrue(e.getMessage().contains("evil.sh"), e.getMessage());
        try (var files = Files.list(dir)) {
            assertEquals(List.of("official.zip"), files.map(p -> p.getFileName().toString()).toList());
        }
    }
}
