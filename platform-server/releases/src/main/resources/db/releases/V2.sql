-- what an agent archive holds for hot-swap (docs/manifests.md: bundles, runtime_sha256), read once from the cached
-- archive and kept, so that signing and renewal never read archives again. PROBLEM set (and the others null) means
-- the archive was examined and is not a readable agent program: its manifest gets no hot-swap fields.
CREATE TABLE PM_RELEASE_AGENT_CONTENTS (
  ARTIFACT_ID BIGINT NOT NULL PRIMARY KEY,
  RUNTIME_SHA256 CHAR(64),
  BUNDLES CLOB,
  PROBLEM VARCHAR(2000),
  EXAMINED_AT TIMESTAMP NOT NULL,
  CONSTRAINT PM_RELEASE_AGENT_CONTENTS_ARTIFACT FOREIGN KEY (ARTIFACT_ID) REFERENCES PM_RELEASE_ARTIFACT (ID) ON DELETE CASCADE
);
