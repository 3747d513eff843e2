-- health flags (STALE_AFTER), the telemetry's component and fleet, and the indexes of the agents list and the dashboard
ALTER TABLE PM_AGENT ADD COLUMN STALE_AFTER TIMESTAMP;
-- two default check intervals (7 days) after the last check-in, or after enrollment for an agent never seen
UPDATE PM_AGENT SET STALE_AFTER = {fn TIMESTAMPADD(SQL_TSI_DAY, 14, COALESCE(LAST_SEEN_AT, ENROLLED_AT))};
ALTER TABLE PM_AGENT_TELEMETRY ADD COLUMN COMPONENT VARCHAR(64) DEFAULT 'agent' NOT NULL;
ALTER TABLE PM_AGENT_TELEMETRY ADD COLUMN FLEET_ID VARCHAR(63);
-- a plugin's run names its component in the metadata, written as compact JSON: {"mode":"plugin","component":"x",…}
UPDATE PM_AGENT_TELEMETRY SET COMPONENT = SUBSTR(METADATA, LOCATE('"component":"', METADATA) + 13,
  LOCATE('"', METADATA, LOCATE('"component":"', METADATA) + 13) - LOCATE('"component":"', METADATA) - 13)
  WHERE METADATA LIKE '%"mode":"plugin"%' AND LOCATE('"component":"', METADATA) > 0;
UPDATE PM_AGENT_TELEMETRY T SET FLEET_ID = (SELECT A.FLEET_ID FROM PM_AGENT A WHERE A.ID = T.AGENT_ID);
-- the agents list: one index per sort key (keyset paging walks it) and per flag
CREATE INDEX PM_AGENT_HOSTNAME ON PM_AGENT (HOSTNAME, ID);
CREATE INDEX PM_AGENT_LAST_SEEN ON PM_AGENT (LAST_SEEN_AT, ID);
CREATE INDEX PM_AGENT_VERSION ON PM_AGENT (CURRENT_VERSION, ID);
CREATE INDEX PM_AGENT_STATUS ON PM_AGENT (STATUS, ID);
CREATE INDEX PM_AGENT_STALE ON PM_AGENT (STALE_AFTER);
CREATE INDEX PM_AGENT_LAST_RESULT ON PM_AGENT (LAST_RESULT);
CREATE INDEX PM_AGENT_LAST_ERROR ON PM_AGENT (LAST_ERROR_CODE);
-- the dashboard's outcome counts read only this index: terminal rows of the window, nothing of the table
CREATE INDEX PM_AGENT_TELEMETRY_OUTCOME ON PM_AGENT_TELEMETRY (STATUS, RECEIVED_AT, COMPONENT, TARGET_VERSION, FLEET_ID, ERROR_CODE);
-- download percentiles: one release's download times in order, filtered by window and fleet within the index
CREATE INDEX PM_AGENT_TELEMETRY_DOWNLOAD ON PM_AGENT_TELEMETRY (COMPONENT, TARGET_VERSION, DOWNLOAD_TIME_MS, RECEIVED_AT, FLEET_ID);
