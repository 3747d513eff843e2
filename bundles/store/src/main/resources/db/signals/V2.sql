-- leases that make work run on one replica at a time (ClusterLease)
CREATE TABLE PM_LEASE (
  NAME VARCHAR(64) NOT NULL PRIMARY KEY,
  HOLDER VARCHAR(64) NOT NULL,
  EXPIRES_AT TIMESTAMP NOT NULL
);
