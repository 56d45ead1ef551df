-- Assets and what agents report about them (issue 5): one row per
-- (tenant, host) with the current inventory snapshot, the history of
-- inventory changes, the latest posture result per policy and the latest
-- vulnerability findings. Written by src/store/assets_sqlite.c.
CREATE TABLE assets(
    tenant TEXT NOT NULL,
    host TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    criticality TEXT NOT NULL DEFAULT 'medium',
    os TEXT NOT NULL DEFAULT '',
    kernel TEXT NOT NULL DEFAULT '',
    packages INTEGER NOT NULL DEFAULT 0,
    inventory_ts INTEGER NOT NULL DEFAULT 0,
    inventory TEXT,
    PRIMARY KEY (tenant, host)
);
CREATE TABLE asset_changes(
    id INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    host TEXT NOT NULL,
    ts INTEGER NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    change TEXT NOT NULL
);
CREATE INDEX asset_changes_host ON asset_changes(tenant, host, ts);
CREATE TABLE asset_posture(
    tenant TEXT NOT NULL,
    host TEXT NOT NULL,
    policy TEXT NOT NULL,
    ts INTEGER NOT NULL,
    score REAL,
    report TEXT NOT NULL,
    PRIMARY KEY (tenant, host, policy)
);
CREATE TABLE asset_vulns(
    tenant TEXT NOT NULL,
    host TEXT NOT NULL,
    ts INTEGER NOT NULL,
    count INTEGER NOT NULL,
    findings TEXT NOT NULL,
    PRIMARY KEY (tenant, host)
);
