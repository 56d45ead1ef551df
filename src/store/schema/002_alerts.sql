-- 002_alerts: alert records (include/vigil/alert.h), one row per
-- (tenant, rule, event): id is BLAKE2b-128 of the three, so re-processing
-- an event keeps one row (INSERT OR IGNORE). Written by the store writer in
-- the same transaction as the events that caused them (alerts_sqlite.c).
-- The columns are what searches filter on; `json` is the whole record.
CREATE TABLE alerts (
    id         BLOB NOT NULL UNIQUE,         -- 16 bytes
    tenant     TEXT NOT NULL,
    ts         INTEGER NOT NULL,             -- event time (ns)
    created_ns INTEGER NOT NULL,             -- when the alert was made
    level      INTEGER NOT NULL,             -- 0 informational .. 4 critical
    rule_id    TEXT NOT NULL,
    title      TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'open', -- workflow status
    event_id   BLOB NOT NULL,
    host       TEXT,                         -- entities: host.name, user.name, source.ip
    user_name  TEXT,
    source_ip  TEXT,
    json       TEXT NOT NULL
);
CREATE INDEX alerts_tenant_ts ON alerts(tenant, ts);
CREATE INDEX alerts_tenant_rule_ts ON alerts(tenant, rule_id, ts);
CREATE INDEX alerts_tenant_level_ts ON alerts(tenant, level, ts);
