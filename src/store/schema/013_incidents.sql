-- 013_incidents (issue 4): repeat aggregation of alerts, incidents, risk.
-- Alerts: agg_key = BLAKE2b-128(tenant, rule, host, user, source ip) of
-- the record; repeats of the same key within the aggregation window are
-- counted into the open row (count, first_ns, last_ns, samples) instead of
-- new rows (the writer finds the row through an in-memory cache, so
-- agg_key needs no index). seq orders inserts and updates for the incident processor
-- (src/respond/case.c), which sets incident, risk and suppressed.
ALTER TABLE alerts ADD COLUMN agg_key BLOB;
ALTER TABLE alerts ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE alerts ADD COLUMN first_ns INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN last_ns INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN samples TEXT NOT NULL DEFAULT '';   -- comma-separated event ids (hex), at most 8
ALTER TABLE alerts ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;     -- bumped on insert and on every repeat
ALTER TABLE alerts ADD COLUMN risk INTEGER NOT NULL DEFAULT 0;    -- risk score 0..100 (0 = from level)
ALTER TABLE alerts ADD COLUMN incident TEXT;                      -- incident id once grouped
ALTER TABLE alerts ADD COLUMN suppressed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN facts TEXT;                         -- what grouping needs, set once (src/respond/case.c)
UPDATE alerts SET first_ns = ts, last_ns = ts, seq = rowid, samples = lower(hex(event_id));
CREATE INDEX alerts_seq ON alerts(seq);
CREATE INDEX alerts_incident ON alerts(tenant, incident, ts) WHERE incident IS NOT NULL;
-- One row per incident; the derived columns are recomputed from its alerts.
CREATE TABLE incidents (
    id          TEXT PRIMARY KEY,            -- "INC-" + 12 hex digits
    tenant      TEXT NOT NULL,
    title       TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'new', -- new, in_progress, closed, merged
    raised      TEXT NOT NULL DEFAULT '',    -- why it is shown: severity, risk, tactics ('' = pending)
    priority    REAL NOT NULL DEFAULT 0,     -- 0..100, the list's order
    severity    INTEGER NOT NULL DEFAULT 0,  -- highest alert level
    risk        REAL NOT NULL DEFAULT 0,     -- highest entity risk (0..100)
    confidence  REAL NOT NULL DEFAULT 0,     -- 0..1
    criticality TEXT NOT NULL DEFAULT '',    -- highest asset criticality of its hosts and users
    nalerts     INTEGER NOT NULL DEFAULT 0,  -- alert rows
    nevents     INTEGER NOT NULL DEFAULT 0,  -- events (sum of alert counts)
    first_ns    INTEGER NOT NULL DEFAULT 0,
    last_ns     INTEGER NOT NULL DEFAULT 0,
    created_ns  INTEGER NOT NULL,
    updated_ns  INTEGER NOT NULL,
    locked      INTEGER NOT NULL DEFAULT 0,  -- an analyst merged/split it: never merged automatically
    merged_into TEXT,
    tactics     TEXT NOT NULL DEFAULT '[]',  -- JSON arrays
    techniques  TEXT NOT NULL DEFAULT '[]',
    entities    TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX incidents_tenant_prio ON incidents(tenant, priority);
-- Linking entities of each incident ("host:web1", "user:bob", "ip:1.2.3.4").
CREATE TABLE incident_entities (
    tenant   TEXT NOT NULL,
    entity   TEXT NOT NULL,
    incident TEXT NOT NULL,
    last_ns  INTEGER NOT NULL,
    PRIMARY KEY (tenant, entity, incident)
) WITHOUT ROWID;
-- Alert rows per entity, UTC hour and risk score: the weak-entity rule
-- (rows in the last 24 h) and entity risk (the scores in the risk window)
-- read a few rows here instead of the alerts.
CREATE TABLE entity_stats (
    tenant TEXT NOT NULL,
    entity TEXT NOT NULL,
    hour   INTEGER NOT NULL,
    score  INTEGER NOT NULL,
    alerts INTEGER NOT NULL,
    PRIMARY KEY (tenant, entity, hour, score)
) WITHOUT ROWID;
CREATE TABLE suppressions (
    id         INTEGER PRIMARY KEY,
    tenant     TEXT NOT NULL,
    rule_id    TEXT NOT NULL,
    entity     TEXT NOT NULL,                -- "host:NAME", "user:NAME", "ip:ADDR" or "*"
    expires_ns INTEGER NOT NULL,
    created_ns INTEGER NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    reason     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX suppressions_rule ON suppressions(tenant, rule_id, expires_ns);
-- Asset criticality of hosts and users ("host:NAME", "user:NAME").
CREATE TABLE criticality (
    tenant     TEXT NOT NULL,
    entity     TEXT NOT NULL,
    level      TEXT NOT NULL,                -- low, medium, high, critical
    updated_ns INTEGER NOT NULL,
    PRIMARY KEY (tenant, entity)
) WITHOUT ROWID;
