-- When an installer configuration (the fleet files' hash, generated_at left out) was first built by any replica: the
-- generated_at every replica writes into that configuration's fleet.json, so replicas build the same bytes.
CREATE TABLE PM_INSTALLER_BUILD (
  CONFIG_SHA256 CHAR(64) NOT NULL PRIMARY KEY,
  GENERATED_AT TIMESTAMP NOT NULL
);
