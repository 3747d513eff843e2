-- rollback manifests (docs/manifests.md, "Rollback manifests"): an older artifact signed afresh for one rollout, with
-- "downgrade": true, its rollout_id and a release counter of its own, reserved in PM_RELEASE_COUNTER under the
-- pseudo-version 'rollback/<rollout_id>/<artifact_id>' so that the intake's next counter is higher still. One row per
-- artifact and rollout (the key two server processes race on: the loser re-reads); re-signing keeps COUNTER.
CREATE TABLE PM_RELEASE_ROLLBACK_MANIFEST (
  ARTIFACT_ID BIGINT NOT NULL,
  ROLLOUT_ID VARCHAR(64) NOT NULL,
  COUNTER BIGINT NOT NULL,
  KEY_ID VARCHAR(200) NOT NULL,
  MANIFEST BLOB(1M) NOT NULL,
  SIGNATURE VARCHAR(400) NOT NULL,
  GENERATED_AT TIMESTAMP NOT NULL,
  EXPIRES_AT TIMESTAMP NOT NULL,
  PRIMARY KEY (ARTIFACT_ID, ROLLOUT_ID),
  CONSTRAINT PM_RELEASE_ROLLBACK_MANIFEST_ARTIFACT FOREIGN KEY (ARTIFACT_ID) REFERENCES PM_RELEASE_ARTIFACT (ID) ON DELETE CASCADE
);
CREATE INDEX PM_RELEASE_ROLLBACK_MANIFEST_EXPIRES ON PM_RELEASE_ROLLBACK_MANIFEST (EXPIRES_AT);
