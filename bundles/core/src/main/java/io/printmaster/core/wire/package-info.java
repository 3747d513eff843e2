/**
 * The wire contract between the server and its agents: one record per request and answer of every agent-facing
 * route ({@code POST /api/v1/agents/enroll}, {@code POST /api/v1/agents/update/manifest},
 * {@code POST /api/v1/agents/update/telemetry}) and the fields of the signed release manifest. The server writes
 * them and the agent reads them through Jackson with these records, so a renamed field is a compile error or a
 * failing golden-file test on both sides, not a silent {@code null} found by an end-to-end test.
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li>Every component carries its explicit wire name ({@code @JsonProperty}), so the naming strategy of the mapper
 *       that reads or writes them does not matter. The names are the ones {@code docs/api.md} documents.</li>
 *   <li>Answers (server → agent) ignore unknown fields ({@code @JsonIgnoreProperties(ignoreUnknown = true)}): a
 *       newer server may add members and an older agent still reads the rest. Requests (agent → server) do not:
 *       the server refuses an unknown field with {@code 400 unknown_field}, so an agent leaves out a member an older
 *       server does not know while it has nothing to say in it (see {@link CheckInRequest#plugins()}).</li>
 *   <li>Members documented as "absent when …" are left out when {@code null}; every other member is written, with
 *       {@code null} where the documentation allows it.</li>
 *   <li>Timestamps the server writes are ISO-8601 instants ({@link java.time.Instant}, read with Jackson's
 *       {@code JavaTimeModule}); timestamps agents send are strings so the server can name a malformed one.</li>
 *   <li>The signed manifest ({@link ReleaseManifest}) is read from the exact bytes whose signature was verified,
 *       never from a re-serialized object.</li>
 * </ul>
 * 1.1 adds the trust statements: {@link io.printmaster.core.wire.CheckInRequest#trustVersion()} and
 * {@link io.printmaster.core.wire.CheckInAnswer#trustStatements()}.
 * 1.2 adds rollouts: {@link io.printmaster.core.wire.CheckInRequest#runId()},
 * {@link io.printmaster.core.wire.CheckInAnswer#retryAfterSeconds()}, {@link io.printmaster.core.wire.UpdateOffer#rolloutId()}
 * and the rollback manifest's {@link io.printmaster.core.wire.ReleaseManifest#downgrade()} and
 * {@link io.printmaster.core.wire.ReleaseManifest#rolloutId()}.
 * 1.3 adds the telemetry status {@code up_to_date} (a check that found nothing to install); agents report it after
 * every such check and send {@link io.printmaster.core.wire.CheckInRequest#nextCheckAt()} with every check-in.
 * 1.4 adds what scale needs: the check-in's {@code known} etags ({@link io.printmaster.core.wire.KnownEtags}) with the
 * answer's {@code policy_etag}, {@code manifest_etag} and {@code unchanged}, and the events
 * of {@code GET /api/v1/agents/update/wait} (pushed commands, aborts and policy changes).
 * Adding a member is a minor version; renaming or removing one is a major version (and a server that speaks to
 * agents of the old major must keep writing it).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.4.0")
package io.printmaster.core.wire;
