package io.printmaster.agent.config.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.printmaster.agent.config.api.ConfigError;
import io.printmaster.agent.config.api.Mode;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SettingsParserTest {

    /** What ConfigAdmin hands over for a .cfg file: strings, plus the keys the framework adds. */
    private static Map<String, Object> cfg(String... keyValues) {
        Map<String, Object> m = new HashMap<>();
        m.put("service.pid", "io.printmaster.agent");
        m.put("felix.fileinstall.filename", "file:/data/etc/io.printmaster.agent.cfg");
        m.put("component.name", "io.printmaster.agent.config.impl.AgentConfigurationService");
        m.put("component.id", 3L);
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    private static List<String> fields(FileSettings s) {
        return s.errors().stream().map(ConfigError::field).toList();
    }

    @Test
    void aCompleteFileIsReadWithoutErrors() {
        FileSettings s = SettingsParser.parse(cfg("server_url", " https://updates.example.com/pm/ ", "fleet", "lab-3",
                "join_token", "tok-123", "mode", "LOCAL", "allow_local_override", "true"));

        assertEquals(List.of(), s.errors());
        assertEquals(Optional.of(URI.create("https://updates.example.com/pm")), s.serverUrl());
        assertEquals(Optional.of("lab-3"), s.fleet());
        assertEquals(Optional.of("tok-123"), s.joinToken());
        assertEquals(Mode.LOCAL, s.mode());
        assertTrue(s.allowLocalOverride());
    }

    @Test
    void anEmptyFileMeansUnconfiguredInheritReadOnly() {
        FileSettings s = SettingsParser.parse(cfg("server_url", "", "join_token", "  "));

        assertEquals(List.of(), s.errors());
        assertEquals(Optional.empty(), s.serverUrl());
        assertEquals(Optional.empty(), s.joinToken());
        assertEquals(Mode.INHERIT, s.mode());
        assertFalse(s.allowLocalOverride());
    }

    @Test
    void serverUrlMustBeHttpOrHttpsWithAHost() {
        for (String bad : List.of("ftp://updates.example.com", "updates.example.com", "https://", "https://exa mple.com",
                "https://updates.example.com/?x=1")) {
            FileSettings s = SettingsParser.parse(cfg("server_url", bad));
            assertEquals(List.of("server_url"), fields(s), bad);
            assertEquals(Optional.empty(), s.serverUrl(), bad);
        }
        assertEquals(Optional.of(URI.create("http://127.0.0.1:8080")),
                SettingsParser.parse(cfg("server_url", "http://127.0.0.1:8080")).serverUrl());
    }

    @Test
    void credentialsInTheServerUrlAreRefusedWithoutRepeatingThem() {
        FileSettings s = SettingsParser.parse(cfg("server_url", "https://admin:hunter2@updates.example.com"));

        assertEquals(List.of("server_url"), fields(s));
        assertFalse(s.errors().get(0).message().contains("hunter2"), s.errors().get(0).message());
    }

    @Test
    void anUnknownModeTurnsUpdatesOffAndSaysSo() {
        FileSettings s = SettingsParser.parse(cfg("mode", "disable"));

        assertEquals(Mode.DISABLED, s.mode());
        assertEquals(List.of("mode"), fields(s));
        assertTrue(s.errors().get(0).message().contains("'disable' is not one of inherit, local, disabled"));
    }

    @Test
    void allowLocalOverrideAcceptsOnlyBooleans() {
        FileSettings yes = SettingsParser.parse(cfg("allow_local_override", "yes"));
        assertFalse(yes.allowLocalOverride());
        assertEquals(List.of("allow_local_override"), fields(yes));

        Map<String, Object> typed = cfg();
        typed.put("allow_local_override", Boolean.TRUE); // a typed .config file
        assertTrue(SettingsParser.parse(typed).allowLocalOverride());
        assertTrue(SettingsParser.parse(cfg("allow_local_override", "TRUE")).allowLocalOverride());
    }

    @Test
    void allowInsecureHttpIsOffUnlessTrueAndNamesItselfWhenWrong() {
        assertFalse(SettingsParser.parse(cfg("server_url", "http://10.0.0.5:8080")).allowInsecureHttp());
        assertTrue(SettingsParser.parse(cfg("allow_insecure_http", "true")).allowInsecureHttp());
        FileSettings bad = SettingsParser.parse(cfg("allow_insecure_http", "yes"));
        assertFalse(bad.allowInsecureHttp());
        assertEquals(List.of("allow_insecure_http"), fields(bad));
        assertTrue(bad.errors().get(0).message().contains("plain http to a remote server stays refused"), bad.errors().toString());
    }

    @Test
    void aMistypedKeyIsReportedNotIgnored() {
        FileSettings s = SettingsParser.parse(cfg("server-url", "https://updates.example.com"));

        assertEquals(List.of("server-url"), fields(s));
        assertTrue(s.errors().get(0).message().contains("server_url"), s.errors().get(0).message());
    }

    @Test
    void theJoinTokenNeverAppearsInMessagesOrToString() {
        String secret = "very secret token";
        FileSettings s = SettingsParser.parse(cfg("join_token", secret, "server_url", "https://updates.example.com"));

        assertEquals(List.of("join_token"), fields(s));
        assertEquals(Optional.empty(), s.joinToken());
        s.errors().forEach(e -> assertFalse(e.message().contains(secret)));

        FileSettings ok = SettingsParser.parse(cfg("join_token", "tok-abc"));
        assertFalse(ok.toString().contains("tok-abc"), ok.toString());
        assertTrue(ok.toString().contains("join_token=(set)"), ok.toString());
    }

    @Test
    void everyErrorIsReportedAtOnce() {
        FileSettings s = SettingsParser.parse(cfg("server_url", "nope", "mode", "x", "allow_local_override", "1"));

        assertEquals(List.of("server_url", "mode", "allow_local_override"), fields(s));
    }
}
