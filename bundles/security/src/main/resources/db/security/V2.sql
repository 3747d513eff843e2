-- One secret sealed under the master key by the first server to start on this database: every replica opens it at
-- start, so a replica given another master key fails closed instead of sealing secrets the others cannot open.
CREATE TABLE PM_MASTER_KEY_CHECK (
  ID INT NOT NULL PRIMARY KEY,
  SEALED VARCHAR(200) NOT NULL,
  CREATED_AT TIMESTAMP NOT NULL
);
