package io.printmaster.server.rollouts.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.printmaster.http.api.ApiException;
import io.printmaster.http.api.Caller;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The create body: defaults, sizes, and a 400 naming the field for everything wrong. */
class PlanParserTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Caller ADMIN = new Caller("alice", Caller.Kind.SESSION, Set.of(), Optional.empty(), Optional.empty());

    @TempDir
    Path dir;
    RolloutsFixture f;
    PlanParser parser;
    String agent;

    @BeforeEach
    void open() throws Exception {
        f = new RolloutsFixture(dir);
        f.release("1.0.0");
        f.release("1.1.0");
        f.fleets.set("lab", RolloutsFixture.policy(RolloutsFixture.control(false, 10, 50, 0, 0), false), Instant.EPOCH);
        f.fleets.set("other", RolloutsFixture.policy(RolloutsFixture.control(false, 10, 50, 0, 0), false), Instant.EPOCH);
        agent = f.agents("lab", 10, "1.0.0").get(0);
        f.agents("other", 1, "1.0.0");
        parser = new PlanParser(f.fleets, f.directory, new FleetTargets(f.directory, f.catalog()));
    }

    @AfterEach
    void close() {
        f.close();
    }

    private NewRollout parse(String json, Caller caller) throws Exception {
        return parser.parse(JSON.readTree(json.replace('\'', '"')), caller);
    }

    private String refused(String json) {
        return refused(json, ADMIN);
    }

    private String refused(String json, Caller caller) {
        ApiException e = assertThrows(ApiException.class, () -> parse(json, caller));
        assertEquals(400, e.status());
        return e.field();
    }

    @Test
    void aMinimalBodyTakesTheDocumentedDefaultsAndCountsTheTargets() throws Exception {
        NewRollout r = parse("{'component':'agent','version':'1.1.0','fleets':['lab'],'plan':{'waves':[{'percent':20},"
                + "{'batch_size':3},{'percent':80}]}}", ADMIN);
        assertEquals(10, r.targeted());
        assertNull(r.plan().canary());
        assertEquals(10, r.plan().maxConcurrent());
        assertEquals(90, r.plan().successThresholdPercent());
        assertEquals(10, r.plan().failureThresholdPercent());
        assertEquals(List.of(2, 3, 5), r.plan().waveSizes(r.targeted()), "20 % of 10, then 3, then the rest");
        assertEquals(false, r.requireApproval());
        assertEquals("alice", r.createdBy());
    }

    @Test
    void aNamedCanaryComesFirstAndMustBeAnAgentOfTheFleets() throws Exception {
        NewRollout r = parse("{'component':'agent','version':'1.1.0','fleets':['lab'],'plan':{'canary':{'agents':['"
                + agent + "']},'waves':[{'percent':100}]},'require_approval':true}", ADMIN);
        assertEquals(List.of(1, 9), r.plan().waveSizes(r.targeted()));
        assertEquals("lab", r.canaryAgentFleets().get(agent));
        assertEquals(true, r.requireApproval());
        assertEquals("plan.canary.agents[0]", refused("{'component':'agent','version':'1.1.0','fleets':['other'],"
                + "'plan':{'canary':{'agents':['" + agent + "']},'waves':[{'percent':100}]}}"));
    }

    @Test
    void everyWrongValueIsRefusedNamingItsField() {
        String ok = "'component':'agent','version':'1.1.0','fleets':['lab']";
        assertEquals("component", refused("{'component':'server','version':'1.1.0','fleets':['lab'],'plan':{'waves':[{'percent':100}]}}"));
        assertEquals("version", refused("{'component':'agent','version':'one','fleets':['lab'],'plan':{'waves':[{'percent':100}]}}"));
        assertEquals("version", refused("{'component':'agent','version':'9.9.9','fleets':['lab'],'plan':{'waves':[{'percent':100}]}}"));
        assertEquals("fleets", refused("{'component':'agent','version':'1.1.0','fleets':[],'plan':{'waves':[{'percent':100}]}}"));
        assertEquals("fleets[1]", refused("{'component':'agent','version':'1.1.0','fleets':['lab','nope'],'plan':{'waves':[{'percent':100}]}}"));
        assertEquals("plan", refused("{" + ok + "}"));
        assertEquals("plan.waves", refused("{" + ok + ",'plan':{'waves':[]}}"));
        assertEquals("plan.waves[1].percent", refused("{" + ok + ",'plan':{'waves':[{'percent':60},{'percent':50}]}}"));
        assertEquals("plan.waves[0]", refused("{" + ok + ",'plan':{'waves':[{'percent':10,'batch_size':2}]}}"));
        assertEquals("plan.waves[0].batch_size", refused("{" + ok + ",'plan':{'waves':[{'batch_size':0}]}}"));
        assertEquals("plan.max_concurrent", refused("{" + ok + ",'plan':{'waves':[{'percent':100}],'max_concurrent':0}}"));
        assertEquals("plan.jitter_seconds", refused("{" + ok + ",'plan':{'waves':[{'percent':100}],'jitter_seconds':-1}}"));
        assertEquals("plan.delay_between_waves_seconds", refused("{" + ok + ",'plan':{'waves':[{'percent':100}],'delay_between_waves_seconds':1.5}}"));
        assertEquals("plan.success_threshold_percent", refused("{" + ok + ",'plan':{'waves':[{'percent':100}],'success_threshold_percent':101}}"));
        // 0 % would complete the rollout at once, before any agent was offered it
        assertEquals("plan.success_threshold_percent", refused("{" + ok + ",'plan':{'waves':[{'percent':100}],'success_threshold_percent':0}}"));
        assertEquals("plan.failure_threshold_percent", refused("{" + ok + ",'plan':{'waves':[{'percent':100}],'failure_threshold_percent':0}}"));
        assertEquals("plan.canary", refused("{" + ok + ",'plan':{'canary':{},'waves':[{'percent':100}]}}"));
        assertEquals("plan.canary.count", refused("{" + ok + ",'plan':{'canary':{'count':0},'waves':[{'percent':100}]}}"));
        assertEquals("plan.speed", refused("{" + ok + ",'plan':{'waves':[{'percent':100}],'speed':1}}"));
        assertEquals("require_approval", refused("{" + ok + ",'plan':{'waves':[{'percent':100}]},'require_approval':'yes'}"));
    }

    @Test
    void aFleetTheCallerMayNotSeeIsAnsweredLikeAnUnknownOne() {
        Caller onlyOther = new Caller("t", Caller.Kind.TOKEN, Set.of(), Optional.of(Set.of("other")), Optional.empty());
        assertEquals("fleets[0]", refused("{'component':'agent','version':'1.1.0','fleets':['lab'],'plan':{'waves':[{'percent':100}]}}",
                onlyOther));
    }
}
