package io.printmaster.agent.enrollment.impl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.printmaster.core.wire.CheckInAnswer;
import io.printmaster.core.wire.KnownEtags;

/**
 * The policy and update offer of the last check-in answers, with their etags (wire 1.4): the agent sends the etags
 * as {@code known}, and when the server answers that a part is {@code unchanged} (leaving it out) the part held here
 * is put back, so everyone reading the check-in sees a whole answer as before.
 *
 * <p>Only etags a server gave are ever sent, so a server older than 1.4 (which refuses unknown members) is never
 * sent {@code known}. When the server says unchanged for a part this agent does not hold under that etag (it
 * cannot, short of a bug), nothing is held any more and the next check-in asks for the whole answer.
 */
final class HeldAnswerParts {
    private String policyEtag;
    private JsonNode policy;
    private String manifestEtag;
    private JsonNode update;

    /** The etags to send, or null when nothing is held. */
    synchronized KnownEtags known() {
        String p = policy == null ? null : policyEtag;
        String m = update == null ? null : manifestEtag;
        return p == null && m == null ? null : new KnownEtags(p, m);
    }

    /**
     * The answer with the parts it left out as unchanged put back from what is held; what it carries is held for
     * the next check-in.
     */
    synchronized JsonNode complete(JsonNode answer) {
        if (!(answer instanceof ObjectNode out)) {
            return answer;
        }
        boolean samePolicy = false;
        boolean sameUpdate = false;
        for (JsonNode u : out.path("unchanged")) {
            samePolicy |= CheckInAnswer.UNCHANGED_POLICY.equals(u.asText());
            sameUpdate |= CheckInAnswer.UNCHANGED_UPDATE.equals(u.asText());
        }
        String newPolicyEtag = text(out, "policy_etag");
        String newManifestEtag = text(out, "manifest_etag");
        if (samePolicy) {
            if (policy != null && policyEtag != null && policyEtag.equals(newPolicyEtag)) {
                out.set("policy", policy.deepCopy());
            } else {
                forget();
            }
        } else {
            JsonNode p = out.get("policy");
            policy = p == null || p.isNull() || newPolicyEtag == null ? null : p.deepCopy();
            policyEtag = policy == null ? null : newPolicyEtag;
        }
        if (sameUpdate) {
            if (update != null && manifestEtag != null && manifestEtag.equals(newManifestEtag)) {
                out.set("update", update.deepCopy());
            } else {
                forget();
            }
        } else {
            JsonNode u = out.get("update");
            update = u == null || u.isNull() || newManifestEtag == null ? null : u.deepCopy();
            manifestEtag = update == null ? null : newManifestEtag;
        }
        out.remove("unchanged"); // whole again
        return out;
    }

    /** Nothing held: the next check-in gets the whole answer (another server, a new credential, a failure). */
    synchronized void forget() {
        policy = null;
        policyEtag = null;
        update = null;
        manifestEtag = null;
    }

    private static String text(JsonNode o, String field) {
        JsonNode n = o.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }
}
